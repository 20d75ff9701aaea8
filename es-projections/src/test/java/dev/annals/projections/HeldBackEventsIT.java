package dev.annals.projections;

import static org.assertj.core.api.Assertions.assertThat;

import dev.annals.postgres.PostgresEventStore;
import dev.annals.testkit.PostgresTestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * "Caught up" means every event committed before the call is projected, even while an open
 * transaction elsewhere in the cluster holds some of them back from readers.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class HeldBackEventsIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  /** A transaction that holds a transaction id, as any writer elsewhere in the cluster may. */
  private static Connection openForeignTransaction() throws Exception {
    Connection c = db.connect();
    c.setAutoCommit(false);
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_current_xact_id()")) {
      rs.next();
    }
    return c;
  }

  @Test
  void catch_up_waits_for_events_an_open_transaction_holds_back_and_then_projects_them() throws Exception {
    String schema = db.newSchema();
    try (PostgresEventStore store = Bank.store(db, schema, 4, "held")) {
      Projector p = Bank.balances("balances", "bal").build();
      try (ProjectionRunner runner = Bank.runner(store, "a", p).build()) {
        Bank.deposit(store, Bank.account(1), 5);
        runner.catchUp("balances");

        CompletableFuture<Long> catchUp;
        try (Connection foreign = openForeignTransaction()) {
          for (int i = 0; i < 10; i++) {
            Bank.deposit(store, Bank.account(i % 3), i + 1);
          }
          assertThat(store.logReader().heldBackUpTo(store.headPosition())).as("held back").isGreaterThanOrEqualTo(10);
          catchUp = CompletableFuture.supplyAsync(() -> runner.catchUp("balances"));
          Thread.sleep(500);
          assertThat(catchUp).as("catch-up must not finish while events are held back").isNotDone();
          foreign.commit();
        }
        assertThat(catchUp.get(30, TimeUnit.SECONDS)).isEqualTo(10);
        assertThat(Bank.balancesIn(store.jdbi(), schema + ".bal_balances")).isEqualTo(Bank.expectedBalances(store));
      }
    }
  }

  @Test
  void await_caught_up_does_not_report_caught_up_while_events_are_held_back() throws Exception {
    String schema = db.newSchema();
    try (PostgresEventStore store = Bank.store(db, schema, 4, "held2")) {
      Projector p = Bank.balances("balances", "bal").build();
      try (ProjectionRunner runner = Bank.runner(store, "a", p).build()) {
        runner.start();
        Bank.deposit(store, Bank.account(1), 5);
        assertThat(runner.awaitCaughtUp("balances", Duration.ofSeconds(30))).isTrue();
        try (Connection foreign = openForeignTransaction()) {
          Bank.deposit(store, Bank.account(2), 7);
          assertThat(runner.awaitCaughtUp("balances", Duration.ofMillis(700)))
              .as("caught up although an event is held back").isFalse();
          foreign.commit();
        }
        assertThat(runner.awaitCaughtUp("balances", Duration.ofSeconds(30))).isTrue();
        assertThat(Bank.balancesIn(store.jdbi(), schema + ".bal_balances")).isEqualTo(Bank.expectedBalances(store));
      }
    }
  }
}
