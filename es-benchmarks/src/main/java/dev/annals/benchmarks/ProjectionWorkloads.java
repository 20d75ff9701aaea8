package dev.annals.benchmarks;

import com.zaxxer.hikari.HikariDataSource;
import dev.annals.benchmarks.Env.Deposited;
import dev.annals.core.ExpectedVersion;
import dev.annals.core.LogFilter;
import dev.annals.core.NewEvent;
import dev.annals.core.RecordedEvent;
import dev.annals.core.StreamId;
import dev.annals.postgres.LogCursor;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.projections.ProjectionRunner;
import dev.annals.projections.Projector;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;


/** Workloads 4 and 5: a projector building a read model, beside a hand-rolled JDBC projector. */
final class ProjectionWorkloads {

  private static final int ACCOUNTS = 1000;

  private final Env env;
  private final Settings settings;
  private final Consumer<String> log;

  ProjectionWorkloads(Env env, Settings settings, Consumer<String> log) {
    this.env = env;
    this.settings = settings;
    this.log = log;
  }

  /** The read model both systems build: a balance per account, upserted per event. */
  private Projector balances(String name, String table, String category) {
    return Projector.builder(name)
        .filter(LogFilter.categories(category))
        .tables(table)
        .batchSize(1000)
        .setup(t -> t.handle().execute("CREATE TABLE " + t.table(table)
            + " (account text PRIMARY KEY, amount numeric NOT NULL, seq bigint NOT NULL)"))
        // The baseline's upserts, the same plain JDBC batch on the handle's connection, so that the
        // comparison is of what surrounds them: reading, decoding, checkpointing.
        .batchHandler((events, t) -> {
          try (PreparedStatement upsert = t.handle().getConnection().prepareStatement("INSERT INTO "
              + t.table(table) + " AS b VALUES (?, ?, ?) "
              + "ON CONFLICT (account) DO UPDATE SET amount = b.amount + excluded.amount, seq = excluded.seq")) {
            for (RecordedEvent event : events) {
              upsert.setString(1, event.streamId().id());
              upsert.setBigDecimal(2, event.payload(Deposited.class).amount());
              upsert.setLong(3, event.position());
              upsert.addBatch();
            }
            upsert.executeBatch();
          } catch (SQLException e) {
            throw new IllegalStateException("upserting balances failed", e);
          }
        })
        .build();
  }

  private String baselineTables(HikariDataSource base) throws Exception {
    String table = env.baselineSchema + ".balances";
    try (Connection c = base.getConnection(); Statement st = c.createStatement()) {
      st.execute("CREATE TABLE IF NOT EXISTS " + table
          + " (account text PRIMARY KEY, amount numeric NOT NULL, seq bigint NOT NULL)");
      st.execute("CREATE TABLE IF NOT EXISTS " + env.baselineSchema + ".checkpoint (id int PRIMARY KEY, position bigint NOT NULL)");
      st.execute("TRUNCATE " + table);
      st.execute("DELETE FROM " + env.baselineSchema + ".checkpoint");
      st.execute("INSERT INTO " + env.baselineSchema + ".checkpoint VALUES (1, 0)");
    }
    return table;
  }

  /**
   * The hand-rolled projector: read the next page by position, upsert each event in a JDBC batch
   * and move the checkpoint, in one transaction. Not gap-safe; that is the point of comparison.
   * Returns events processed.
   */
  private long baselineCatchUp(HikariDataSource base, String table, long untilPosition) throws Exception {
    return baselineCatchUp(base, table, untilPosition, "acct");
  }

  private long baselineCatchUp(HikariDataSource base, String table, long untilPosition, String category)
      throws Exception {
    long done = 0;
    try (Connection c = base.getConnection();
        PreparedStatement read = c.prepareStatement("SELECT position, stream_id, payload::text FROM "
            + env.frameworkSchema + ".events WHERE position > ? AND category = ? ORDER BY position LIMIT 1000");
        PreparedStatement upsert = c.prepareStatement("INSERT INTO " + table + " AS b VALUES (?, ?, ?) "
            + "ON CONFLICT (account) DO UPDATE SET amount = b.amount + excluded.amount, seq = excluded.seq");
        PreparedStatement checkpoint = c.prepareStatement("UPDATE " + env.baselineSchema
            + ".checkpoint SET position = ? WHERE id = 1")) {
      c.setAutoCommit(false);
      long position;
      try (Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT position FROM " + env.baselineSchema + ".checkpoint WHERE id = 1")) {
        rs.next();
        position = rs.getLong(1);
      }
      while (position < untilPosition) {
        read.setLong(1, position);
        read.setString(2, category);
        int n = 0;
        try (ResultSet rs = read.executeQuery()) {
          while (rs.next()) {
            position = rs.getLong(1);
            Deposited d = Env.REGISTRY.fromJson(rs.getString(3), Deposited.class);
            String stream = rs.getString(2);
            upsert.setString(1, stream.substring(stream.indexOf('-') + 1));
            upsert.setBigDecimal(2, d.amount());
            upsert.setLong(3, position);
            upsert.addBatch();
            n++;
          }
        }
        if (n == 0) {
          c.rollback();
          break;
        }
        upsert.executeBatch();
        checkpoint.setLong(1, position);
        checkpoint.executeUpdate();
        c.commit();
        done += n;
      }
    }
    return done;
  }

  /** Workload 4: catching up on a log from position 0. */
  List<Measurement> catchUp() throws Exception {
    PostgresEventStore store = env.store(4);
    HikariDataSource base = env.baseline(2, false);
    int n = settings.catchUpEvents();
    log.accept("  4 catch-up: writing " + n + " events");
    long written = 0;
    long[] version = new long[ACCOUNTS];
    while (written < n) {
      int account = (int) (written / 1000 % ACCOUNTS);
      List<NewEvent> batch = new ArrayList<>();
      for (int k = 0; k < 1000 && written + k < n; k++) {
        batch.add(NewEvent.of(Workloads.EVENT));
      }
      store.append(StreamId.of("acct", "a" + account), ExpectedVersion.exactly(version[account]), batch);
      version[account] += batch.size();
      written += batch.size();
    }
    long head = store.headPosition();
    // Fresh statistics, as autovacuum would have gathered on a log in service: without them the
    // baseline's query plan reads every remaining event per page (the framework's reader is
    // immune), which would flatter the ratio.
    try (Connection c = base.getConnection(); Statement st = c.createStatement()) {
      st.execute("ANALYZE " + env.frameworkSchema + ".events");
    }
    Projector projector = balances("bench_catchup", "catchup_balances", "acct");
    String label = "4 projection catch-up from 0, " + n + " events";
    List<Double> fw = new ArrayList<>();
    List<Double> jdbc = new ArrayList<>();
    try (ProjectionRunner runner = ProjectionRunner.builder(store).projector(projector)
        .installSchema(true).build()) {
      int trials = Math.min(settings.trials(), 3);
      for (int t = 0; t < trials; t++) {
        if (t > 0) {
          runner.reset(projector.name(), LogCursor.START);
        }
        long begin = System.nanoTime();
        long processed = runner.catchUp(projector.name());
        fw.add(processed / ((System.nanoTime() - begin) / 1e9));
        String table = baselineTables(base);
        begin = System.nanoTime();
        long done = baselineCatchUp(base, table, head);
        jdbc.add(done / ((System.nanoTime() - begin) / 1e9));
        log.accept(String.format("  %s: trial %d/%d annals %.0f, jdbc %.0f events/s", label, t + 1, trials,
            fw.get(t), jdbc.get(t)));
        if (processed != n || done != n) {
          throw new IllegalStateException("caught up on " + processed + " (annals) and " + done
              + " (jdbc) events, expected " + n);
        }
      }
    }
    return List.of(new Measurement(label, "annals", "events/s", "events/s", true, fw),
        new Measurement(label, "jdbc", "events/s", "events/s", true, jdbc));
  }

  /** Workload 5: how long after its append an event shows in the read model, at a steady rate. */
  List<Measurement> latency() throws Exception {
    PostgresEventStore store = env.store(6);
    HikariDataSource base = env.baseline(3, false);
    Projector projector = balances("bench_latency", "latency_balances", "lat");
    String label = "5 append-to-view latency at " + settings.latencyRate() + " events/s";
    Duration duration = settings.trial().multipliedBy(2);
    List<Measurement> out = new ArrayList<>();
    try (ProjectionRunner runner = ProjectionRunner.builder(store).projector(projector)
        .installSchema(true).pollInterval(Duration.ofMillis(1), Duration.ofMillis(50)).build()) {
      runner.start();
      // Warm-up, discarded: the first seconds of a fresh JVM are spent compiling, on the same two
      // cores the measured systems need.
      measureLatency(store, settings.warmup(), () -> maxSeq(base, env.frameworkSchema + ".latency_balances"));
      double[] fw = measureLatency(store, duration, () -> maxSeq(base, env.frameworkSchema + ".latency_balances"));
      runner.close();
      String table = baselineTables(base);
      AtomicBoolean running = new AtomicBoolean(true);
      Thread handRolled = new Thread(() -> {
        long head = 0;
        while (running.get()) {
          try {
            head = store.headPosition();
            baselineCatchUp(base, table, head, "lat");
            Thread.sleep(5);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        }
      }, "bench-hand-rolled-projector");
      // The hand-rolled projector starts after what the framework run wrote.
      try (Connection c = base.getConnection(); Statement st = c.createStatement()) {
        st.execute("UPDATE " + env.baselineSchema + ".checkpoint SET position = " + store.headPosition());
      }
      handRolled.start();
      double[] jdbc;
      try {
        measureLatency(store, settings.warmup(), () -> maxSeq(base, table));
        jdbc = measureLatency(store, duration, () -> maxSeq(base, table));
      } finally {
        running.set(false);
        handRolled.join(10_000);
      }
      String[] names = {"p50", "p99", "max"};
      for (int i = 0; i < 3; i++) {
        out.add(new Measurement(label, "annals", "latency " + names[i], "ms", false, List.of(fw[i])));
        out.add(new Measurement(label, "jdbc", "latency " + names[i], "ms", false, List.of(jdbc[i])));
      }
      log.accept(String.format("  %s: annals p50 %.1f p99 %.1f max %.1f ms; hand-rolled polling every 5 ms p50 %.1f p99 %.1f max %.1f ms",
          label, fw[0], fw[1], fw[2], jdbc[0], jdbc[1], jdbc[2]));
    }
    return out;
  }

  private interface SeqProbe {
    long maxSeq() throws Exception;
  }

  private static long maxSeq(HikariDataSource base, String table) throws Exception {
    try (Connection c = base.getConnection(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT coalesce(max(seq), 0) FROM " + table)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /**
   * One writer appends at a steady rate and notes when each append returned; a watcher polls the
   * read model's highest applied position every millisecond and notes when each event became
   * visible (so latencies are accurate to about 1 ms).
   */
  private double[] measureLatency(PostgresEventStore store, Duration duration, SeqProbe probe) throws Exception {
    int rate = settings.latencyRate();
    int count = (int) Math.max(1, rate * duration.toMillis() / 1000);
    long[] positions = new long[count];
    long[] appendedAt = new long[count];
    AtomicLong written = new AtomicLong();
    Thread writer = new Thread(() -> {
      long start = System.nanoTime();
      long period = 1_000_000_000L / rate;
      for (int i = 0; i < count; i++) {
        long due = start + i * period;
        long wait = due - System.nanoTime();
        if (wait > 0) {
          LockSupport.parkNanos(wait);
        }
        // Its own category, so the projector does not first catch up on workload 4's events.
        StreamId stream = StreamId.of("lat", "l" + (i % 50));
        positions[i] = store.append(stream, ExpectedVersion.any(),
            NewEvent.of(new Deposited("x", BigDecimal.ONE, "EUR"))).lastPosition();
        appendedAt[i] = System.nanoTime();
        written.set(i + 1);
      }
    }, "bench-steady-writer");
    writer.start();
    long[] visibleAt = new long[count];
    int seen = 0;
    long deadline = System.nanoTime() + duration.toNanos() + Duration.ofSeconds(30).toNanos();
    while (seen < count && System.nanoTime() < deadline) {
      long max = probe.maxSeq();
      long now = System.nanoTime();
      while (seen < written.get() && positions[seen] != 0 && positions[seen] <= max) {
        visibleAt[seen++] = now;
      }
      // Every millisecond: finer polling resolves nothing more, but its queries would take a
      // good part of a 2-core machine from the systems being measured.
      LockSupport.parkNanos(1_000_000);
    }
    writer.join();
    if (seen < count) {
      throw new IllegalStateException("only " + seen + " of " + count + " events reached the read model");
    }
    double[] latencies = new double[count];
    for (int i = 0; i < count; i++) {
      latencies[i] = Math.max(0, visibleAt[i] - appendedAt[i]) / 1e6;
    }
    Arrays.sort(latencies);
    return new double[] {latencies[count / 2], latencies[Math.min(count - 1, (int) Math.ceil(count * 0.99) - 1)],
        latencies[count - 1]};
  }
}
