package dev.annals.projections.docs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.annals.core.EventRegistry;
import dev.annals.core.ExpectedVersion;
import dev.annals.core.LogFilter;
import dev.annals.core.NewEvent;
import dev.annals.core.RecordedEvent;
import dev.annals.core.StreamId;
import dev.annals.postgres.LogCursor;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.projections.DeadLetter;
import dev.annals.projections.FailurePolicy;
import dev.annals.projections.ProjectionRunner;
import dev.annals.projections.ProjectionStatus;
import dev.annals.projections.Projector;
import dev.annals.projections.RetryResult;
import dev.annals.projections.testing.ProjectionFixture;
import dev.annals.testkit.PostgresTestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jdbi.v3.core.statement.PreparedBatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The examples of docs/projections.md, through the public API only (another package), so that
 * a change breaking the documented usage fails the build. Each tagged region is copied verbatim
 * into the guide; ProjectionsGuideTest checks they stay equal.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ProjectionsGuideIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  // tag::events[]
  record Deposited(long cents) {}

  record Withdrawn(long cents) {}
  // end::events[]

  static final EventRegistry EVENTS = EventRegistry.builder()
      .register(Deposited.class, "Deposited")
      .register(Withdrawn.class, "Withdrawn")
      .build();

  // tag::projector[]
  static final Projector BALANCES = Projector.builder("balances")
      .filter(LogFilter.categories("account"))
      .tables("balances")
      .setup(t -> t.handle().execute("CREATE TABLE " + t.table("balances")
          + " (account text PRIMARY KEY, cents bigint NOT NULL)"))
      .handler((event, ctx) -> {
        long delta = event.payload() instanceof Deposited d ? d.cents()
            : -event.payload(Withdrawn.class).cents();
        ctx.handle().execute("INSERT INTO " + ctx.table("balances") + " AS b VALUES (?, ?) "
            + "ON CONFLICT (account) DO UPDATE SET cents = b.cents + excluded.cents",
            event.streamId().id(), delta);
      })
      .build();
  // end::projector[]

  // tag::batch-handler[]
  static final Projector TOTALS = Projector.builder("totals")
      .filter(LogFilter.categories("account"))
      .tables("totals")
      .batchSize(1000)
      .setup(t -> t.handle().execute("CREATE TABLE " + t.table("totals")
          + " (account text PRIMARY KEY, cents bigint NOT NULL)"))
      .batchHandler((events, t) -> {
        PreparedBatch upsert = t.handle().prepareBatch("INSERT INTO " + t.table("totals") + " AS x VALUES (?, ?) "
            + "ON CONFLICT (account) DO UPDATE SET cents = x.cents + excluded.cents");
        for (RecordedEvent e : events) {
          long delta = e.payload() instanceof Deposited d ? d.cents() : -e.payload(Withdrawn.class).cents();
          upsert.add(e.streamId().id(), delta);
        }
        upsert.execute();
      })
      .build();
  // end::batch-handler[]

  /** Stands for a mail service that drops a second mail with the same key. */
  static final class Mailer {
    final List<UUID> sent = new CopyOnWriteArrayList<>();

    void send(String account, String subject, UUID idempotencyKey) {
      sent.add(idempotencyKey);
    }
  }

  PostgresEventStore store;

  @BeforeEach
  void store() {
    store = PostgresEventStore.builder(EVENTS).jdbcUrl(db.jdbcUrl()).poolSize(4)
        .schema(db.newSchema()).installSchema(true).build();
  }

  @AfterEach
  void close() {
    store.close();
  }

  @Test
  void a_runner_projects_into_a_view() {
    assertThat(runAndRead(store)).isEqualTo(500);
  }

  static long runAndRead(PostgresEventStore store) {
    // tag::runner[]
    try (ProjectionRunner runner = ProjectionRunner.builder(store)
        .nodeId("web-1")
        .projector(BALANCES)
        .installSchema(true)
        .build()) {
      runner.start();
      store.append(StreamId.of("account", "a-1"), ExpectedVersion.any(), NewEvent.of(new Deposited(500)));
      runner.awaitCaughtUp("balances", Duration.ofSeconds(60));
      return store.withHandle("read the balances view", h -> h.createQuery("SELECT cents FROM " + store.schema()
          + ".balances WHERE account = 'a-1'").mapTo(Long.class).one());
    }
    // end::runner[]
  }

  @Test
  void a_batch_handler_builds_the_same_view_as_a_handler() {
    for (int i = 0; i < 30; i++) {
      store.append(StreamId.of("account", "a-" + (i % 3)), ExpectedVersion.any(),
          NewEvent.of(i % 4 == 0 ? new Withdrawn(7) : new Deposited(100 + i)));
    }
    try (ProjectionFixture balances = ProjectionFixture.of(store, BALANCES);
        ProjectionFixture totals = ProjectionFixture.of(store, TOTALS)) {
      balances.runUntilCaughtUp();
      totals.runUntilCaughtUp();
      String query = "SELECT account || '=' || cents FROM %s ORDER BY account";
      List<String> fromBatches = totals.<List<String>, RuntimeException>query(
          h -> h.createQuery(String.format(query, totals.view("totals"))).mapTo(String.class).list());
      List<String> oneByOne = balances.<List<String>, RuntimeException>query(
          h -> h.createQuery(String.format(query, balances.view("balances"))).mapTo(String.class).list());
      assertThat(fromBatches).hasSize(3).isEqualTo(oneByOne);
    }
  }

  @Test
  void the_status_tells_state_lag_and_owner() {
    store.append(StreamId.of("account", "a-1"), ExpectedVersion.any(), NewEvent.of(new Deposited(500)));
    try (ProjectionRunner runner = ProjectionRunner.builder(store).nodeId("web-1").projector(BALANCES)
        .installSchema(true).build()) {
      runner.start();
      assertThat(runner.awaitCaughtUp("balances", Duration.ofSeconds(60))).isTrue();
      List<String> lines = new ArrayList<>();
      // tag::status[]
      for (ProjectionStatus s : runner.status()) {
        ProjectionStatus.Partition p = s.partition();
        lines.add(p.projector() + " v" + p.version() + " partition " + p.index() + ": " + s.health().state()
            + ", " + s.position().lagEvents() + " events / " + s.position().lagSeconds() + " s behind, owner "
            + s.lease().map(ProjectionStatus.Lease::node).orElse("none"));
      }
      String json = ProjectionStatus.toJson(runner.status());
      // end::status[]
      assertThat(lines).containsExactly("balances v1 partition 0: RUNNING, 0 events / 0.0 s behind, owner web-1");
      assertThat(json).startsWith("[{\"partition\":{\"projector\":\"balances\"");
    }
  }

  @Test
  void side_effects_get_the_event_id_as_idempotency_key_and_skip_replays() {
    Mailer mail = new Mailer();
    // tag::side-effects[]
    Projector receipts = Projector.sideEffects("receipts")
        .filter(LogFilter.types("Deposited"))
        .onFailure(FailurePolicy.CONTINUE)
        .retries(5, Duration.ofSeconds(1), Duration.ofMinutes(1))
        .handler((event, ctx) -> {
          if (!ctx.replaying()) {
            mail.send(event.streamId().id(), "We received your deposit", ctx.idempotencyKey());
          }
        })
        .build();
    // end::side-effects[]
    NewEvent deposit = NewEvent.of(new Deposited(10));
    store.append(StreamId.of("account", "a-1"), ExpectedVersion.any(), deposit);
    try (ProjectionRunner runner = ProjectionRunner.builder(store).projector(receipts).installSchema(true).build()) {
      runner.catchUp("receipts");
      runner.reset("receipts", LogCursor.START);
      runner.catchUp("receipts");
    }
    assertThat(mail.sent).as("one mail, not resent by the replay").containsExactly(deposit.eventId());
  }

  @Test
  void a_poison_event_is_parked_and_retried_after_the_fix() {
    store.append(StreamId.of("account", "a-1"), ExpectedVersion.any(), NewEvent.of(new Withdrawn(-1)));
    boolean[] fixed = {false};
    Projector strict = Projector.builder("strict")
        // tag::policy[]
        .onFailure(FailurePolicy.CONTINUE)
        .retries(5, Duration.ofMillis(200), Duration.ofSeconds(30))
        // end::policy[]
        .handler((event, ctx) -> {
          if (!fixed[0]) {
            throw new IllegalArgumentException("negative withdrawal");
          }
        })
        .retries(2, Duration.ofMillis(1), Duration.ofMillis(1))
        .build();
    try (ProjectionRunner runner = ProjectionRunner.builder(store).projector(strict).installSchema(true).build()) {
      runner.catchUp("strict");
      fixed[0] = true;
      List<String> lines = new ArrayList<>();
      // tag::dead-letters[]
      for (DeadLetter dl : runner.deadLetters("strict")) {
        lines.add(dl.id() + " " + dl.status() + " " + dl.streamId() + " v" + dl.streamVersion()
            + " after " + dl.attempts() + " tries: " + dl.error());
        if (dl.status() == DeadLetter.Status.PARKED) {
          RetryResult result = runner.retry(dl.id()); // after deploying the fix
          lines.add(result.succeeded() ? "resolved " + result.resolved().size() : "still failing");
        }
      }
      // end::dead-letters[]
      assertThat(lines).hasSize(2);
      assertThat(lines.get(0)).contains("PARKED account-a-1 v1 after 2 tries", "negative withdrawal");
      assertThat(lines.get(1)).isEqualTo("resolved 1");
    }
  }

  @Test
  void a_new_version_is_built_beside_the_old_one_and_replaces_it() {
    store.append(StreamId.of("account", "a-1"), ExpectedVersion.any(),
        List.of(NewEvent.of(new Deposited(500)), NewEvent.of(new Withdrawn(200))));
    try (ProjectionRunner v1 = ProjectionRunner.builder(store).projector(BALANCES).installSchema(true).build()) {
      v1.catchUp("balances");
    }
    // tag::rebuild[]
    Projector balancesV2 = Projector.builder("balances")
        .version(2)
        .filter(LogFilter.categories("account"))
        .tables("balances")
        .setup(t -> t.handle().execute("CREATE TABLE " + t.table("balances")
            + " (account text PRIMARY KEY, cents bigint NOT NULL, movements integer NOT NULL)"))
        .handler((event, ctx) -> {
          long delta = event.payload() instanceof Deposited d ? d.cents()
              : -event.payload(Withdrawn.class).cents();
          ctx.handle().execute("INSERT INTO " + ctx.table("balances") + " AS b VALUES (?, ?, 1) "
              + "ON CONFLICT (account) DO UPDATE SET cents = b.cents + excluded.cents, "
              + "movements = b.movements + 1", event.streamId().id(), delta);
        })
        .build();
    // end::rebuild[]
    List<String> progress = new CopyOnWriteArrayList<>();
    try (ProjectionRunner v2 = ProjectionRunner.builder(store).projector(balancesV2).installSchema(true)
        // tag::progress[]
        .rebuildProgress(p -> progress.add(p.toString()), Duration.ofSeconds(5))
        // end::progress[]
        .build()) {
      v2.catchUp("balances");
    }
    int movements = store.jdbi().withHandle(h -> h.createQuery("SELECT movements FROM " + store.schema()
        + ".balances WHERE account = 'a-1'").mapTo(Integer.class).one());
    assertThat(movements).as("read through the view, now on version 2").isEqualTo(2);
  }

  @Test
  void a_projector_with_a_reset_callback_replays_from_any_position() {
    // tag::reset-callback[]
    Projector statements = Projector.builder("statements")
        .filter(LogFilter.categories("account"))
        .tables("statement_lines")
        .setup(t -> t.handle().execute("CREATE TABLE " + t.table("statement_lines")
            + " (position bigint PRIMARY KEY, account text NOT NULL, cents bigint NOT NULL)"))
        .reset((t, target) -> t.handle().execute("DELETE FROM " + t.table("statement_lines")
            + " WHERE position > ?", target.position()))
        .handler((event, ctx) -> ctx.handle().execute("INSERT INTO " + ctx.table("statement_lines")
            + " VALUES (?, ?, ?)", event.position(), event.streamId().id(),
            event.payload() instanceof Deposited d ? d.cents() : -event.payload(Withdrawn.class).cents()))
        .build();
    // end::reset-callback[]
    for (int i = 0; i < 5; i++) {
      store.append(StreamId.of("account", "a-1"), ExpectedVersion.any(), NewEvent.of(new Deposited(i)));
    }
    try (ProjectionRunner runner = ProjectionRunner.builder(store).projector(statements).installSchema(true).build()) {
      runner.catchUp("statements");
      // tag::replay[]
      runner.replayFrom("statements", 3);          // the event at position 3 and all after it
      runner.reset("statements", LogCursor.START); // everything
      // end::replay[]
      assertThat(runner.catchUp("statements")).isEqualTo(5);
    }
  }

  // tag::fixture[]
  @Test
  void deposits_and_withdrawals_add_up() {
    try (ProjectionFixture balances = ProjectionFixture.of(store, BALANCES)) {
      balances.given(StreamId.of("account", "a-1"), new Deposited(500), new Withdrawn(200));

      long cents = balances.query(h -> h.createQuery("SELECT cents FROM " + balances.view("balances")
          + " WHERE account = 'a-1'").mapTo(Long.class).one());
      assertThat(cents).isEqualTo(300);
      assertThat(balances.deadLetters()).isEmpty();
    }
  }
  // end::fixture[]
}
