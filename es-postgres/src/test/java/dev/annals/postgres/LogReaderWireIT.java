package dev.annals.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.annals.core.ExpectedVersion;
import dev.annals.core.LogFilter;
import dev.annals.core.NewEvent;
import dev.annals.core.StreamId;
import dev.annals.testkit.Await;
import dev.annals.testkit.ContractEvents;
import dev.annals.testkit.ContractEvents.ItemAdded;
import dev.annals.testkit.PostgresTestDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** What the gap-safe reader sends to PostgreSQL: how many round trips, and which plan. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class LogReaderWireIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  @Test
  void each_read_of_the_log_is_one_round_trip() throws Exception {
    String schema = db.newSchema();
    try (PostgresEventStore store = PostgresEventStore.builder(ContractEvents.registry())
        .jdbcUrl(db.jdbcUrl()).schema(schema).installSchema(true).notifyInterval(Duration.ZERO).build()) {
      for (int i = 0; i < 5; i++) {
        store.append(StreamId.of(i % 2 == 0 ? "cart" : "order", "n" + i), ExpectedVersion.any(),
            NewEvent.of(new ItemAdded("e" + i, 1)));
      }
      try (WireTap tap = new WireTap(db.jdbcUrl());
          Connection connection = DriverManager.getConnection(tap.url());
          Notifications notifications = new Notifications(db.dataSource(), schema, Duration.ZERO)) {
        LogReader reader = new LogReader(Jdbi.create(connection), schema, notifications);
        String jitBefore;
        try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery("SHOW jit")) {
          rs.next();
          jitBefore = rs.getString(1);
        }
        List<Long> tripsPerRead = new ArrayList<>();
        List<String> names = new ArrayList<>();
        // Any open transaction in the cluster (another test's) holds reads back, so read until all
        // five are visible; every read counts, whether it found anything or not.
        Await.until("all five events are visible to the reader", Duration.ofSeconds(60), () -> {
          long before = tap.roundTrips();
          LogBatch batch = reader.read(LogCursor.START, 100);
          tripsPerRead.add(tap.roundTrips() - before);
          return batch.events().size() == 5;
        });
        // Past the driver's threshold for server-prepared statements, and with every kind of
        // condition the query can have.
        for (int i = 0; i < 8; i++) {
          long before = tap.roundTrips();
          LogBatch batch = reader.read(LogCursor.START, 100, LogFilter.categories("cart"),
              new LogPartition(0, 1 + i % 2));
          tripsPerRead.add(tap.roundTrips() - before);
          if (i == 0) {
            batch.events().forEach(e -> names.add(
                ((ItemAdded) e.decode(ContractEvents.registry()).payload()).name()));
          }
        }
        assertThat(tripsPerRead).as("round trips of each read").isNotEmpty().containsOnly(1L);
        assertThat(names).containsExactly("e0", "e2", "e4");
        assertThat(connection.getAutoCommit()).as("the reader leaves the connection as it was").isTrue();
        try (Statement st = connection.createStatement();
            ResultSet rs = st.executeQuery("SELECT current_setting('enable_sort'), current_setting('jit')")) {
          rs.next();
          assertThat(rs.getString(1)).as("the planner setting ends with the read").isEqualTo("on");
          assertThat(rs.getString(2)).as("so does the JIT setting").isEqualTo(jitBefore);
        }
      }
    }
  }

  // The reader's query must follow the (transaction_id, position) index on a log the planner has
  // no statistics for (just loaded or restored), where it would otherwise sort: see LogReader.
  @Test
  void the_read_follows_the_reader_order_index_on_a_log_never_analyzed() throws Exception {
    String schema = db.newSchema();
    PostgresEventStore.builder(ContractEvents.registry()).jdbcUrl(db.jdbcUrl()).schema(schema)
        .installSchema(true).notifyInterval(Duration.ZERO).build().close();
    try (Connection c = db.connect(); Statement st = c.createStatement()) {
      // Autovacuum would analyze the table a while after the load; this test needs it never analyzed.
      st.execute("ALTER TABLE " + schema + ".events SET (autovacuum_enabled = false)");
      for (int chunk = 0; chunk < 10; chunk++) {
        st.execute("INSERT INTO " + schema + ".events (stream_id, category, version, event_id, type, "
            + "schema_version, payload, metadata, recorded_at, hash) SELECT 'cart-s' || g / 100, 'cart', "
            + "g % 100 + 1, md5(g::text)::uuid, 'ItemAdded', 1, '{\"name\":\"x\",\"quantity\":1}', '{}', "
            + "now(), sha256(g::text::bytea) FROM generate_series(" + chunk * 10_000 + ", "
            + (chunk * 10_000 + 9_999) + ") AS g");
      }
      try (ResultSet rs = st.executeQuery("SELECT coalesce(last_analyze, last_autoanalyze) IS NULL "
          + "FROM pg_stat_user_tables WHERE schemaname = '" + schema + "' AND relname = 'events'")) {
        assertThat(rs.next() && rs.getBoolean(1)).as("the log was never analyzed").isTrue();
      }
      for (LogFilter filter : List.of(LogFilter.all(), LogFilter.categories("cart"),
          LogFilter.types("ItemAdded"))) {
        String plan = explain(c, LogReader.PLANNER_SETTING + "; EXPLAIN "
            + LogReader.query(schema, filter, LogPartition.ALL), filter);
        assertThat(plan).as("the plan for %s", filter).contains("Index Scan using events_reader_order")
            .doesNotContain("Sort");
      }
      // The trap the setting guards against: a filtered read, planned without it, sorts.
      LogFilter filter = LogFilter.categories("cart");
      String unguarded = explain(c, "SELECT 1; EXPLAIN " + LogReader.query(schema, filter, LogPartition.ALL),
          filter);
      assertThat(unguarded).as("the plan without the setting").contains("Sort");
    }
  }

  private static String explain(Connection c, String sql, LogFilter filter) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      LogReader.bind(ps, LogCursor.START, 1000, filter, LogPartition.ALL);
      ps.execute();
      assertThat(ps.getMoreResults()).as("EXPLAIN gives a result").isTrue();
      StringBuilder plan = new StringBuilder();
      try (ResultSet rs = ps.getResultSet()) {
        while (rs.next()) {
          plan.append(rs.getString(1)).append('\n');
        }
      }
      return plan.toString();
    }
  }
}
