package dev.annals.postgres.archive;

import dev.annals.postgres.internal.SqlErrors;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import javax.sql.DataSource;

/** The statements archiving, restoring and importing share, and their transaction. */
final class Restore {

  /** The codes of archive_stream and restore_events (V10): the caller's mistake, not the database's. */
  private static final Set<String> REFUSED = Set.of("AN002", "AN003", "AN004", "P0002");

  private Restore() {}

  /** Puts one stream's verified events back through {@code restore_events}; returns how many. */
  static long call(Connection c, String schema, String streamId, List<EventLine> lines) throws SQLException {
    int n = lines.size();
    UUID[] ids = new UUID[n];
    String[] types = new String[n];
    Integer[] schemaVersions = new Integer[n];
    String[] payloads = new String[n];
    String[] metadata = new String[n];
    String[] times = new String[n];
    byte[][] hashes = new byte[n][];
    for (int i = 0; i < n; i++) {
      EventLine l = lines.get(i);
      ids[i] = l.eventId();
      types[i] = l.type();
      schemaVersions[i] = l.schemaVersion();
      payloads[i] = l.payload();
      metadata[i] = l.metadata();
      times[i] = l.recordedAt().toString();
      hashes[i] = l.hash();
    }
    try (PreparedStatement ps = c.prepareStatement("SELECT " + schema + ".restore_events(?, ?, ?, ?, ?, "
        + "CAST(CAST(? AS text[]) AS jsonb[]), CAST(CAST(? AS text[]) AS jsonb[]), CAST(? AS timestamptz[]), ?)")) {
      ps.setString(1, streamId);
      ps.setString(2, streamId.substring(0, streamId.indexOf('-')));
      ps.setArray(3, c.createArrayOf("uuid", ids));
      ps.setArray(4, c.createArrayOf("text", types));
      ps.setArray(5, c.createArrayOf("int4", schemaVersions));
      ps.setArray(6, c.createArrayOf("text", payloads));
      ps.setArray(7, c.createArrayOf("text", metadata));
      ps.setArray(8, c.createArrayOf("text", times));
      ps.setArray(9, c.createArrayOf("bytea", hashes));
      ps.execute();
    }
    return n;
  }

  /** Runs {@code work} in one read-committed transaction, committed only if it returns. */
  static <R> R inTransaction(DataSource dataSource, String schema, String operation, StreamArchiver.Work<R> work) {
    try (Connection c = dataSource.getConnection()) {
      boolean autoCommit = c.getAutoCommit();
      c.setAutoCommit(false);
      try {
        R result = work.run(c);
        c.commit();
        return result;
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      } finally {
        c.setAutoCommit(autoCommit);
      }
    } catch (SQLException | RuntimeException e) {
      SQLException sql = SqlErrors.sqlCause(e);
      if (sql != null && REFUSED.contains(sql.getSQLState())) {
        throw new ArchiveException(operation + " refused: " + firstLine(sql.getMessage()), e);
      }
      if (sql != null && "42501".equals(sql.getSQLState())) {
        throw new ArchiveException(operation + " refused: " + firstLine(sql.getMessage())
            + " (archiving and restoring need the owner of the event store's tables, see docs/archiving.md)", e);
      }
      throw SqlErrors.translate(operation, schema, e);
    }
  }

  private static String firstLine(String message) {
    String m = String.valueOf(message);
    int nl = m.indexOf('\n');
    return (nl < 0 ? m : m.substring(0, nl)).replaceFirst("^ERROR: ", "");
  }
}
