package dev.annals.console.docs;

import dev.annals.console.ConsoleCustomizer;
import dev.annals.console.ConsoleServer;
import dev.annals.console.ConsoleUser;
import dev.annals.console.StateDecoder;
import dev.annals.core.AggregateRepository;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.projections.ProjectionRunner;
import org.springframework.context.annotation.Bean;

/** The examples of docs/console.md, compiled here and compared with the guide by ConsoleGuideTest. */
final class ConsoleGuideExamples {

  private ConsoleGuideExamples() {}

  static ConsoleServer plainJava(PostgresEventStore store, ProjectionRunner runner,
      AggregateRepository<?, ?, ?> accounts, String alicesHash) {
    // tag::console-plain-java[]
    ConsoleServer console = ConsoleServer.builder(store)
        .runner(runner)                                        // projectors and dead letters
        .decoder("account", StateDecoder.of(accounts))         // states as of a version, position or time
        .user(ConsoleUser.parse("alice:operator:" + alicesHash)) // e.g. {bcrypt}$2a$10$...
        .port(8089)                                            // on 127.0.0.1 unless address(...) says otherwise
        .start();
    // end::console-plain-java[]
    return console;
  }

  /** A Spring configuration of an application that embeds the console. */
  static final class Decoders {
    // tag::console-customizer[]
    @Bean
    ConsoleCustomizer accountStates(AggregateRepository<?, ?, ?> accounts) {
      return console -> console.decoder("account", StateDecoder.of(accounts));
    }
    // end::console-customizer[]
  }
}
