package dev.annals.postgres;

import java.sql.Array;
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
    try (PreparedStatement ps = c.prepareStatement("SELECT * FROM " + schema
        + ".append_events(?, ?, ?, ?, ?, ?, CAST(? AS jsonb[]), CAST(? AS jsonb[]), ?)")) {
      ps.setString(1, stream);
      ps.setString(2, stream.substring(0, stream.indexOf('-')));
      ps.setLong(3, expected);
      ps.setArray(4, c.createArrayOf("uuid", new Object[] {eventId}));
      ps.setArray(5, c.createArrayOf("text", new Object[] {"ItemAdded"}));
      ps.setArray(6, c.createArrayOf("int4", new Object[] {1}));
      Array payload = c.createArrayOf("text", new Object[] {"{\"name\":\"" + name + "\",\"quantity\":1}"});
      ps.setArray(7, payload);
      ps.setArray(8, c.createArrayOf("text", new Object[] {"{}"}));
      ps.setArray(9, c.createArrayOf("bytea", new byte[][] {new byte[32]}));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return new long[] {rs.getInt(1), rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getLong(5)};
      }
    }
  }

  /** The same through the single-event function, append_event. */
  static long[] oneItemAdded(Connection c, String schema, String stream, long expected, UUID eventId,
      String name) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT * FROM " + schema
        + ".append_event(?, ?, ?, ?, ?, ?, CAST(? AS jsonb), CAST(? AS jsonb), ?)")) {
      ps.setString(1, stream);
      ps.setString(2, stream.substring(0, stream.indexOf('-')));
      ps.setLong(3, expected);
      ps.setObject(4, eventId);
      ps.setString(5, "ItemAdded");
      ps.setInt(6, 1);
      ps.setString(7, "{\"name\":\"" + name + "\",\"quantity\":1}");
      ps.setString(8, "{}");
      ps.setBytes(9, new byte[32]);
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
