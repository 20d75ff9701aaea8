package dev.annals.projections;

import static org.assertj.core.api.Assertions.assertThat;

import dev.annals.core.EventRegistry;
import dev.annals.core.ExpectedVersion;
import dev.annals.core.LogFilter;
import dev.annals.core.NewEvent;
import dev.annals.core.PersonalData;
import dev.annals.core.Shredder;
import dev.annals.core.StreamId;
import dev.annals.core.SubjectForgotten;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.testkit.PostgresTestDatabase;
import java.time.Duration;
import java.util.List;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A read model holding personal data erases its copy when the subject is forgotten. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ForgettingIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  record Opened(String customerId, String owner) {}

  static final EventRegistry EVENTS = EventRegistry.builder()
      .register(Opened.class, "Opened", PersonalData.of(Opened::customerId, "/owner"))
      .build();

  /** Owners by account; the projector also handles the forgetting notice. */
  static Projector owners(String name) {
    return Projector.builder(name)
        .filter(LogFilter.categories("account", SubjectForgotten.CATEGORY))
        .tables(name)
        .setup(t -> t.handle().execute("CREATE TABLE " + t.table(name)
            + " (account text PRIMARY KEY, customer text NOT NULL, owner text)"))
        .handler((event, ctx) -> {
          if (event.payload() instanceof Opened o) {
            ctx.handle().execute("INSERT INTO " + ctx.table(name) + " VALUES (?, ?, ?)",
                event.streamId().id(), o.customerId(), o.owner());
          } else if (event.payload() instanceof SubjectForgotten f) {
            ctx.handle().execute("UPDATE " + ctx.table(name) + " SET owner = NULL WHERE customer = ?",
                f.subject());
          }
        })
        .build();
  }

  private static List<String> owners(PostgresEventStore store, String schema) {
    return owners(store, schema, "owners");
  }

  private static List<String> owners(PostgresEventStore store, String schema, String table) {
    return store.jdbi().withHandle(h -> h.createQuery("SELECT account || '=' || coalesce(owner, '(erased)') FROM "
        + schema + "." + table + " ORDER BY account").mapTo(String.class).list());
  }

  @Test
  void the_read_model_erases_its_copy_on_the_notice_and_a_replay_finds_only_erased_data() {
    String schema = db.newSchema();
    try (PostgresEventStore store = PostgresEventStore.builder(EVENTS).jdbcUrl(db.jdbcUrl()).poolSize(4)
        .schema(schema).installSchema(true)
        .encryptPersonalData(new SecretKeySpec(new byte[32], "AES")).build()) {
      store.append(StreamId.of("account", "a1"), ExpectedVersion.noStream(), NewEvent.of(new Opened("c1", "Ann")));
      store.append(StreamId.of("account", "a2"), ExpectedVersion.noStream(), NewEvent.of(new Opened("c2", "Bob")));
      try (ProjectionRunner runner = Bank.runner(store, "n1", owners("owners")).build()) {
        runner.start();
        Bank.await("both owners projected", Duration.ofSeconds(60),
            () -> owners(store, schema).equals(List.of("a1=Ann", "a2=Bob")));

        Shredder.builder(store).build().forget("c1", "dpo", "request 1");
        Bank.await("Ann erased from the read model", Duration.ofSeconds(60),
            () -> owners(store, schema).equals(List.of("a1=(erased)", "a2=Bob")));

      }
      try (ProjectionRunner late = Bank.runner(store, "n2", owners("owners_late")).build()) {
        late.start();
        assertThat(late.awaitCaughtUp("owners_late", Duration.ofSeconds(60))).as("the late view caught up").isTrue();
        Bank.await("a view built after the forget replays the log without Ann", Duration.ofSeconds(60),
            () -> owners(store, schema, "owners_late").equals(List.of("a1=(erased)", "a2=Bob")));
      }
    }
  }
}
