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

  /** The current row of {@code rs}, selected with {@link #COLUMNS} first. */
  static StoredEvent map(ResultSet rs) throws SQLException {
    // By index: a lookup by name costs more than reading the value, at a million rows a read.
    return new StoredEvent(rs.getLong(1), Long.parseUnsignedLong(rs.getString(2)),
        rs.getObject(3, UUID.class), StreamId.parse(rs.getString(4)), rs.getLong(5),
        rs.getString(6), rs.getInt(7), rs.getString(8), rs.getString(9),
        rs.getObject(10, OffsetDateTime.class).toInstant());
  }
}
