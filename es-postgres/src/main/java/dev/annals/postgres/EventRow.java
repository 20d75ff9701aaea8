package dev.annals.postgres;

import dev.annals.core.StreamId;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.UUID;

/** A row of the {@code events} table as the store and the log reader select it. */
final class EventRow {

  /** The select list that {@link #map} reads. */
  static final String COLUMNS = "position, transaction_id::text AS xid, event_id, stream_id, "
      + "version, type, schema_version, payload::text AS payload, metadata::text AS metadata, recorded_at";

  private EventRow() {}

  /** The current row of {@code rs}, selected with {@link #COLUMNS}. */
  static StoredEvent map(ResultSet rs) throws SQLException {
    return new StoredEvent(rs.getLong("position"), Long.parseUnsignedLong(rs.getString("xid")),
        rs.getObject("event_id", UUID.class), StreamId.parse(rs.getString("stream_id")),
        rs.getLong("version"), rs.getString("type"), rs.getInt("schema_version"),
        rs.getString("payload"), rs.getString("metadata"),
        rs.getObject("recorded_at", OffsetDateTime.class).toInstant());
  }
}
