package dev.annals.projections;

import static org.assertj.core.api.Assertions.assertThat;

import dev.annals.postgres.PostgresEventStore;
import dev.annals.testkit.PostgresTestDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The measure of the horizon fence: while a session in another database and one writing
 * other tables of the same database each hold a transaction with an id open for a minute, writers
 * append and a projector keeps up, every event projected once.
 *
 * <p>The hold lasts {@code -Dannals.test.strangerHoldSeconds} (60 by default, as the issue
 * states it).
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class StrangerTransactionsIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  static final Duration HOLD = Duration.ofSeconds(Long.getLong("annals.test.strangerHoldSeconds", 60));

  @Test
  void a_projector_keeps_up_while_transactions_that_never_append_stay_open() throws Exception {
    String schema = db.newSchema();
    try (PostgresEventStore store = Bank.store(db, schema, 4, "stranger-test");
        Connection otherDatabase = DriverManager.getConnection(
            db.jdbcUrl().replaceFirst("(//[^/]+)/[^?]*", "$1/postgres"));
        Connection sameDatabase = db.connect()) {
      try (Statement st = sameDatabase.createStatement()) {
        st.execute("CREATE TABLE " + schema + ".other_work (n int)");
      }
      otherDatabase.setAutoCommit(false);
      sameDatabase.setAutoCommit(false);
      String otherXid = xid(otherDatabase, "SELECT CAST(pg_current_xact_id() AS text)");
      try (Statement st = sameDatabase.createStatement()) {
        st.execute("INSERT INTO " + schema + ".other_work VALUES (1)");
      }
      String sameXid = xid(sameDatabase, "SELECT CAST(pg_current_xact_id() AS text)");

      // Each event's lag: from its append (recorded_at, taken inside the append's transaction)
      // to its projection (inside the projector's batch transaction), both on the database clock.
      Projector projector = Bank.balances("balances", "bal", "n", (event, ctx) -> ctx.handle().execute(
          "INSERT INTO " + schema + ".lags SELECT event_id, clock_timestamp() - recorded_at FROM "
              + schema + ".events WHERE event_id = ?", event.eventId())).batchSize(50).build();
      store.jdbi().useHandle(h -> h.execute("CREATE TABLE " + schema + ".lags (event_id uuid PRIMARY KEY, "
          + "lag interval NOT NULL)"));

      AtomicBoolean writing = new AtomicBoolean(true);
      AtomicInteger written = new AtomicInteger();
      Thread writer = new Thread(() -> {
        while (writing.get()) {
          int n = written.getAndIncrement();
          Bank.deposit(store, Bank.account(n % 17), 1);
          try {
            Thread.sleep(10);
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "writer");
      try (ProjectionRunner runner = Bank.runner(store, "n", projector).build()) {
        runner.start();
        writer.start();
        Thread.sleep(HOLD.toMillis());
        writing.set(false);
        writer.join();
        // Both strangers are still in the transaction they began with.
        assertThat(xid(otherDatabase, "SELECT CAST(pg_current_xact_id() AS text)")).isEqualTo(otherXid);
        assertThat(xid(sameDatabase, "SELECT CAST(pg_current_xact_id() AS text)")).isEqualTo(sameXid);
        assertThat(runner.awaitCaughtUp("balances", Duration.ofSeconds(60)))
            .as("caught up with the strangers still open").isTrue();
        assertThat(runner.deadLetters("balances")).isEmpty();
      } finally {
        writing.set(false);
        writer.join();
      }
      List<java.util.UUID> all = Bank.accountEventIds(store);
      assertThat(all).as("events written during the hold").hasSizeGreaterThan(100);
      assertThat(Bank.appliedIn(store.jdbi(), schema + ".bal_applied"))
          .as("every event projected exactly once").containsExactlyInAnyOrderElementsOf(all);
      double worst = store.jdbi().withHandle(h -> h.createQuery("SELECT extract(epoch FROM max(lag)) FROM "
          + schema + ".lags").mapTo(Double.class).one());
      System.out.printf("StrangerTransactionsIT: %d events over %s, worst projector lag %.3f s%n",
          all.size(), HOLD, worst);
      assertThat(worst).as("the projector's worst lag, in seconds, over %s events", all.size()).isLessThan(1.0);
      otherDatabase.rollback();
      sameDatabase.rollback();
    }
  }

  private static String xid(Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }
}
