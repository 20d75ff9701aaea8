package dev.annals.benchmarks;

import com.zaxxer.hikari.HikariDataSource;
import dev.annals.benchmarks.Env.Deposited;
import dev.annals.core.AggregateRepository;
import dev.annals.core.AggregateType;
import dev.annals.core.CommandResult;
import dev.annals.core.Decider;
import dev.annals.core.ExpectedVersion;
import dev.annals.core.NewEvent;
import dev.annals.core.Snapshot;
import dev.annals.core.StreamId;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.postgres.PostgresSnapshotStore;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/** The workloads that measure the event store itself, each beside its plain JDBC baseline. */
final class Workloads {

  static final Deposited EVENT = new Deposited("acc-1", new BigDecimal("12.50"), "EUR");

  private final Env env;
  private final Settings settings;
  private final Consumer<String> log;

  Workloads(Env env, Settings settings, Consumer<String> log) {
    this.env = env;
    this.settings = settings;
    this.log = log;
  }

  private interface Trial {
    double run(Duration duration) throws Exception;
  }

  /** Warms both up, then alternates them trial by trial so drift hits both alike. */
  private List<Measurement> compare(String workload, String metric, String unit, boolean higherIsBetter,
      Trial framework, Trial baseline) throws Exception {
    log.accept("  " + workload + ": warming up");
    framework.run(settings.warmup());
    baseline.run(settings.warmup());
    return trials(workload, metric, unit, higherIsBetter, settings.trial(), framework, baseline);
  }

  /** The measured trials only, alternating, each {@code length} long. */
  private List<Measurement> trials(String workload, String metric, String unit, boolean higherIsBetter,
      Duration length, Trial framework, Trial baseline) throws Exception {
    List<Double> fw = new ArrayList<>();
    List<Double> base = new ArrayList<>();
    for (int t = 0; t < settings.trials(); t++) {
      if (t % 2 == 0) {
        fw.add(framework.run(length));
        base.add(baseline.run(length));
      } else {
        base.add(baseline.run(length));
        fw.add(framework.run(length));
      }
      log.accept(String.format("  %s: trial %d/%d annals %.0f, jdbc %.0f %s", workload, t + 1,
          settings.trials(), fw.get(t), base.get(t), unit));
    }
    return List.of(new Measurement(workload, "annals", metric, unit, higherIsBetter, fw),
        new Measurement(workload, "jdbc", metric, unit, higherIsBetter, base));
  }

  /** Workload 1: one event per transaction, each writer on its own stream. */
  List<Measurement> singleAppends(int writers) throws Exception {
    PostgresEventStore store = env.store(writers + 2);
    HikariDataSource base = env.baseline(writers + 2);
    return compare("1 single-event appends, " + writers + " writer" + (writers > 1 ? "s" : ""),
        "events/s", "events/s", true,
        d -> Throughput.run(writers, d, i -> annalsWriter(store, 1)),
        d -> Throughput.run(writers, d, i -> jdbcWriter(base, 1)));
  }

  /** Workload 2: 100 events per transaction. */
  List<Measurement> batchAppends(int writers) throws Exception {
    PostgresEventStore store = env.store(writers + 2);
    HikariDataSource base = env.baseline(writers + 2);
    return compare("2 batch appends (100/tx), " + writers + " writer" + (writers > 1 ? "s" : ""),
        "events/s", "events/s", true,
        d -> Throughput.run(writers, d, i -> annalsWriter(store, 100)),
        d -> Throughput.run(writers, d, i -> jdbcWriter(base, 100)));
  }

  /**
   * What workload 1 or 2 costs the server: CPU time of the backends serving one writer, per
   * event ({@link ServerCpu}). Empty, with a line in the log, when PostgreSQL is not on this host.
   */
  List<Measurement> serverCost(int batch) throws Exception {
    String label = batch == 1 ? "1 single-event appends, server CPU" : "2 batch appends (100/tx), server CPU";
    String annalsName = "annals-bench-cost-" + batch;
    String jdbcName = "annals-bench-cost-base-" + batch;
    PostgresEventStore store = env.store(2, annalsName);
    HikariDataSource base = env.baseline(2, true, jdbcName);
    // Opens a connection of each pool, so that their backends can be found.
    store.streamVersion(StreamId.of("bench", "warm"));
    try (Connection c = base.getConnection()) {
      c.isValid(1);
    }
    if (ServerCpu.ticks(env.url, annalsName).isEmpty() || ServerCpu.ticks(env.url, jdbcName).isEmpty()) {
      log.accept("  " + label + ": not measured, PostgreSQL does not run on this host");
      return List.of();
    }
    // No warm-up: workload 1 or 2 just ran the same code on both sides. Half-length trials keep
    // --quick under two minutes; CPU ticks of 10 ms still resolve them to a few percent.
    return trials(label, "server CPU/event", "µs", false, settings.trial().dividedBy(2),
        d -> perEvent(annalsName, d, annalsWriter(store, batch)),
        d -> perEvent(jdbcName, d, jdbcWriter(base, batch)));
  }

  /** Runs one writer in this thread for {@code duration}: server CPU microseconds per event. */
  private double perEvent(String applicationName, Duration duration, Throughput.Writer writer) throws Exception {
    if (duration.isZero()) {
      return 0;
    }
    long before = ServerCpu.ticks(env.url, applicationName).orElseThrow();
    long events = writer.runUntil(System.nanoTime() + duration.toNanos());
    long after = ServerCpu.ticks(env.url, applicationName).orElseThrow();
    return events == 0 ? 0 : (after - before) * ServerCpu.MICROS_PER_TICK / events;
  }

  /** A writer appending {@code batch} events per call to a stream of its own. */
  private static Throughput.Writer annalsWriter(PostgresEventStore store, int batch) {
    return deadline -> {
      StreamId stream = StreamId.of("bench", UUID.randomUUID().toString());
      long version = 0;
      while (System.nanoTime() < deadline) {
        if (batch == 1) {
          store.append(stream, ExpectedVersion.exactly(version), NewEvent.of(EVENT));
        } else {
          List<NewEvent> events = new ArrayList<>(batch);
          for (int k = 0; k < batch; k++) {
            events.add(NewEvent.of(EVENT));
          }
          store.append(stream, ExpectedVersion.exactly(version), events);
        }
        version += batch;
      }
      return version;
    };
  }

  /**
   * The baseline's writer: one autocommit insert per event, or a batched insert (rewritten to a
   * multi-row insert by the driver) and a commit per {@code batch} events.
   */
  private Throughput.Writer jdbcWriter(HikariDataSource base, int batch) {
    String insert = "INSERT INTO " + env.baselineSchema
        + ".events (stream_id, version, payload, metadata) VALUES (?, ?, CAST(? AS jsonb), CAST(? AS jsonb))";
    return deadline -> {
      String stream = "bench-" + UUID.randomUUID();
      long version = 0;
      try (Connection c = base.getConnection(); PreparedStatement ps = c.prepareStatement(insert)) {
        c.setAutoCommit(batch == 1);
        while (System.nanoTime() < deadline) {
          for (int k = 0; k < batch; k++) {
            ps.setString(1, stream);
            ps.setLong(2, ++version);
            ps.setString(3, env.registryJson(EVENT));
            ps.setString(4, "{}");
            if (batch > 1) {
              ps.addBatch();
            }
          }
          if (batch == 1) {
            ps.executeUpdate();
          } else {
            ps.executeBatch();
            c.commit();
          }
        }
      }
      return version;
    };
  }

  // Workload 3 ------------------------------------------------------------------------------

  record Add(BigDecimal amount) {}

  record Balance(BigDecimal total, long count) {}

  static final Decider<Add, Balance, Deposited> ACCOUNT = Decider.of(
      () -> new Balance(BigDecimal.ZERO, 0),
      (b, e) -> new Balance(b.total().add(e.amount()), b.count() + 1),
      (c, b) -> List.of(new Deposited("acc", c.amount(), "EUR")));

  /**
   * Workload 3: loading a long-lived aggregate. For "snapshots every N" the latest snapshot is
   * N/2 events behind the head, the average distance when loads fall anywhere between snapshots.
   * The baseline reads the same stream's rows with plain JDBC and folds them.
   */
  List<Measurement> rehydration() throws Exception {
    PostgresEventStore store = env.store(4);
    HikariDataSource base = env.baseline(2);
    int n = settings.aggregateEvents();
    StreamId stream = StreamId.of("rehydrate", UUID.randomUUID().toString());
    log.accept("  3 rehydration: writing an aggregate of " + n + " events");
    for (int written = 0; written < n; written += 1000) {
      List<NewEvent> events = new ArrayList<>();
      for (int k = 0; k < Math.min(1000, n - written); k++) {
        events.add(NewEvent.of(EVENT));
      }
      store.append(stream, ExpectedVersion.exactly(written), events);
    }
    PostgresSnapshotStore snapshots = store.snapshotStore();
    List<Measurement> out = new ArrayList<>();
    double[] noSnapshot = null;
    for (int every : new int[] {0, 100, 1000}) {
      AggregateType.Builder<Add, Balance, Deposited> type = AggregateType.builder("rehydrate", Deposited.class, ACCOUNT);
      if (every > 0) {
        type.snapshots(Balance.class, 1).snapshotEvery(every);
        long at = Math.max(1, n - every / 2);
        Balance state = new Balance(EVENT.amount().multiply(BigDecimal.valueOf(at)), at);
        snapshots.save(new Snapshot(stream, at, 1, Env.REGISTRY.toJson(state), Instant.now()));
      }
      AggregateRepository.Builder<Add, Balance, Deposited> repoBuilder = AggregateRepository
          .builder(type.build(), store).cacheSize(0);
      if (every > 0) {
        repoBuilder.snapshotStore(snapshots);
      }
      AggregateRepository<Add, Balance, Deposited> repo = repoBuilder.build();
      String label = "3 rehydrate " + n + " events, " + (every == 0 ? "no snapshots" : "snapshot every " + every);
      List<Double> fw = new ArrayList<>();
      List<Double> jdbc = new ArrayList<>();
      repo.load(stream.id());
      loadWithJdbc(base, store, stream);
      for (int t = 0; t < settings.trials(); t++) {
        fw.add(timeMillis(settings.loads(), () -> {
          Balance b = repo.load(stream.id()).state();
          if (b.count() != n) {
            throw new IllegalStateException("loaded " + b.count() + " events, expected " + n);
          }
        }));
        jdbc.add(timeMillis(settings.loads(), () -> loadWithJdbc(base, store, stream)));
      }
      log.accept(String.format("  %s: annals %.2f ms, jdbc full read %.2f ms", label, median(fw), median(jdbc)));
      out.add(new Measurement(label, "annals", "ms/load", "ms", false, fw));
      out.add(new Measurement(label, "jdbc", "ms/load", "ms", false, jdbc));
      repo.close();
    }
    return out;
  }

  private interface Action {
    void run() throws Exception;
  }

  private static double timeMillis(int times, Action action) throws Exception {
    long begin = System.nanoTime();
    for (int i = 0; i < times; i++) {
      action.run();
    }
    return (System.nanoTime() - begin) / 1e6 / times;
  }

  private static double median(List<Double> values) {
    return new Measurement("", "", "", "", true, values).median();
  }

  /** The hand-rolled load: select the stream's payloads in order, parse each, fold. */
  private void loadWithJdbc(HikariDataSource base, PostgresEventStore store, StreamId stream) throws SQLException {
    try (Connection c = base.getConnection(); PreparedStatement ps = c.prepareStatement(
        "SELECT payload::text FROM " + env.frameworkSchema + ".events WHERE stream_id = ? ORDER BY version")) {
      ps.setString(1, stream.toString());
      Balance b = ACCOUNT.initialState();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          b = ACCOUNT.evolve(b, Env.REGISTRY.fromJson(rs.getString(1), Deposited.class));
        }
      }
      if (b.count() == 0) {
        throw new IllegalStateException("baseline read nothing");
      }
    }
  }

  /** Workload 6: eight writers sending commands to one aggregate. */
  List<Measurement> contention() throws Exception {
    int writers = 8;
    PostgresEventStore store = env.store(writers + 2);
    HikariDataSource base = env.baseline(writers + 2);
    AtomicLong fwRetries = new AtomicLong();
    AtomicLong fwCommands = new AtomicLong();
    AtomicLong baseRetries = new AtomicLong();
    AtomicLong baseCommands = new AtomicLong();
    AggregateType<Add, Balance, Deposited> type = AggregateType.builder("contended", Deposited.class, ACCOUNT).build();
    String insert = "INSERT INTO " + env.baselineSchema
        + ".events (stream_id, version, payload, metadata) VALUES (?, ?, CAST(? AS jsonb), CAST(? AS jsonb))";
    List<Measurement> out = new ArrayList<>(compare("6 contention, 8 writers on one aggregate", "commands/s",
        "commands/s", true,
        d -> {
          AggregateRepository<Add, Balance, Deposited> repo = AggregateRepository.builder(type, store)
              .maxAttempts(1000).build();
          String id = UUID.randomUUID().toString();
          return Throughput.run(writers, d, i -> deadline -> {
            long done = 0;
            while (System.nanoTime() < deadline) {
              CommandResult<Balance, Deposited> r = repo.handle(id, new Add(BigDecimal.ONE));
              fwRetries.addAndGet(r.attempts() - 1);
              done++;
            }
            fwCommands.addAndGet(done);
            return done;
          });
        },
        d -> {
          String stream = "contended-" + UUID.randomUUID();
          return Throughput.run(writers, d, i -> deadline -> {
            long done = 0;
            try (Connection c = base.getConnection();
                PreparedStatement read = c.prepareStatement("SELECT coalesce(max(version), 0) FROM "
                    + env.baselineSchema + ".events WHERE stream_id = ?");
                PreparedStatement ps = c.prepareStatement(insert)) {
              while (System.nanoTime() < deadline) {
                read.setString(1, stream);
                long version;
                try (ResultSet rs = read.executeQuery()) {
                  rs.next();
                  version = rs.getLong(1);
                }
                ps.setString(1, stream);
                ps.setLong(2, version + 1);
                ps.setString(3, env.registryJson(EVENT));
                ps.setString(4, "{}");
                try {
                  ps.executeUpdate();
                  done++;
                } catch (SQLException e) {
                  if (!"23505".equals(e.getSQLState())) {
                    throw e;
                  }
                  baseRetries.incrementAndGet();
                }
              }
            }
            baseCommands.addAndGet(done);
            return done;
          });
        }));
    out.add(new Measurement("6 contention, 8 writers on one aggregate", "annals", "retries/command", "ratio",
        false, List.of(fwCommands.get() == 0 ? 0 : fwRetries.get() / (double) fwCommands.get())));
    out.add(new Measurement("6 contention, 8 writers on one aggregate", "jdbc", "retries/command", "ratio",
        false, List.of(baseCommands.get() == 0 ? 0 : baseRetries.get() / (double) baseCommands.get())));
    return out;
  }

}
