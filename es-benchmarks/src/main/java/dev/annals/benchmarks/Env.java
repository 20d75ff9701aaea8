package dev.annals.benchmarks;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.annals.core.EventRegistry;
import dev.annals.postgres.PostgresEventStore;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

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
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final boolean keep;

  Env(String url, String runId, boolean keep) {
    this.url = url;
    this.frameworkSchema = "annals_bench_" + runId;
    this.baselineSchema = "annals_bench_base_" + runId;
    this.keep = keep;
  }

  /** A framework store with its own pool of {@code connections}, in a fresh schema. */
  PostgresEventStore store(int connections) {
    PostgresEventStore store = PostgresEventStore.builder(REGISTRY).jdbcUrl(url)
        .poolSize(Math.max(2, connections)).schema(frameworkSchema).installSchema(true).build();
    closeables.add(store);
    return store;
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
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(rewriteBatches ? url + (url.contains("?") ? "&" : "?") + "reWriteBatchedInserts=true" : url);
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

  /** The event as JSON, serialized each time as the framework does, so both pay for Jackson. */
  String registryJson(Object event) {
    return REGISTRY.toJson(event);
  }

  @Override
  public void close() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
    if (!keep) {
      try (Connection c = java.sql.DriverManager.getConnection(url); Statement st = c.createStatement()) {
        st.execute("DROP SCHEMA IF EXISTS " + frameworkSchema + " CASCADE");
        st.execute("DROP SCHEMA IF EXISTS " + baselineSchema + " CASCADE");
      }
    }
  }
}
