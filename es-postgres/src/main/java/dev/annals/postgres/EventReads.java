package dev.annals.postgres;

import dev.annals.core.EventRegistry;
import dev.annals.core.LogFilter;
import dev.annals.core.RecordedEvent;
import dev.annals.core.SerializedEvent;
import dev.annals.core.StreamId;
import dev.annals.core.internal.EventEncoding;
import dev.annals.postgres.archive.StreamArchivedException;
import dev.annals.postgres.internal.SqlErrors;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.Query;

/** The reads of {@link PostgresEventStore}, decoded with its registry. Thread-safe. */
final class EventReads {

  private final EventRegistry registry;
  private final String schema;
  private final Jdbi jdbi;

  EventReads(EventRegistry registry, String schema, Jdbi jdbi) {
    this.registry = registry;
    this.schema = schema;
    this.jdbi = jdbi;
  }

  List<RecordedEvent> readStream(StreamId streamId, long fromVersion, int limit) {
    EventEncoding.checkStreamRead(streamId, fromVersion, limit);
    List<RecordedEvent> events = decodeAll(query("read stream " + streamId, "SELECT " + EventRow.COLUMNS + " FROM "
        + schema + ".events WHERE stream_id = :stream AND version >= :from ORDER BY version LIMIT :limit",
        q -> q.bind("stream", streamId.toString()).bind("from", fromVersion).bind("limit", limit)));
    if (events.isEmpty() && fromVersion <= 1) {
      refuseIfArchived(streamId);
    }
    return events;
  }

  /**
   * Throws if {@code streamId} was archived. Asked only when a read from the start found nothing,
   * so that reads of live streams pay nothing for it (archiving removes a stream's snapshots, so
   * a load of an archived stream always reads from the start).
   */
  void refuseIfArchived(StreamId streamId) {
    Optional<StreamArchivedException> archived;
    try {
      archived = jdbi.withHandle(h -> h.createQuery("SELECT version, location FROM " + schema
              + ".archived_streams WHERE stream_id = :stream")
          .bind("stream", streamId.toString())
          .map((rs, ctx) -> new StreamArchivedException(streamId, rs.getLong(1), rs.getString(2))).findOne());
    } catch (RuntimeException e) {
      throw SqlErrors.translate("look for the archive of stream " + streamId, schema, e);
    }
    if (archived.isPresent()) {
      throw archived.get();
    }
  }

  /**
   * The payloads only, for rebuilding states: five narrow columns (six with personal data) instead of the whole row, no
   * metadata to decode, rows read straight from JDBC. Version and position still come along, for
   * decoding errors to name the event.
   */
  List<Object> readPayloads(StreamId streamId, long fromVersion, int limit) {
    EventEncoding.checkStreamRead(streamId, fromVersion, limit);
    // The event id only where personal data may need it (its ciphertext is bound to the id).
    boolean ids = registry.declaresPersonalData();
    String sql = "SELECT version, position, type, schema_version, payload::text" + (ids ? ", event_id" : "")
        + " FROM " + schema
        + ".events WHERE stream_id = ? AND version >= ? ORDER BY version LIMIT ?";
    try {
      List<Object> read = jdbi.withHandle(h -> {
        try (PreparedStatement ps = h.getConnection().prepareStatement(sql)) {
          ps.setString(1, streamId.toString());
          ps.setLong(2, fromVersion);
          ps.setInt(3, limit);
          List<Object> payloads = new ArrayList<>(Math.min(limit, 1000));
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              payloads.add(registry.deserialize(new SerializedEvent(rs.getString(3), rs.getInt(4),
                  rs.getString(5)), ids ? rs.getObject(6, UUID.class) : null, streamId, rs.getLong(1),
                  rs.getLong(2)).payload());
            }
          }
          return payloads;
        }
      });
      if (read.isEmpty() && fromVersion <= 1) {
        refuseIfArchived(streamId);
      }
      return read;
    } catch (SQLException | RuntimeException e) {
      throw SqlErrors.translate("read stream " + streamId, schema, e);
    }
  }

  List<RecordedEvent> readStreamBackward(StreamId streamId, long fromVersion, int limit) {
    EventEncoding.checkStreamRead(streamId, fromVersion, limit);
    return decodeAll(query("read stream " + streamId + " backward", "SELECT " + EventRow.COLUMNS + " FROM "
        + schema + ".events WHERE stream_id = :stream AND version <= :from ORDER BY version DESC LIMIT :limit",
        q -> q.bind("stream", streamId.toString()).bind("from", fromVersion).bind("limit", limit)));
  }

  List<RecordedEvent> readAll(long afterPosition, int limit, LogFilter filter) {
    EventEncoding.checkLogRead(afterPosition, limit);
    Objects.requireNonNull(filter, "filter must not be null (use LogFilter.all())");
    StringBuilder sql = new StringBuilder("SELECT ").append(EventRow.COLUMNS).append(" FROM ").append(schema)
        .append(".events WHERE position > :after");
    if (!filter.categories().isEmpty()) {
      sql.append(" AND category = ANY(:categories)");
    }
    if (!filter.types().isEmpty()) {
      sql.append(" AND type = ANY(:types)");
    }
    sql.append(" ORDER BY position LIMIT :limit");
    return decodeAll(query("read the log", sql.toString(), q -> {
      q.bind("after", afterPosition).bind("limit", limit);
      if (!filter.categories().isEmpty()) {
        q.bindArray("categories", String.class, List.copyOf(filter.categories()));
      }
      if (!filter.types().isEmpty()) {
        q.bindArray("types", String.class, List.copyOf(filter.types()));
      }
    }));
  }

  Optional<RecordedEvent> readEvent(UUID eventId) {
    Objects.requireNonNull(eventId, "event id must not be null");
    List<RecordedEvent> found = decodeAll(query("read event " + eventId, "SELECT " + EventRow.COLUMNS + " FROM "
        + schema + ".events WHERE event_id = :id", q -> q.bind("id", eventId)));
    return found.stream().findFirst();
  }

  long headPosition() {
    try {
      return jdbi.withHandle(h -> h.createQuery("SELECT coalesce(max(position), 0) FROM " + schema + ".events")
          .mapTo(Long.class).one());
    } catch (RuntimeException e) {
      throw SqlErrors.translate("read the head position", schema, e);
    }
  }

  long streamVersion(StreamId streamId) {
    Objects.requireNonNull(streamId, "stream id must not be null");
    try {
      return jdbi.withHandle(h -> h.createQuery("SELECT version FROM " + schema
              + ".streams WHERE stream_id = :stream")
          .bind("stream", streamId.toString()).mapTo(Long.class).findOne().orElse(0L));
    } catch (RuntimeException e) {
      throw SqlErrors.translate("read the version of stream " + streamId, schema, e);
    }
  }

  private interface Binder {
    void bind(Query q);
  }

  private List<StoredEvent> query(String operation, String sql, Binder binder) {
    try {
      return jdbi.withHandle((Handle h) -> {
        Query q = h.createQuery(sql);
        binder.bind(q);
        return q.map((rs, ctx) -> EventRow.map(rs)).list();
      });
    } catch (RuntimeException e) {
      throw SqlErrors.translate(operation, schema, e);
    }
  }

  private List<RecordedEvent> decodeAll(List<StoredEvent> rows) {
    List<RecordedEvent> out = new ArrayList<>(rows.size());
    for (StoredEvent row : rows) {
      out.add(row.decode(registry));
    }
    return out;
  }

}
