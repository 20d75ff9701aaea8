package dev.annals.projections;

import static org.assertj.core.api.Assertions.assertThat;

import dev.annals.core.ExpectedVersion;
import dev.annals.core.LogFilter;
import dev.annals.core.NewEvent;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.testkit.PostgresTestDatabase;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A handler failing with a connection URL that carries a password: the error is stored, shown
 * and logged with the password hidden.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class RedactedErrorsIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  static final String PASSWORD = "hunter2-Secret";

  final Logger jul = Logger.getLogger("dev.annals.projections");
  final List<String> logged = new CopyOnWriteArrayList<>();
  final Handler capture = new Handler() {
    final SimpleFormatter format = new SimpleFormatter();

    @Override
    public void publish(LogRecord r) {
      logged.add(format.format(r));
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };

  String schema;
  PostgresEventStore store;

  @BeforeEach
  void newStore() {
    schema = db.newSchema();
    store = Bank.store(db, schema, 4, "redact");
    jul.addHandler(capture);
    jul.setLevel(Level.ALL);
  }

  @AfterEach
  void closeStore() {
    jul.removeHandler(capture);
    store.close();
  }

  Projector failing(FailurePolicy policy) {
    return Projector.builder("mailer")
        .filter(LogFilter.categories("account"))
        .onFailure(policy)
        .retries(2, Duration.ofMillis(1), Duration.ofMillis(2))
        .tables("sent")
        .setup(t -> t.handle().execute("CREATE TABLE " + t.table("sent") + " (id int)"))
        .handler((event, ctx) -> {
          throw new IllegalStateException("cannot reach amqp://mailer:" + PASSWORD + "@rabbit:5672/mail",
              new IllegalArgumentException("jdbc:postgresql://db/mail?user=app&password=" + PASSWORD));
        })
        .build();
  }

  @Test
  void a_halted_projector_stores_shows_and_logs_its_error_without_the_password() {
    store.append(Bank.account(1), ExpectedVersion.any(), NewEvent.of(new Bank.Deposited(5)));
    try (ProjectionRunner runner = Bank.runner(store, "a", failing(FailurePolicy.STOP)).build()) {
      runner.catchUp("mailer");

      String lastError = store.jdbi().withHandle(h -> h.createQuery("SELECT last_error FROM " + schema
          + ".projection_checkpoints WHERE projector = 'mailer'").mapTo(String.class).one());
      assertThat(lastError).as("projection_checkpoints.last_error")
          .contains("cannot reach amqp://mailer:***@rabbit:5672/mail").doesNotContain(PASSWORD);
      List<String> deadLetter = store.jdbi().withHandle(h -> h.createQuery("SELECT error || ' ' || stack_trace FROM "
          + schema + ".projection_dead_letters").mapTo(String.class).list());
      assertThat(deadLetter).singleElement().asString().as("projection_dead_letters error and stack trace")
          .contains("amqp://mailer:***@", "password=***", "at dev.annals.projections").doesNotContain(PASSWORD);

      ProjectionStatus status = runner.status("mailer").get(0);
      assertThat(status.health().state()).isEqualTo(ProjectorState.FAILED);
      assertThat(status.health().lastError()).get().extracting(ProjectionStatus.LastError::message).asString()
          .contains("amqp://mailer:***@").doesNotContain(PASSWORD);
      assertThat(status.toJson()).contains("amqp://mailer:***@").doesNotContain(PASSWORD);
      assertThat(runner.deadLetters("mailer")).singleElement()
          .satisfies(d -> assertThat(d.error() + d.stackTrace()).doesNotContain(PASSWORD));

      assertThat(logged).as("log records").anyMatch(r -> r.contains("amqp://mailer:***@"))
          .noneMatch(r -> r.contains(PASSWORD));
    }
  }

  @Test
  void a_parked_event_of_a_continuing_projector_leaves_no_password_in_the_checkpoint_row() {
    store.append(Bank.account(1), ExpectedVersion.any(), NewEvent.of(new Bank.Deposited(5)));
    try (ProjectionRunner runner = Bank.runner(store, "a", failing(FailurePolicy.CONTINUE)).build()) {
      runner.catchUp("mailer");

      String lastError = store.jdbi().withHandle(h -> h.createQuery("SELECT last_error FROM " + schema
          + ".projection_checkpoints WHERE projector = 'mailer'").mapTo(String.class).one());
      assertThat(lastError).contains("failed after 2 tries", "amqp://mailer:***@").doesNotContain(PASSWORD);
      assertThat(runner.deadLetters("mailer")).singleElement()
          .satisfies(d -> assertThat(d.status()).isEqualTo(DeadLetter.Status.PARKED))
          .satisfies(d -> assertThat(d.error() + d.stackTrace()).doesNotContain(PASSWORD));
      assertThat(logged).anyMatch(r -> r.contains("parked")).noneMatch(r -> r.contains(PASSWORD));
    }
  }
}
