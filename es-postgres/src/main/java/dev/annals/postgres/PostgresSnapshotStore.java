package dev.annals.postgres;

import dev.annals.core.Snapshot;
import dev.annals.core.SnapshotStore;
import dev.annals.core.StreamId;
import dev.annals.postgres.internal.SqlErrors;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Objects;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;

/**
 * Snapshots in the {@code snapshots} table of the event store's schema. Writes touch only that
 * table, so they never block appends. Every snapshot is kept (for temporal loads); obtain one
 * from {@link PostgresEventStore#snapshotStore()}. Thread-safe.
 */
public final class PostgresSnapshotStore implements SnapshotStore {

  private final Jdbi jdbi;
  private final String schema;

  PostgresSnapshotStore(Jdbi jdbi, String schema) {
    this.jdbi = jdbi;
    this.schema = schema;
  }

  @Override
  public void save(Snapshot snapshot) {
    Objects.requireNonNull(snapshot, "snapshot must not be null");
    try {
      jdbi.useHandle(h -> h.createUpdate("INSERT INTO " + schema + ".snapshots "
              + "(stream_id, version, schema_version, state, taken_at) "
              + "VALUES (:stream, :version, :schemaVersion, CAST(:state AS jsonb), :takenAt) "
              + "ON CONFLICT (stream_id, version) DO UPDATE SET schema_version = EXCLUDED.schema_version, "
              + "state = EXCLUDED.state, taken_at = EXCLUDED.taken_at")
          .bind("stream", snapshot.streamId().toString())
          .bind("version", snapshot.version())
          .bind("schemaVersion", snapshot.schemaVersion())
          .bind("state", snapshot.state())
          .bind("takenAt", OffsetDateTime.ofInstant(snapshot.takenAt(), ZoneOffset.UTC))
          .execute());
    } catch (RuntimeException e) {
      throw SqlErrors.translate("save snapshot of " + snapshot.streamId(), schema, e);
    }
  }

  @Override
  public Optional<Snapshot> latest(StreamId streamId) {
    return latestAtOrBefore(streamId, Long.MAX_VALUE);
  }

  @Override
  public Optional<Snapshot> latestAtOrBefore(StreamId streamId, long maxVersion) {
    Objects.requireNonNull(streamId, "stream id must not be null");
    try {
      return jdbi.withHandle(h -> h.createQuery("SELECT version, schema_version, state::text AS state, "
              + "taken_at FROM " + schema + ".snapshots WHERE stream_id = :stream AND version <= :max "
              + "ORDER BY version DESC LIMIT 1")
          .bind("stream", streamId.toString())
          .bind("max", maxVersion)
          .map((rs, ctx) -> new Snapshot(streamId, rs.getLong("version"), rs.getInt("schema_version"),
              rs.getString("state"), rs.getObject("taken_at", OffsetDateTime.class).toInstant()))
          .findOne());
    } catch (RuntimeException e) {
      throw SqlErrors.translate("read snapshot of " + streamId, schema, e);
    }
  }
}
