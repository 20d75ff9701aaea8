package dev.annals.projections;

import static org.assertj.core.api.Assertions.assertThat;

import dev.annals.postgres.PostgresEventStore;
import dev.annals.testkit.PostgresTestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Positions are handed out at insert time but transactions commit in any order: a projector
 * must neither skip an event committed late nor apply one twice.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class OutOfOrderCommitsIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  @Test
  void events_committed_out_of_order_while_projecting_are_each_projected_exactly_once() throws Exception {
    String schema = db.schema();
    int writers = 4;
    int appendsPerWriter = 100;
    try (PostgresEventStore store = Bank.store(db, schema, 8, "ooo")) {
      Projector p = Bank.balances("balances", "bal").partitions(2).batchSize(25).build();
      try (ProjectionRunner runner = Bank.runner(store, "a", p).build()) {
        runner.start();

        // Transactions that take their positions now and commit only at the end.
        List<Connection> held = new ArrayList<>();
        List<Long> heldPositions = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
          Connection c = db.connect();
          c.setAutoCommit(false);
          heldPositions.add(rawDeposit(c, schema, "account-held" + i, 1000 + i));
          held.add(c);
        }

        ExecutorService pool = Executors.newFixedThreadPool(writers);
        List<Future<?>> futures = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
          futures.add(pool.submit(() -> {
            for (int i = 0; i < appendsPerWriter; i++) {
              Bank.deposit(store, Bank.account(ThreadLocalRandom.current().nextInt(20)), i + 1);
            }
          }));
          // Another transaction held open while the writers go on, committed before the others.
          if (w == 1) {
            Connection c = db.connect();
            c.setAutoCommit(false);
            heldPositions.add(rawDeposit(c, schema, "account-late", 7));
            held.add(0, c);
          }
        }
        for (Future<?> f : futures) {
          f.get(60, TimeUnit.SECONDS);
        }
        pool.shutdown();

        Bank.await("the projector reaches the open transactions", Duration.ofSeconds(30), () ->
            runner.status("balances").stream().allMatch(s -> s.isCaughtUp()));
        // Every writer's transaction is younger than the first held one, so none may be
        // projected before it ends: a later commit of the held event would land behind them.
        assertThat(Bank.appliedIn(store.jdbi(), schema + ".bal_applied"))
            .as("events projected while an older transaction is open").isEmpty();
        ProjectionStatus status = runner.status("balances").get(0);
        assertThat(status.heldBack().events()).as("committed events held back")
            .isEqualTo(writers * appendsPerWriter);
        assertThat(status.heldBack().oldestOpenTransaction()).as("the transaction holding the log back").isPresent();

        Collections.reverse(held);
        for (Connection c : held) {
          c.commit();
          c.close();
        }
        assertThat(runner.awaitCaughtUp("balances", Duration.ofSeconds(30))).isTrue();
        assertThat(runner.deadLetters("balances")).isEmpty();
      }
      List<UUID> expected = Bank.accountEventIds(store);
      assertThat(expected).hasSize(writers * appendsPerWriter + 4);
      assertThat(Bank.appliedIn(store.jdbi(), schema + ".bal_applied"))
          .as("every event written is projected exactly once")
          .containsExactlyInAnyOrderElementsOf(expected);
      assertThat(Bank.balancesIn(store.jdbi(), schema + ".bal_balances"))
          .isEqualTo(Bank.expectedBalances(store));
    }
  }

  /**
   * Appends a deposit inside the caller's open transaction, calling the store's append function
   * directly; returns its position.
   */
  private static long rawDeposit(Connection c, String schema, String stream, long cents) throws Exception {
    try (PreparedStatement ps = c.prepareStatement("SELECT status, first_position FROM " + schema
        + ".append_events(?, ?, ?, ?, ?, ?, CAST(? AS jsonb[]), CAST(? AS jsonb[]), ?)")) {
      ps.setString(1, stream);
      ps.setString(2, stream.substring(0, stream.indexOf('-')));
      ps.setLong(3, -1);
      ps.setArray(4, c.createArrayOf("uuid", new Object[] {UUID.randomUUID()}));
      ps.setArray(5, c.createArrayOf("text", new Object[] {"Deposited"}));
      ps.setArray(6, c.createArrayOf("int4", new Object[] {1}));
      ps.setArray(7, c.createArrayOf("text", new Object[] {"{\"cents\":" + cents + "}"}));
      ps.setArray(8, c.createArrayOf("text", new Object[] {"{}"}));
      // The content digest feeds the tamper-evidence chain only, which this test does not verify.
      ps.setArray(9, c.createArrayOf("bytea", new byte[][] {new byte[32]}));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        assertThat(rs.getInt(1)).as("append status").isZero();
        return rs.getLong(2);
      }
    }
  }
}
