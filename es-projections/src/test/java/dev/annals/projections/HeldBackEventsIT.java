package dev.annals.projections;

import static org.assertj.core.api.Assertions.assertThat;

import dev.annals.core.ExpectedVersion;
import dev.annals.core.NewEvent;
import dev.annals.core.StreamId;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.testkit.PostgresTestDatabase;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Handle;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * "Caught up" means every event committed before the call is projected, even while an open
 * transaction that appended to the store holds some of them back from readers.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class HeldBackEventsIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  /**
   * A transaction that appended to the store and stays open: what can still hold readers back
   * (one that never appends cannot, through the store's horizon fence). Its event is of another
   * category, so the projector does not count it.
   */
  private static Handle openForeignTransaction(PostgresEventStore store) {
    Handle h = store.jdbi().open();
    h.begin();
    store.joining(h).append(StreamId.of("audit", "foreign"), ExpectedVersion.any(),
        NewEvent.of(new Bank.Deposited(1)));
    return h;
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
        try (Handle foreign = openForeignTransaction(store)) {
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
        try (Handle foreign = openForeignTransaction(store)) {
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
