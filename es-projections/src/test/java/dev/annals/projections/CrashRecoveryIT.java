package dev.annals.projections;

import static org.assertj.core.api.Assertions.assertThat;

import dev.annals.postgres.PostgresEventStore;
import dev.annals.testkit.PostgresTestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.jdbi.v3.core.Handle;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A projector that dies or loses its connection in the middle of a batch must, once running
 * again, leave the same read model as a projection from scratch: nothing lost, nothing twice.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class CrashRecoveryIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  /** Stands for the JVM dying: nothing catches it, the batch's transaction never commits. */
  static final class Crash extends Error {
    private static final long serialVersionUID = 1L;

    Crash() {
      super("simulated crash in the middle of a batch");
    }
  }

  @Test
  void a_runner_killed_in_the_middle_of_a_batch_loses_nothing_and_applies_nothing_twice() throws Exception {
    String schema = db.newSchema();
    try (PostgresEventStore store = Bank.store(db, schema, 4, "crash")) {
      for (int i = 0; i < 300; i++) {
        Bank.deposit(store, Bank.account(i % 10), i + 1);
      }
      AtomicBoolean armed = new AtomicBoolean(true);
      AtomicReference<Handle> batch = new AtomicReference<>();
      AtomicInteger handledInCrashedBatch = new AtomicInteger();
      CountDownLatch crashed = new CountDownLatch(1);
      Projector crashing = Bank.balances("balances", "bal", "a", (event, ctx) -> {
        if (batch.get() != ctx.handle()) {
          batch.set(ctx.handle());
          handledInCrashedBatch.set(0);
        }
        if (event.position() == 137 && armed.getAndSet(false)) {
          crashed.countDown();
          throw new Crash();
        }
        handledInCrashedBatch.incrementAndGet();
      }).batchSize(50).build();

      try (ProjectionRunner first = Bank.runner(store, "a", crashing).build()) {
        first.start();
        assertThat(crashed.await(30, TimeUnit.SECONDS)).as("the handler reached the crash point").isTrue();
      }
      assertThat(handledInCrashedBatch.get()).as("events handled in the crashed batch before the crash")
          .isPositive();

      Projector healthy = Bank.balances("balances", "bal", "b", (e, c) -> {}).batchSize(50).build();
      try (ProjectionRunner second = Bank.runner(store, "b", healthy).build()) {
        second.start();
        assertThat(second.awaitCaughtUp("balances", Duration.ofSeconds(30))).isTrue();
        assertThat(second.deadLetters("balances")).isEmpty();
      }
      assertSameAsFromScratch(store, schema);
    }
  }

  @Test
  void a_connection_terminated_in_the_middle_of_a_batch_is_survived_without_loss_or_duplicates() throws Exception {
    String schema = db.newSchema();
    try (PostgresEventStore store = Bank.store(db, schema, 4, "terminate")) {
      for (int i = 0; i < 300; i++) {
        Bank.deposit(store, Bank.account(i % 10), i + 1);
      }
      AtomicBoolean armed = new AtomicBoolean(true);
      AtomicInteger terminated = new AtomicInteger();
      Projector p = Bank.balances("balances", "bal", "a", (event, ctx) -> {
        if (event.position() == 161 && armed.getAndSet(false)) {
          int pid = ctx.handle().createQuery("SELECT pg_backend_pid()").mapTo(Integer.class).one();
          try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute("SELECT pg_terminate_backend(" + pid + ")");
          }
          terminated.incrementAndGet();
        }
      }).batchSize(50).build();
      try (ProjectionRunner runner = Bank.runner(store, "a", p).build()) {
        runner.start();
        assertThat(runner.awaitCaughtUp("balances", Duration.ofSeconds(30))).isTrue();
        assertThat(terminated.get()).as("the batch's connection was terminated").isEqualTo(1);
        assertThat(runner.deadLetters("balances")).as("a lost connection is not the event's fault").isEmpty();
      }
      assertSameAsFromScratch(store, schema);
    }
  }

  @Test
  void connections_terminated_again_and_again_while_projecting_lose_nothing_and_apply_nothing_twice() throws Exception {
    String schema = db.newSchema();
    String application = "chaos" + UUID.randomUUID().toString().substring(0, 8);
    try (PostgresEventStore writer = Bank.store(db, schema, 2, "writer");
        PostgresEventStore store = Bank.store(db, schema, 4, application, Duration.ZERO)) {
      Projector p = Bank.balances("balances", "bal").partitions(2).batchSize(20).build();
      AtomicBoolean chaos = new AtomicBoolean(true);
      AtomicInteger kills = new AtomicInteger();
      Thread killer = new Thread(() -> {
        try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ? "
                + "AND pid <> pg_backend_pid() ORDER BY random() LIMIT 1")) {
          ps.setString(1, application);
          while (chaos.get()) {
            try (ResultSet rs = ps.executeQuery()) {
              if (rs.next() && rs.getBoolean(1)) {
                kills.incrementAndGet();
              }
            }
            Thread.sleep(25);
          }
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }, "killer");
      try (ProjectionRunner runner = Bank.runner(store, "a", p).build()) {
        runner.start();
        killer.start();
        for (int i = 0; i < 400; i++) {
          Bank.deposit(writer, Bank.account(i % 13), i + 1);
        }
        Bank.await("a few connections killed", Duration.ofSeconds(30), () -> kills.get() >= 5);
        chaos.set(false);
        killer.join();
        assertThat(runner.awaitCaughtUp("balances", Duration.ofSeconds(60))).isTrue();
        assertThat(runner.deadLetters("balances")).isEmpty();
      }
      assertSameAsFromScratch(writer, schema);
    }
  }

  /** Compares the projected tables with the events (in Java) and with a fresh projection. */
  private static void assertSameAsFromScratch(PostgresEventStore store, String schema) {
    Map<String, Long> projected = Bank.balancesIn(store.jdbi(), schema + ".bal_balances");
    assertThat(projected).as("balances against the events").isEqualTo(Bank.expectedBalances(store));
    assertThat(Bank.appliedIn(store.jdbi(), schema + ".bal_applied"))
        .as("every event applied exactly once")
        .containsExactlyInAnyOrderElementsOf(Bank.accountEventIds(store));
    try (ProjectionRunner reference = Bank.runner(store, "reference",
        Bank.balances("reference", "ref").build()).build()) {
      reference.catchUp("reference");
    }
    assertThat(projected).as("balances against a projection from scratch")
        .isEqualTo(Bank.balancesIn(store.jdbi(), schema + ".ref_balances"));
  }
}
