package dev.annals.benchmarks;

import com.zaxxer.hikari.HikariDataSource;
import dev.annals.postgres.LogBatch;
import dev.annals.postgres.LogCursor;
import dev.annals.postgres.LogReader;
import dev.annals.postgres.PostgresEventStore;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * Workload 7: reading the log from the start in pages of 1,000 with no handler, through the
 * gap-safe {@link LogReader}, beside a plain JDBC reader paging by position over the baseline's
 * table, as the ceiling, the same plain reader over the framework's table reading the
 * framework's row, and the incumbent's tracked event stream ({@link AxonIncumbent}). All read the
 * same number of events and turn each row into an object.
 */
final class LogReadWorkload {

  static final int PAGE = 1000;
  /** Events per statement (one transaction each) when filling the logs. */
  private static final int FILL_CHUNK = 10_000;

  private final Env env;
  private final Settings settings;
  private final Consumer<String> log;

  LogReadWorkload(Env env, Settings settings, Consumer<String> log) {
    this.env = env;
    this.settings = settings;
    this.log = log;
  }

  /** A row as the plain reader keeps it: its table's columns, the payload still as JSON. */
  record Row(long position, String streamId, long version, String payload, String metadata,
      Instant recordedAt) {}

  /** The ceiling's row: the baseline's columns and the framework's others. */
  record FrameworkRow(Row row, long transactionId, UUID eventId, String type, int schemaVersion) {}

  private interface Reader {
    /** Reads {@code events} events from the start of the log; returns how many it read. */
    long read(long events) throws Exception;
  }

  List<Measurement> run() throws Exception {
    PostgresEventStore store = env.store(2);
    HikariDataSource base = env.baseline(2);
    AxonIncumbent axon = env.axon(2);
    long n = settings.logReadEvents();
    fill(n, axon);
    LogReader reader = store.logReader();
    Reader annals = events -> {
      long read = 0;
      LogCursor cursor = LogCursor.START;
      while (read < events) {
        LogBatch batch = reader.read(cursor, (int) Math.min(PAGE, events - read));
        if (batch.isEmpty()) {
          break;
        }
        read += batch.events().size();
        cursor = batch.next();
      }
      return read;
    };
    Reader jdbc = events -> plainRead(base, events, false);
    Reader ceiling = events -> plainRead(base, events, true);
    Reader incumbent = axon::readLog;
    String label = "7 log read, " + n + " events in pages of " + PAGE;
    log.accept("  " + label + ": warming up");
    long warm = Math.min(n, 200_000);
    List<String> systems = List.of("annals", "jdbc", Workloads.CEILING, AxonIncumbent.NAME);
    List<Reader> readers = List.of(annals, jdbc, ceiling, incumbent);
    List<List<Double>> values = new ArrayList<>();
    for (Reader r : readers) {
      r.read(warm);
      values.add(new ArrayList<>());
    }
    for (int t = 0; t < settings.trials(); t++) {
      // Each system opens as many trials as the others, so drift hits all alike.
      for (int k = 0; k < readers.size(); k++) {
        int i = (t + k) % readers.size();
        values.get(i).add(perSecond(readers.get(i), n));
      }
      log.accept(String.format("  %s: trial %d/%d annals %.0f, jdbc %.0f, ceiling %.0f, axon %.0f events/s", label,
          t + 1, settings.trials(), values.get(0).get(t), values.get(1).get(t), values.get(2).get(t),
          values.get(3).get(t)));
    }
    List<Measurement> out = new ArrayList<>();
    for (int i = 0; i < systems.size(); i++) {
      out.add(new Measurement(label, systems.get(i), "events/s", "events/s", true, values.get(i)));
    }
    return out;
  }

  private static double perSecond(Reader reader, long events) throws Exception {
    long begin = System.nanoTime();
    long read = reader.read(events);
    double seconds = (System.nanoTime() - begin) / 1e9;
    if (read != events) {
      throw new IllegalStateException("read " + read + " events, expected " + events);
    }
    return read / seconds;
  }

  /**
   * The plain reader: the next page after the last position seen, one prepared statement reused.
   * Over the baseline's table, or as the ceiling over the framework's table, reading the row the
   * framework's reader returns (without its gap-safe order).
   */
  private long plainRead(HikariDataSource base, long events, boolean frameworkRow) throws SQLException {
    long read = 0;
    long after = 0;
    String sql = frameworkRow
        ? "SELECT position, stream_id, version, payload::text, metadata::text, recorded_at, "
            + "transaction_id::text, event_id, type, schema_version FROM " + env.frameworkSchema + ".events"
        : "SELECT position, stream_id, version, payload::text, metadata::text, recorded_at FROM "
            + env.baselineSchema + ".events";
    try (Connection c = base.getConnection();
        PreparedStatement ps = c.prepareStatement(sql + " WHERE position > ? ORDER BY position LIMIT ?")) {
      while (read < events) {
        ps.setLong(1, after);
        ps.setInt(2, (int) Math.min(PAGE, events - read));
        List<Object> page = new ArrayList<>(PAGE);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            after = rs.getLong(1);
            Row row = new Row(after, rs.getString(2), rs.getLong(3), rs.getString(4), rs.getString(5),
                rs.getObject(6, OffsetDateTime.class).toInstant());
            page.add(frameworkRow ? new FrameworkRow(row, Long.parseUnsignedLong(rs.getString(7)),
                rs.getObject(8, UUID.class), rs.getString(9), rs.getInt(10)) : row);
          }
        }
        if (page.isEmpty()) {
          break;
        }
        read += page.size();
      }
    }
    return read;
  }

  /**
   * Adds {@code events} events to the three logs (the framework's, the baseline's, the
   * incumbent's), {@value #FILL_CHUNK} per transaction, then vacuums and analyzes them as
   * autovacuum would have on a log in service.
   */
  private void fill(long events, AxonIncumbent axon) throws SQLException {
    String payload = env.registryJson(Workloads.EVENT).replace("'", "''");
    long begin = System.nanoTime();
    try (Connection c = java.sql.DriverManager.getConnection(env.url); Statement st = c.createStatement()) {
      for (long from = 0; from < events; from += FILL_CHUNK) {
        long to = Math.min(events, from + FILL_CHUNK) - 1;
        String rows = " FROM generate_series(" + from + ", " + to + ") AS g";
        st.execute("INSERT INTO " + env.frameworkSchema + ".events (stream_id, category, version, "
            + "event_id, type, schema_version, payload, metadata, recorded_at, hash) "
            + "SELECT 'read-' || g / 100, 'read', g % 100 + 1, (lpad(to_hex(1700000000000 + g), 12, '0') "
            + "|| '7' || substr(md5(g::text), 1, 3) || '8' || substr(md5(g::text), 4, 15))::uuid, "
            + "'Deposited', 1, '" + payload + "', '{}', now(), sha256(g::text::bytea)" + rows);
        st.execute("INSERT INTO " + env.baselineSchema + ".events (stream_id, version, payload, metadata) "
            + "SELECT 'read-' || g / 100, g % 100 + 1, '" + payload + "', '{}'" + rows);
        axon.fill("read-" + from + "-", to + 1 - from, FILL_CHUNK, env.registryJson(Workloads.EVENT));
        if ((to + 1) % 200_000 == 0 || to + 1 == events) {
          log.accept(String.format("  7 log read: filling the logs, %,d of %,d events (%.0f s)", to + 1,
              events, (System.nanoTime() - begin) / 1e9));
        }
      }
      st.execute("VACUUM ANALYZE " + env.frameworkSchema + ".events");
      st.execute("VACUUM ANALYZE " + env.baselineSchema + ".events");
    }
    axon.vacuum();
  }
}
