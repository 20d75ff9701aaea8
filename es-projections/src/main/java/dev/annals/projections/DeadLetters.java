package dev.annals.projections;

import dev.annals.core.StreamId;
import dev.annals.core.internal.Redaction;
import dev.annals.postgres.LogCursor;
import dev.annals.postgres.StoredEvent;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Handle;

/** SQL on the dead-letter table. */
final class DeadLetters {

  private static final String COLUMNS = "id, projector, projector_version, partition_index, "
      + "event_position, event_xid, event_id, stream_id, stream_version, event_type, error, "
      + "stack_trace, attempts, parked_at, status, resolved_at";
  private static final String OPEN_FOR_STREAMS = "status IN ('PARKED', 'BLOCKED')";

  private final String table;

  DeadLetters(String schema) {
    this.table = schema + ".projection_dead_letters";
  }

  static DeadLetter map(ResultSet rs) throws SQLException {
    return new DeadLetter(rs.getLong("id"), rs.getString("projector"),
        rs.getInt("projector_version"), rs.getInt("partition_index"),
        new LogCursor(rs.getLong("event_xid"), rs.getLong("event_position")),
        rs.getObject("event_id", UUID.class), StreamId.parse(rs.getString("stream_id")),
        rs.getLong("stream_version"), rs.getString("event_type"), Redaction.redact(rs.getString("error")),
        Redaction.redact(rs.getString("stack_trace")), rs.getInt("attempts"), Checkpoints.instant(rs, "parked_at"),
        DeadLetter.Status.valueOf(rs.getString("status")),
        Optional.ofNullable(Checkpoints.instant(rs, "resolved_at")));
  }

  /**
   * For those of {@code streams} that have a parked or blocked event: the id of the earliest.
   * Such a stream is blocked: its later events must wait behind it.
   */
  Map<String, Long> blockedStreams(Handle h, String projector, int version, Collection<String> streams) {
    Map<String, Long> out = new HashMap<>();
    if (streams.isEmpty()) {
      return out;
    }
    h.createQuery("SELECT stream_id, min(id) AS first_id FROM " + table + " WHERE projector = :projector "
            + "AND projector_version = :version AND " + OPEN_FOR_STREAMS
            + " AND stream_id = ANY(:streams) GROUP BY stream_id")
        .bind("projector", projector).bind("version", version)
        .bindArray("streams", String.class, (Object[]) streams.toArray(new String[0]))
        .map((rs, ctx) -> Map.entry(rs.getString("stream_id"), rs.getLong("first_id")))
        .forEach(e -> out.put(e.getKey(), e.getValue()));
    return out;
  }

  /**
   * Records an event as a dead letter. The same event parked again (after a reset replayed it)
   * reuses its row.
   */
  long park(Handle h, PartitionKey k, StoredEvent e, DeadLetter.Status status, String error,
      String stackTrace, int attempts) {
    return h.createQuery("INSERT INTO " + table + " AS d (projector, projector_version, partition_index, "
            + "event_position, event_xid, event_id, stream_id, stream_version, event_type, error, "
            + "stack_trace, attempts, status) VALUES (:projector, :version, :partition, :position, "
            + ":xid, :eventId, :stream, :streamVersion, :type, :error, :stack, :attempts, :status) "
            + "ON CONFLICT ON CONSTRAINT projection_dead_letters_event DO UPDATE SET "
            + "partition_index = excluded.partition_index, error = excluded.error, "
            + "stack_trace = excluded.stack_trace, attempts = d.attempts + excluded.attempts, "
            + "status = excluded.status, parked_at = clock_timestamp(), resolved_at = NULL RETURNING id")
        .bind("projector", k.projector()).bind("version", k.version()).bind("partition", k.partition())
        .bind("position", e.position()).bind("xid", e.transactionId()).bind("eventId", e.eventId())
        .bind("stream", e.streamId().toString()).bind("streamVersion", e.version())
        .bind("type", e.type()).bind("error", Redaction.redact(error)).bind("stack", Redaction.redact(stackTrace))
        .bind("attempts", attempts).bind("status", status.name())
        .mapTo(Long.class).one();
  }

  /** Closes a dead letter: RESOLVED or DISCARDED. */
  void close(Handle h, long id, DeadLetter.Status status) {
    h.createUpdate("UPDATE " + table + " SET status = :status, resolved_at = clock_timestamp() WHERE id = :id")
        .bind("status", status.name()).bind("id", id).execute();
  }

  /** Records another failed try of a dead letter, leaving it open with {@code status}. */
  void failedAgain(Handle h, long id, DeadLetter.Status status, Throwable error) {
    h.createUpdate("UPDATE " + table + " SET status = :status, error = :error, stack_trace = :stack, "
            + "attempts = attempts + 1, parked_at = clock_timestamp() WHERE id = :id")
        .bind("status", status.name()).bind("error", Failures.describe(error))
        .bind("stack", Failures.stackTrace(error)).bind("id", id).execute();
  }

  Optional<DeadLetter> find(Handle h, long id, boolean lock) {
    return h.createQuery("SELECT " + COLUMNS + " FROM " + table + " WHERE id = :id" + (lock ? " FOR UPDATE" : ""))
        .bind("id", id).map((rs, ctx) -> map(rs)).findOne();
  }

  /** The open dead letters of every projector version, oldest first. */
  List<DeadLetter> openOfAll(Handle h) {
    return h.createQuery("SELECT " + COLUMNS + " FROM " + table
            + " WHERE status IN ('PARKED', 'BLOCKED', 'HALTED') ORDER BY id")
        .map((rs, ctx) -> map(rs)).list();
  }

  /** The open dead letters of a projector version, oldest first. */
  List<DeadLetter> open(Handle h, String projector, int version) {
    return h.createQuery("SELECT " + COLUMNS + " FROM " + table + " WHERE projector = :projector "
            + "AND projector_version = :version AND status IN ('PARKED', 'BLOCKED', 'HALTED') ORDER BY id")
        .bind("projector", projector).bind("version", version)
        .map((rs, ctx) -> map(rs)).list();
  }

  /** The parked and blocked dead letters of one stream, in stream order, locked. */
  List<DeadLetter> openOfStream(Handle h, String projector, int version, StreamId stream) {
    return h.createQuery("SELECT " + COLUMNS + " FROM " + table + " WHERE projector = :projector "
            + "AND projector_version = :version AND stream_id = :stream AND " + OPEN_FOR_STREAMS
            + " ORDER BY stream_version FOR UPDATE")
        .bind("projector", projector).bind("version", version).bind("stream", stream.toString())
        .map((rs, ctx) -> map(rs)).list();
  }

  /** Open dead letters per partition of a projector version. */
  Map<Integer, Long> openCounts(Handle h, String projector, int version) {
    Map<Integer, Long> out = new HashMap<>();
    h.createQuery("SELECT partition_index, count(*) AS n FROM " + table + " WHERE projector = :projector "
            + "AND projector_version = :version AND status IN ('PARKED', 'BLOCKED', 'HALTED') "
            + "GROUP BY partition_index")
        .bind("projector", projector).bind("version", version)
        .map((rs, ctx) -> Map.entry(rs.getInt("partition_index"), rs.getLong("n")))
        .forEach(e -> out.put(e.getKey(), e.getValue()));
    return out;
  }

  /** Whether a partition stopped before an event that it may now process. */
  boolean hasHalted(Handle h, PartitionKey k) {
    return h.createQuery("SELECT EXISTS (SELECT 1 FROM " + table + " WHERE projector = :projector "
            + "AND projector_version = :version AND partition_index = :partition AND status = 'HALTED')")
        .bind("projector", k.projector()).bind("version", k.version()).bind("partition", k.partition())
        .mapTo(Boolean.class).one();
  }

  /** Marks the halted dead letters among these events as resolved: they were just processed. */
  void resolveHalted(Handle h, PartitionKey k, List<UUID> eventIds) {
    h.createUpdate("UPDATE " + table + " SET status = 'RESOLVED', resolved_at = clock_timestamp() "
            + "WHERE projector = :projector AND projector_version = :version AND status = 'HALTED' "
            + "AND event_id = ANY(:ids)")
        .bind("projector", k.projector()).bind("version", k.version())
        .bindArray("ids", UUID.class, (Object[]) eventIds.toArray(new UUID[0]))
        .execute();
  }

  /** Discards the open dead letters a replay from {@code target} will process again. */
  int discardAfter(Handle h, String projector, int version, LogCursor target) {
    return h.createUpdate("UPDATE " + table + " SET status = 'DISCARDED', resolved_at = clock_timestamp() "
            + "WHERE projector = :projector AND projector_version = :version "
            + "AND status IN ('PARKED', 'BLOCKED', 'HALTED') AND (event_xid, event_position) > (:xid, :position)")
        .bind("projector", projector).bind("version", version)
        .bind("xid", target.transactionId()).bind("position", target.position())
        .execute();
  }
}
