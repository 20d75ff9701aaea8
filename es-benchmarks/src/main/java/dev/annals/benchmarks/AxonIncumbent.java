package dev.annals.benchmarks;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.annals.benchmarks.Env.Deposited;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.axonframework.common.jdbc.DataSourceConnectionProvider;
import org.axonframework.common.transaction.NoTransactionManager;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.eventhandling.TrackedEventMessage;
import org.axonframework.eventsourcing.eventstore.DomainEventStream;
import org.axonframework.eventsourcing.eventstore.jdbc.JdbcEventStorageEngine;
import org.axonframework.eventsourcing.eventstore.jdbc.PostgresEventTableFactory;
import org.axonframework.serialization.json.JacksonSerializer;

/**
 * The JVM incumbent in the benchmarks: Axon Framework 4's {@link JdbcEventStorageEngine} on
 * PostgreSQL, in a schema of its own, with its own PostgreSQL tables ({@link PostgresEventTableFactory})
 * and Jackson for payloads and metadata.
 *
 * <p>Used the plainest way, which is its fastest: the engine called directly (no unit of work,
 * no aggregate repository), {@link NoTransactionManager} on an autocommit pool, so an append is
 * the engine's batched insert in one implicit transaction, as plain JDBC's is, rewritten by the
 * driver to a multi-row insert as the baseline's is. Its batch size,
 * the page of its aggregate and log reads (100 by default), is set to the framework's page of
 * 1,000, so that both read the same rows per round trip.
 */
final class AxonIncumbent implements AutoCloseable {

  /** The system's name in the report. */
  static final String NAME = "axon";

  /** The aggregate type Axon stores with each event. */
  private static final String TYPE = "bench";

  private final HikariDataSource pool;
  private final JdbcEventStorageEngine engine;
  private final String schema;

  private AxonIncumbent(HikariDataSource pool, JdbcEventStorageEngine engine, String schema) {
    this.pool = pool;
    this.engine = engine;
    this.schema = schema;
  }

  /**
   * The engine on a pool of {@code connections} to {@code url} whose sessions work in
   * {@code schema} (made when missing, with Axon's tables).
   */
  static AxonIncumbent open(String url, String schema, int connections) throws SQLException {
    try (Connection c = java.sql.DriverManager.getConnection(url); Statement st = c.createStatement()) {
      st.execute("CREATE SCHEMA IF NOT EXISTS " + schema);
    }
    HikariConfig config = new HikariConfig();
    // Its batched inserts rewritten to multi-row inserts, as the baseline's are: the incumbent at
    // its best on this driver.
    config.setJdbcUrl(url + (url.contains("?") ? "&" : "?") + "reWriteBatchedInserts=true");
    config.setSchema(schema);
    config.setMaximumPoolSize(Math.max(2, connections));
    config.setPoolName(NAME);
    HikariDataSource pool = new HikariDataSource(config);
    try {
      JacksonSerializer serializer = JacksonSerializer.defaultSerializer();
      JdbcEventStorageEngine engine = JdbcEventStorageEngine.builder()
          .connectionProvider(new DataSourceConnectionProvider(pool))
          .transactionManager(NoTransactionManager.INSTANCE)
          .eventSerializer(serializer)
          .snapshotSerializer(serializer)
          .batchSize(LogReadWorkload.PAGE)
          .build();
      try (Connection c = pool.getConnection(); Statement st = c.createStatement()) {
        // createSchema fails when the tables exist: a second engine in one run shares the first's.
        st.execute("SELECT 1 FROM pg_tables WHERE schemaname = '" + schema + "' AND tablename = 'domainevententry'");
        if (!st.getResultSet().next()) {
          engine.createSchema(PostgresEventTableFactory.INSTANCE);
        }
      }
      return new AxonIncumbent(pool, engine, schema);
    } catch (RuntimeException | SQLException e) {
      pool.close();
      throw e;
    }
  }

  /** A writer appending {@code batch} events per call to an aggregate of its own. */
  Throughput.Writer writer(int batch, Latencies latencies) {
    return deadline -> {
      String aggregate = UUID.randomUUID().toString();
      Latencies.Recorder recorder = latencies == null ? null : latencies.recorder();
      long sequence = 0;
      while (System.nanoTime() < deadline) {
        List<EventMessage<?>> events = new ArrayList<>(batch);
        for (int k = 0; k < batch; k++) {
          events.add(new GenericDomainEventMessage<>(TYPE, aggregate, sequence + k, Workloads.EVENT));
        }
        long start = System.nanoTime();
        engine.appendEvents(events);
        if (recorder != null) {
          recorder.add(System.nanoTime() - start);
        }
        sequence += batch;
      }
      return sequence;
    };
  }

  /** Writes {@code events} events to a new aggregate, a thousand per append; returns its id. */
  String aggregateOf(int events) {
    String aggregate = UUID.randomUUID().toString();
    for (int written = 0; written < events; written += 1000) {
      List<EventMessage<?>> chunk = new ArrayList<>();
      for (int k = written; k < Math.min(events, written + 1000); k++) {
        chunk.add(new GenericDomainEventMessage<>(TYPE, aggregate, k, Workloads.EVENT));
      }
      engine.appendEvents(chunk);
    }
    return aggregate;
  }

  /** Loads an aggregate as Axon's event sourcing does: its events in order, each payload deserialized, folded. */
  Workloads.Balance load(String aggregate) {
    Workloads.Balance balance = Workloads.ACCOUNT.initialState();
    DomainEventStream events = engine.readEvents(aggregate);
    while (events.hasNext()) {
      DomainEventMessage<?> event = events.next();
      balance = Workloads.ACCOUNT.evolve(balance, (Deposited) event.getPayload());
    }
    return balance;
  }

  /**
   * Reads {@code events} events from the start of the log through the engine's tracked stream
   * (gap-aware, in pages of its batch size), leaving payloads serialized as the framework's log
   * reader does; returns how many it read.
   */
  long readLog(long events) {
    long read = 0;
    try (Stream<? extends TrackedEventMessage<?>> log = engine.readEvents(null, false)) {
      Iterator<? extends TrackedEventMessage<?>> it = log.iterator();
      while (read < events && it.hasNext()) {
        if (it.next().trackingToken() == null) {
          throw new IllegalStateException("a tracked event without a token");
        }
        read++;
      }
    }
    return read;
  }

  /**
   * Adds {@code events} rows as the engine writes them (Jackson's JSON as bytes, the payload's
   * class as its type), {@code chunk} per statement, to aggregates of 100 events whose ids begin
   * with {@code prefix}.
   */
  void fill(String prefix, long events, long chunk, String payloadJson) throws SQLException {
    String payload = payloadJson.replace("'", "''");
    try (Connection c = pool.getConnection(); Statement st = c.createStatement()) {
      for (long from = 0; from < events; from += chunk) {
        long to = Math.min(events, from + chunk) - 1;
        st.execute("INSERT INTO " + schema + ".domainevententry (eventidentifier, aggregateidentifier, "
            + "sequencenumber, type, timestamp, payload, payloadtype, payloadrevision, metadata) "
            + "SELECT md5('" + prefix + "' || g)::uuid::text, '" + prefix + "' || g / 100, g % 100, '" + prefix + "', "
            + "'2026-12-03T00:00:00.000Z', convert_to('" + payload + "', 'UTF8'), '" + Deposited.class.getName()
            + "', NULL, convert_to('{}', 'UTF8') FROM generate_series(" + from + ", " + to + ") AS g");
      }
    }
  }

  /** What autovacuum would have done to the table by now, done before measuring. */
  void vacuum() throws SQLException {
    try (Connection c = pool.getConnection(); Statement st = c.createStatement()) {
      st.execute("VACUUM ANALYZE " + schema + ".domainevententry");
    }
  }

  @Override
  public void close() {
    pool.close();
  }
}
