package dev.annals.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.UUID;

/**
 * Calls the append function over a caller-controlled connection, so a test can hold an append's
 * transaction open and commit it whenever it likes.
 */
final class RawAppend {

  private RawAppend() {}

  /** status, actual version, first version, first position, last position. */
  static long[] itemAdded(Connection c, String schema, String stream, long expected, UUID eventId,
      String name) throws SQLException {
    return itemAdded(c, schema, "append_events", stream, expected, eventId, name);
  }

  /**
   * The same through {@code function}: {@code append_events} takes the event as one-element
   * arrays, {@code append_event} as scalars.
   */
  static long[] itemAdded(Connection c, String schema, String function, String stream, long expected,
      UUID eventId, String name) throws SQLException {
    boolean arrays = function.equals("append_events");
    String json = arrays ? "jsonb[]" : "jsonb";
    try (PreparedStatement ps = c.prepareStatement("SELECT * FROM " + schema + "." + function
        + "(?, ?, ?, ?, ?, ?, CAST(? AS " + json + "), CAST(? AS " + json + "), ?)")) {
      ps.setString(1, stream);
      ps.setString(2, stream.substring(0, stream.indexOf('-')));
      ps.setLong(3, expected);
      Object[] values = {eventId, "ItemAdded", 1, "{\"name\":\"" + name + "\",\"quantity\":1}", "{}"};
      String[] types = {"uuid", "text", "int4", "text", "text"};
      for (int i = 0; i < values.length; i++) {
        if (arrays) {
          ps.setArray(4 + i, c.createArrayOf(types[i], new Object[] {values[i]}));
        } else {
          ps.setObject(4 + i, values[i]);
        }
      }
      byte[] digest = new byte[32];
      if (arrays) {
        ps.setArray(9, c.createArrayOf("bytea", new byte[][] {digest}));
      } else {
        ps.setBytes(9, digest);
      }
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return new long[] {rs.getInt(1), rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getLong(5)};
      }
    }
  }

  static long currentTransactionId(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT pg_current_xact_id()::text");
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return Long.parseLong(rs.getString(1));
    }
  }
}
