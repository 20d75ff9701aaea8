package dev.annals.benchmarks;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.annals.core.EventRegistry;
import dev.annals.postgres.GroupCommit;
import dev.annals.postgres.PostgresEventStore;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The database both systems run against in one benchmark run: a framework schema and a baseline
 * schema with a table of the same shape, created fresh and dropped at the end.
 */
final class Env implements AutoCloseable {

  /** The event every workload writes. */
  record Deposited(String account, BigDecimal amount, String currency) {}

  static final EventRegistry REGISTRY = EventRegistry.builder()
      .register(Deposited.class, "Deposited")
      .build();

  final String url;
  final String frameworkSchema;
  final String baselineSchema;
  /** The schema of {@link AxonIncumbent}'s tables. */
  final String axonSchema;
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final boolean keep;

  Env(String url, String runId, boolean keep) {
    this.url = url;
    this.frameworkSchema = "annals_bench_" + runId;
    this.baselineSchema = "annals_bench_base_" + runId;
    this.axonSchema = "annals_bench_axon_" + runId;
    this.keep = keep;
  }

  /** A framework store with its own pool of {@code connections}, in a fresh schema. */
  PostgresEventStore store(int connections) {
    return store(connections, null);
  }

  /** A framework store whose connections carry {@code applicationName} (for {@link ServerCpu}). */
  PostgresEventStore store(int connections, String applicationName) {
    return store(connections, applicationName, GroupCommit.defaults());
  }

  /** A framework store with these group commit settings. */
  PostgresEventStore store(int connections, String applicationName, GroupCommit groupCommit) {
    PostgresEventStore store = PostgresEventStore.builder(REGISTRY).jdbcUrl(withApplicationName(applicationName))
        .poolSize(Math.max(2, connections)).schema(frameworkSchema).installSchema(true)
        .groupCommit(groupCommit).build();
    closeables.add(store);
    return store;
  }

  /**
   * A framework store on {@code registry}, whose personal data (if it declares any) is encrypted
   * with keys in the schema's subject key table, unwrapped (the master key's cost is one unwrap
   * per subject per cache period, not per event).
   */
  PostgresEventStore store(EventRegistry registry, int connections) {
    PostgresEventStore.Builder b = PostgresEventStore.builder(registry).jdbcUrl(url)
        .poolSize(Math.max(2, connections)).schema(frameworkSchema).installSchema(true);
    if (registry.declaresPersonalData()) {
      b.encryptPersonalDataWithoutMasterKey();
    }
    PostgresEventStore store = b.build();
    closeables.add(store);
    return store;
  }

  /** The incumbent's engine with a pool of {@code connections}, its tables made on first use. */
  AxonIncumbent axon(int connections) throws SQLException {
    return axon(connections, null);
  }

  /** The incumbent's engine whose connections carry {@code applicationName} (for {@link ServerCpu}). */
  AxonIncumbent axon(int connections, String applicationName) throws SQLException {
    AxonIncumbent axon = AxonIncumbent.open(withApplicationName(applicationName), axonSchema, connections);
    closeables.add(axon);
    return axon;
  }

  /**
   * A plain pool on the baseline schema, whose table has the framework's shape without the
   * framework: identity position, stream id, version, unique (stream, version), jsonb payload and
   * metadata. Batched inserts are rewritten to multi-row inserts, the fastest plain JDBC has.
   */
  HikariDataSource baseline(int connections) throws SQLException {
    return baseline(connections, true);
  }

  /**
   * A baseline pool; without {@code rewriteBatches}, for batches that may touch one row twice
   * (upserts), which a rewritten multi-row insert cannot do.
   */
  HikariDataSource baseline(int connections, boolean rewriteBatches) throws SQLException {
    return baseline(connections, rewriteBatches, null);
  }

  /** A baseline pool whose connections carry {@code applicationName} (for {@link ServerCpu}). */
  HikariDataSource baseline(int connections, boolean rewriteBatches, String applicationName) throws SQLException {
    HikariConfig config = new HikariConfig();
    String named = withApplicationName(applicationName);
    config.setJdbcUrl(rewriteBatches ? named + (named.contains("?") ? "&" : "?") + "reWriteBatchedInserts=true" : named);
    config.setMaximumPoolSize(Math.max(2, connections));
    config.setPoolName("baseline");
    HikariDataSource pool = new HikariDataSource(config);
    closeables.add(pool);
    try (Connection c = pool.getConnection(); Statement st = c.createStatement()) {
      st.execute("CREATE SCHEMA IF NOT EXISTS " + baselineSchema);
      st.execute("CREATE TABLE IF NOT EXISTS " + baselineSchema + ".events ("
          + "position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, stream_id text NOT NULL, "
          + "version bigint NOT NULL, payload jsonb NOT NULL, metadata jsonb NOT NULL, "
          + "recorded_at timestamptz NOT NULL DEFAULT now(), UNIQUE (stream_id, version))");
    }
    return pool;
  }

  /**
   * The ceiling's table: a copy of the framework's events table with the same columns, defaults,
   * constraints and indexes, in the baseline schema. Plain JDBC inserts into it show what any code
   * writing the framework's row could reach, without a stream row or a hash chain. Needs the
   * framework's schema, so call it after {@link #store}.
   */
  String ceilingTable() throws SQLException {
    String table = baselineSchema + ".framework_row";
    try (Connection c = java.sql.DriverManager.getConnection(url); Statement st = c.createStatement()) {
      st.execute("CREATE SCHEMA IF NOT EXISTS " + baselineSchema);
      st.execute("CREATE TABLE IF NOT EXISTS " + table + " (LIKE " + frameworkSchema + ".events INCLUDING ALL)");
    }
    return table;
  }

  /**
   * Fills both logs (and the ceiling's and the incumbent's tables) with {@code events} events of other streams before the workloads run, so the
   * appends meet tables and indexes larger than the database's buffer cache, as on a log that has
   * been in service for a while. Filler event ids are time-ordered, as the framework makes them.
   */
  void grow(long events, Consumer<String> log) throws SQLException {
    if (events <= 0) {
      return;
    }
    store(2).close();
    baseline(2).close();
    String ceiling = ceilingTable();
    AxonIncumbent axon = axon(2);
    String payload = registryJson(Workloads.EVENT).replace("'", "''");
    long chunk = 250_000;
    long begin = System.nanoTime();
    try (Connection c = java.sql.DriverManager.getConnection(url); Statement st = c.createStatement()) {
      for (long from = 0; from < events; from += chunk) {
        long to = Math.min(events, from + chunk) - 1;
        String rows = "FROM generate_series(" + from + ", " + to + ") AS g";
        // A version 7 layout: milliseconds in front (one per filler event, in the past), random bits after.
        for (String table : List.of(frameworkSchema + ".events", ceiling)) {
          st.execute("INSERT INTO " + table + " (stream_id, category, version, event_id, type, "
              + "schema_version, payload, metadata, recorded_at, hash) SELECT 'filler-' || g / 100, 'filler', "
              + "g % 100 + 1, (lpad(to_hex(1600000000000 + g), 12, '0') || '7' || substr(md5(g::text), 1, 3) "
              + "|| '8' || substr(md5(g::text), 4, 15))::uuid, 'Deposited', 1, '" + payload + "', '{}', now(), "
              + "sha256(g::text::bytea) " + rows);
        }
        st.execute("INSERT INTO " + baselineSchema + ".events (stream_id, version, payload, metadata) "
            + "SELECT 'filler-' || g / 100, g % 100 + 1, '" + payload + "', '{}' " + rows);
        axon.fill("filler-" + from + "-", to + 1 - from, chunk, registryJson(Workloads.EVENT));
        log.accept(String.format("  growing the logs: %,d of %,d events (%.0f s)", to + 1, events,
            (System.nanoTime() - begin) / 1e9));
      }
      // What autovacuum and the checkpointer would have done by now, done before measuring.
      st.execute("VACUUM ANALYZE " + frameworkSchema + ".events");
      st.execute("VACUUM ANALYZE " + baselineSchema + ".events");
      st.execute("VACUUM ANALYZE " + ceiling);
      axon.vacuum();
      st.execute("CHECKPOINT");
    }
  }

  private String withApplicationName(String applicationName) {
    return applicationName == null ? url : url + (url.contains("?") ? "&" : "?") + "ApplicationName=" + applicationName;
  }

  /** The event as JSON, serialized each time as the framework does, so both pay for Jackson. */
  String registryJson(Object event) {
    return REGISTRY.toJson(event);
  }

  /**
   * Closes every store and pool opened so far. Called after each workload: a pool keeps its
   * connections open until closed, and a run's pools together would pass the server's
   * {@code max_connections}.
   */
  void closePools() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
    closeables.clear();
  }

  @Override
  public void close() throws Exception {
    closePools();
    if (!keep) {
      try (Connection c = java.sql.DriverManager.getConnection(url); Statement st = c.createStatement()) {
        st.execute("DROP SCHEMA IF EXISTS " + frameworkSchema + " CASCADE");
        st.execute("DROP SCHEMA IF EXISTS " + baselineSchema + " CASCADE");
        st.execute("DROP SCHEMA IF EXISTS " + axonSchema + " CASCADE");
      }
    }
  }
}
