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
import dev.annals.postgres.GroupCommit;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.postgres.PostgresSnapshotStore;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

// Over 400 lines: the append and load workloads side by side, each beside its plain JDBC baseline.
/** The workloads that measure the event store itself, each beside its plain JDBC baseline. */
final class Workloads {

  static final Deposited EVENT = new Deposited("acc-1", new BigDecimal("12.50"), "EUR");

  /**
   * Plain JDBC inserts into a copy of the framework's events table ({@link Env#ceilingTable}):
   * the most any code writing the framework's row could reach on this machine.
   */
  static final String CEILING = "ceiling";

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

  /** One system measured in a workload: its name in the report and one timed trial of it. */
  private record Contender(String system, Trial trial) {}

  /** Warms both up, then alternates them trial by trial so drift hits both alike. */
  private List<Measurement> compare(String workload, String metric, String unit, boolean higherIsBetter,
      Trial framework, Trial baseline) throws Exception {
    return compare(workload, metric, unit, higherIsBetter,
        List.of(new Contender("annals", framework), new Contender("jdbc", baseline)));
  }

  /** Warms each system up, then rotates them trial by trial so drift hits all alike. */
  private List<Measurement> compare(String workload, String metric, String unit, boolean higherIsBetter,
      List<Contender> systems) throws Exception {
    log.accept("  " + workload + ": warming up");
    for (Contender c : systems) {
      c.trial().run(settings.warmup());
    }
    return trials(workload, metric, unit, higherIsBetter, settings.trial(), systems);
  }

  /** The measured trials only, each {@code length} long; each system opens as many rounds as the others. */
  private List<Measurement> trials(String workload, String metric, String unit, boolean higherIsBetter,
      Duration length, List<Contender> systems) throws Exception {
    int n = systems.size();
    List<List<Double>> values = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      values.add(new ArrayList<>());
    }
    for (int t = 0; t < settings.trials(); t++) {
      for (int k = 0; k < n; k++) {
        int i = (t + k) % n;
        values.get(i).add(systems.get(i).trial().run(length));
      }
      StringBuilder line = new StringBuilder(String.format("  %s: trial %d/%d", workload, t + 1, settings.trials()));
      for (int i = 0; i < n; i++) {
        line.append(String.format(i == 0 ? " %s %.0f" : ", %s %.0f", systems.get(i).system(), values.get(i).get(t)));
      }
      log.accept(line.append(' ').append(unit).toString());
    }
    List<Measurement> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(new Measurement(workload, systems.get(i).system(), metric, unit, higherIsBetter, values.get(i)));
    }
    return out;
  }

  /**
   * Workload 1: one event per transaction, each writer on its own stream. With several writers
   * (the target's variant) the ceiling runs too.
   */
  List<Measurement> singleAppends(int writers) throws Exception {
    return appends("1 single-event appends, " + writers + " writer" + (writers > 1 ? "s" : ""), writers, 1);
  }

  /** Workload 2: 100 events per transaction. */
  List<Measurement> batchAppends(int writers) throws Exception {
    return appends("2 batch appends (100/tx), " + writers + " writer" + (writers > 1 ? "s" : ""), writers, 100);
  }

  /**
   * The system name of the framework with group commit off: every append in a transaction of its
   * own, as every append in a caller's transaction is.
   */
  static final String ALONE = "annals-alone";

  private List<Measurement> appends(String label, int writers, int batch) throws Exception {
    PostgresEventStore store = env.store(writers + 2);
    PostgresEventStore alone = env.store(writers + 2, null, GroupCommit.off());
    HikariDataSource base = env.baseline(writers + 2);
    AxonIncumbent axon = env.axon(writers + 2);
    // Latency per append beside throughput where group commit gathers single appends: a group
    // makes its appends wait for each other, and the p99 says how much.
    boolean latency = batch == 1;
    Map<String, Latencies> latencies = new LinkedHashMap<>();
    Map<String, List<Double>> p99 = new LinkedHashMap<>();
    List<Contender> systems = new ArrayList<>();
    systems.add(new Contender("annals", timed("annals", latency, latencies, p99,
        (d, lat) -> Throughput.run(writers, d, i -> annalsWriter(store, batch, lat)))));
    systems.add(new Contender(ALONE, timed(ALONE, latency, latencies, p99,
        (d, lat) -> Throughput.run(writers, d, i -> annalsWriter(alone, batch, lat)))));
    systems.add(new Contender("jdbc", timed("jdbc", latency, latencies, p99,
        (d, lat) -> Throughput.run(writers, d, i -> jdbcWriter(base, batch, lat)))));
    systems.add(new Contender(AxonIncumbent.NAME, timed(AxonIncumbent.NAME, latency, latencies, p99,
        (d, lat) -> Throughput.run(writers, d, i -> axon.writer(batch, lat)))));
    if (writers > 1) {
      String table = env.ceilingTable();
      systems.add(new Contender(CEILING, timed(CEILING, latency, latencies, p99,
          (d, lat) -> Throughput.run(writers, d, i -> ceilingWriter(base, table, batch, lat)))));
    }
    List<Measurement> out = new ArrayList<>(compare(label, "events/s", "events/s", true, systems));
    if (latency) {
      String latencyLabel = label + ", p99 latency";
      // The first value of each system is its warm-up's.
      p99.forEach((system, values) -> out.add(new Measurement(latencyLabel, system, "p99 latency", "ms", false,
          values.subList(1, values.size()))));
    }
    return out;
  }

  /** A trial that records each call's latency when asked to. */
  private interface TimedTrial {
    double run(Duration duration, Latencies latencies) throws Exception;
  }

  private static Trial timed(String system, boolean record, Map<String, Latencies> latencies,
      Map<String, List<Double>> p99, TimedTrial trial) {
    if (!record) {
      return d -> trial.run(d, null);
    }
    Latencies lat = latencies.computeIfAbsent(system, k -> new Latencies());
    return d -> {
      lat.clear();
      double result = trial.run(d, lat);
      p99.computeIfAbsent(system, k -> new ArrayList<>()).add(lat.percentileMillis(99));
      return result;
    };
  }

  /**
   * What workload 1 or 2 costs the server: CPU time of the backends serving one writer, per
   * event ({@link ServerCpu}), and beside it the writer thread's own CPU time per event. Empty, with a line in the log, when PostgreSQL is not on this host.
   */
  List<Measurement> serverCost(int batch) throws Exception {
    String label = batch == 1 ? "1 single-event appends, server CPU" : "2 batch appends (100/tx), server CPU";
    String annalsName = "annals-bench-cost-" + batch;
    String jdbcName = "annals-bench-cost-base-" + batch;
    String ceilingName = "annals-bench-cost-ceiling-" + batch;
    String axonName = "annals-bench-cost-axon-" + batch;
    PostgresEventStore store = env.store(2, annalsName);
    AxonIncumbent axon = env.axon(2, axonName);
    HikariDataSource base = env.baseline(2, true, jdbcName);
    HikariDataSource ceiling = env.baseline(2, true, ceilingName);
    String table = env.ceilingTable();
    // Opens a connection of each pool, so that their backends can be found (the incumbent's did
    // when it looked its tables up).
    store.streamVersion(StreamId.of("bench", "warm"));
    for (HikariDataSource pool : List.of(base, ceiling)) {
      try (Connection c = pool.getConnection()) {
        c.isValid(1);
      }
    }
    if (ServerCpu.ticks(env.url, annalsName).isEmpty() || ServerCpu.ticks(env.url, jdbcName).isEmpty()
        || ServerCpu.ticks(env.url, ceilingName).isEmpty() || ServerCpu.ticks(env.url, axonName).isEmpty()) {
      log.accept("  " + label + ": not measured, PostgreSQL does not run on this host");
      return List.of();
    }
    // No warm-up: workload 1 or 2 just ran the same code on all sides. Trials shorter than the
    // workload's keep --quick under two minutes; CPU ticks of 10 ms still resolve them to a few
    // percent.
    Map<String, List<Double>> client = new LinkedHashMap<>();
    List<Contender> systems = List.of(
        new Contender("annals", d -> perEvent(annalsName, d, annalsWriter(store, batch), client, "annals")),
        new Contender("jdbc", d -> perEvent(jdbcName, d, jdbcWriter(base, batch), client, "jdbc")),
        new Contender(CEILING, d -> perEvent(ceilingName, d, ceilingWriter(ceiling, table, batch), client, CEILING)),
        new Contender(AxonIncumbent.NAME, d -> perEvent(axonName, d, axon.writer(batch, null), client,
            AxonIncumbent.NAME)));
    List<Measurement> out = new ArrayList<>(
        trials(label, "server CPU/event", "µs", false, settings.costTrial(), systems));
    String clientLabel = label.replace("server CPU", "client CPU");
    client.forEach((system, values) ->
        out.add(new Measurement(clientLabel, system, "client CPU/event", "µs", false, values)));
    return out;
  }

  /**
   * Runs one writer in this thread for {@code duration}: server CPU microseconds per event, and
   * this thread's own CPU microseconds per event added to {@code client} under {@code system}.
   */
  private double perEvent(String applicationName, Duration duration, Throughput.Writer writer,
      Map<String, List<Double>> client, String system) throws Exception {
    if (duration.isZero()) {
      return 0;
    }
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long before = ServerCpu.ticks(env.url, applicationName).orElseThrow();
    long clientBefore = threads.getCurrentThreadCpuTime();
    long events = writer.runUntil(System.nanoTime() + duration.toNanos());
    long clientAfter = threads.getCurrentThreadCpuTime();
    long after = ServerCpu.ticks(env.url, applicationName).orElseThrow();
    client.computeIfAbsent(system, k -> new ArrayList<>())
        .add(events == 0 ? 0 : (clientAfter - clientBefore) / 1e3 / events);
    return events == 0 ? 0 : (after - before) * ServerCpu.MICROS_PER_TICK / events;
  }

  /** A writer appending {@code batch} events per call to a stream of its own. */
  private static Throughput.Writer annalsWriter(PostgresEventStore store, int batch) {
    return annalsWriter(store, batch, null);
  }

  /** As above, recording each call's latency into {@code latencies} when not null. */
  private static Throughput.Writer annalsWriter(PostgresEventStore store, int batch, Latencies latencies) {
    return deadline -> {
      StreamId stream = StreamId.of("bench", UUID.randomUUID().toString());
      Latencies.Recorder recorder = latencies == null ? null : latencies.recorder();
      long version = 0;
      while (System.nanoTime() < deadline) {
        if (batch == 1) {
          long start = System.nanoTime();
          store.append(stream, ExpectedVersion.exactly(version), NewEvent.of(EVENT));
          if (recorder != null) {
            recorder.add(System.nanoTime() - start);
          }
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

  /** The baseline's writer: the minimal row of the baseline. */
  Throughput.Writer jdbcWriter(HikariDataSource base, int batch) {
    return jdbcWriter(base, batch, null);
  }

  private Throughput.Writer jdbcWriter(HikariDataSource base, int batch, Latencies latencies) {
    return plainWriter(base, batch, latencies, "INSERT INTO " + env.baselineSchema
        + ".events (stream_id, version, payload, metadata) VALUES (?, ?, CAST(? AS jsonb), CAST(? AS jsonb))",
        (ps, stream, version) -> {
          ps.setString(1, stream);
          ps.setLong(2, version);
          ps.setString(3, env.registryJson(EVENT));
          ps.setString(4, "{}");
        });
  }

  /**
   * The ceiling's writer: the framework's whole row, written as plainly as the baseline writes its
   * own, with a time-ordered event id as the framework makes them. The hash column gets a fixed
   * value: the ceiling has no chain to compute.
   */
  private Throughput.Writer ceilingWriter(HikariDataSource base, String table, int batch) {
    return ceilingWriter(base, table, batch, null);
  }

  private Throughput.Writer ceilingWriter(HikariDataSource base, String table, int batch, Latencies latencies) {
    byte[] hash = new byte[32];
    return plainWriter(base, batch, latencies, "INSERT INTO " + table + " (stream_id, category, version, event_id, type, "
        + "schema_version, payload, metadata, recorded_at, hash) "
        + "VALUES (?, 'bench', ?, ?, 'Deposited', 1, CAST(? AS jsonb), CAST(? AS jsonb), clock_timestamp(), ?)",
        (ps, stream, version) -> {
          ps.setString(1, stream);
          ps.setLong(2, version);
          ps.setObject(3, NewEvent.of(EVENT).eventId());
          ps.setString(4, env.registryJson(EVENT));
          ps.setString(5, "{}");
          ps.setBytes(6, hash);
        });
  }

  /** Sets one row's parameters of a plain writer's insert. */
  private interface RowBinder {
    void bind(PreparedStatement ps, String stream, long version) throws SQLException;
  }

  /**
   * A plain JDBC writer on a stream of its own: one autocommit insert per event, or a batched
   * insert (rewritten to a multi-row insert by the driver) and a commit per {@code batch} events.
   */
  private static Throughput.Writer plainWriter(HikariDataSource base, int batch, Latencies latencies,
      String insert, RowBinder binder) {
    return deadline -> {
      String stream = "bench-" + UUID.randomUUID();
      Latencies.Recorder recorder = latencies == null ? null : latencies.recorder();
      long version = 0;
      try (Connection c = base.getConnection(); PreparedStatement ps = c.prepareStatement(insert)) {
        c.setAutoCommit(batch == 1);
        while (System.nanoTime() < deadline) {
          for (int k = 0; k < batch; k++) {
            binder.bind(ps, stream, ++version);
            if (batch > 1) {
              ps.addBatch();
            }
          }
          if (batch == 1) {
            long start = System.nanoTime();
            ps.executeUpdate();
            if (recorder != null) {
              recorder.add(System.nanoTime() - start);
            }
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
    AxonIncumbent axon = env.axon(2);
    String axonAggregate = axon.aggregateOf(n);
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
      List<Double> incumbent = new ArrayList<>();
      repo.load(stream.id());
      loadWithJdbc(base, store, stream);
      // The incumbent loads without snapshots only: its snapshots need its aggregate model.
      boolean withAxon = every == 0;
      if (withAxon) {
        loadWithAxon(axon, axonAggregate, n);
      }
      for (int t = 0; t < settings.trials(); t++) {
        fw.add(timeMillis(settings.loads(), () -> {
          Balance b = repo.load(stream.id()).state();
          if (b.count() != n) {
            throw new IllegalStateException("loaded " + b.count() + " events, expected " + n);
          }
        }));
        jdbc.add(timeMillis(settings.loads(), () -> loadWithJdbc(base, store, stream)));
        if (withAxon) {
          incumbent.add(timeMillis(settings.loads(), () -> loadWithAxon(axon, axonAggregate, n)));
        }
      }
      log.accept(String.format("  %s: annals %.2f ms, jdbc full read %.2f ms%s", label, median(fw), median(jdbc),
          withAxon ? String.format(", axon %.2f ms", median(incumbent)) : ""));
      out.add(new Measurement(label, "annals", "ms/load", "ms", false, fw));
      out.add(new Measurement(label, "jdbc", "ms/load", "ms", false, jdbc));
      if (withAxon) {
        out.add(new Measurement(label, AxonIncumbent.NAME, "ms/load", "ms", false, incumbent));
      }
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

  private static void loadWithAxon(AxonIncumbent axon, String aggregate, int events) {
    long loaded = axon.load(aggregate).count();
    if (loaded != events) {
      throw new IllegalStateException("axon loaded " + loaded + " events, expected " + events);
    }
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
    PostgresEventStore alone = env.store(writers + 2, null, GroupCommit.off());
    HikariDataSource base = env.baseline(writers + 2);
    AtomicLong fwRetries = new AtomicLong();
    AtomicLong fwCommands = new AtomicLong();
    AtomicLong aloneRetries = new AtomicLong();
    AtomicLong aloneCommands = new AtomicLong();
    AtomicLong baseRetries = new AtomicLong();
    AtomicLong baseCommands = new AtomicLong();
    AggregateType<Add, Balance, Deposited> type = AggregateType.builder("contended", Deposited.class, ACCOUNT).build();
    String insert = "INSERT INTO " + env.baselineSchema
        + ".events (stream_id, version, payload, metadata) VALUES (?, ?, CAST(? AS jsonb), CAST(? AS jsonb))";
    List<Measurement> out = new ArrayList<>(compare("6 contention, 8 writers on one aggregate", "commands/s",
        "commands/s", true, List.of(
        new Contender("annals", d -> contended(type, store, writers, d, fwRetries, fwCommands)),
        new Contender(ALONE, d -> contended(type, alone, writers, d, aloneRetries, aloneCommands)),
        new Contender("jdbc", d -> {
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
        }))));
    out.add(new Measurement("6 contention, 8 writers on one aggregate", "annals", "retries/command", "ratio",
        false, List.of(fwCommands.get() == 0 ? 0 : fwRetries.get() / (double) fwCommands.get())));
    out.add(new Measurement("6 contention, 8 writers on one aggregate", ALONE, "retries/command", "ratio",
        false, List.of(aloneCommands.get() == 0 ? 0 : aloneRetries.get() / (double) aloneCommands.get())));
    out.add(new Measurement("6 contention, 8 writers on one aggregate", "jdbc", "retries/command", "ratio",
        false, List.of(baseCommands.get() == 0 ? 0 : baseRetries.get() / (double) baseCommands.get())));
    return out;
  }

  /** Workload 6's framework side: writers sending commands to one new aggregate through a repository. */
  private static double contended(AggregateType<Add, Balance, Deposited> type, PostgresEventStore store, int writers,
      Duration d, AtomicLong retries, AtomicLong commands) throws Exception {
    AggregateRepository<Add, Balance, Deposited> repo = AggregateRepository.builder(type, store)
        .maxAttempts(1000).build();
    String id = UUID.randomUUID().toString();
    return Throughput.run(writers, d, i -> deadline -> {
      long done = 0;
      while (System.nanoTime() < deadline) {
        CommandResult<Balance, Deposited> r = repo.handle(id, new Add(BigDecimal.ONE));
        retries.addAndGet(r.attempts() - 1);
        done++;
      }
      commands.addAndGet(done);
      return done;
    });
  }
}
