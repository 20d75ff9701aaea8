package dev.annals.postgres;

import dev.annals.core.Snapshot;
import dev.annals.core.SnapshotRejectedException;
import dev.annals.core.SnapshotStore;
import dev.annals.core.StreamId;
import dev.annals.postgres.internal.SqlErrors;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Objects;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.JdbiException;

/**
 * Snapshots in the {@code snapshots} table of the event store's schema. Writes touch only that
 * table, so they never block appends. Every snapshot is kept (for temporal loads); obtain one
 * from {@link PostgresEventStore#snapshotStore()}. Thread-safe.
 *
 * <p>Each snapshot row carries the link hash of its stream's event at its version, and with a
 * {@link SnapshotSigning} key an HMAC over stream, version, schema version, link hash and state.
 * A read checks both in the same query that finds the snapshot (a join on the events' unique
 * (stream, version) index) and throws {@link SnapshotRejectedException} for a snapshot that
 * fails, so that a row forged in the table is never used unnoticed: the repository logs a
 * warning and replays the events instead. See docs/postgres.md for what each check stops.
 */
public final class PostgresSnapshotStore implements SnapshotStore {

  private final Jdbi jdbi;
  private final String schema;
  private final Optional<SnapshotSigning> signing;

  PostgresSnapshotStore(Jdbi jdbi, String schema, Optional<SnapshotSigning> signing) {
    this.jdbi = jdbi;
    this.schema = schema;
    this.signing = signing;
  }

  /**
   * Stores {@code snapshot}, bound to the link hash of its stream's event at its version and
   * signed when a key is configured; one for the same stream and version is replaced.
   *
   * @throws IllegalArgumentException if the stream has no event at the snapshot's version
   */
  @Override
  public void save(Snapshot snapshot) {
    Objects.requireNonNull(snapshot, "snapshot must not be null");
    StreamId streamId = snapshot.streamId();
    Optional<byte[]> link;
    try {
      link = jdbi.withHandle(h -> h.createQuery("SELECT hash FROM " + schema
              + ".events WHERE stream_id = :stream AND version = :version")
          .bind("stream", streamId.toString())
          .bind("version", snapshot.version())
          .map((rs, ctx) -> rs.getBytes(1))
          .findOne());
    } catch (JdbiException e) {
      throw SqlErrors.translate("save snapshot of " + streamId, schema, e);
    }
    if (link.isEmpty()) {
      throw new IllegalArgumentException("cannot save a snapshot of " + streamId + " at version "
          + snapshot.version() + ": the stream has no event at that version");
    }
    byte[] signature = signing.map(s -> s.sign(streamId, snapshot.version(), snapshot.schemaVersion(),
        link.get(), ContentDigest.canonical(snapshot.state()))).orElse(null);
    try {
      jdbi.useHandle(h -> h.createUpdate("INSERT INTO " + schema + ".snapshots "
              + "(stream_id, version, schema_version, state, taken_at, link_hash, signature) "
              + "VALUES (:stream, :version, :schemaVersion, CAST(:state AS jsonb), :takenAt, :link, :signature) "
              + "ON CONFLICT (stream_id, version) DO UPDATE SET schema_version = EXCLUDED.schema_version, "
              + "state = EXCLUDED.state, taken_at = EXCLUDED.taken_at, link_hash = EXCLUDED.link_hash, "
              + "signature = EXCLUDED.signature")
          .bind("stream", streamId.toString())
          .bind("version", snapshot.version())
          .bind("schemaVersion", snapshot.schemaVersion())
          .bind("state", snapshot.state())
          .bind("takenAt", OffsetDateTime.ofInstant(snapshot.takenAt(), ZoneOffset.UTC))
          .bind("link", link.get())
          .bind("signature", signature)
          .execute());
    } catch (JdbiException e) {
      throw SqlErrors.translate("save snapshot of " + streamId, schema, e);
    }
  }

  /** {@inheritDoc} Through the schema's {@code discard_snapshots} function (schema version 9). */
  @Override
  public void discard(StreamId streamId) {
    Objects.requireNonNull(streamId, "stream id must not be null");
    try {
      jdbi.useHandle(h -> h.createQuery("SELECT " + schema + ".discard_snapshots(:stream)")
          .bind("stream", streamId.toString()).mapTo(Integer.class).one());
    } catch (JdbiException e) {
      throw SqlErrors.translate("discard snapshots of " + streamId, schema, e);
    }
  }

  /**
   * {@inheritDoc}
   *
   * @throws SnapshotRejectedException if that snapshot is not bound to the stream's event at its
   *     version, or a key is configured and its signature is missing or wrong
   */
  @Override
  public Optional<Snapshot> latest(StreamId streamId) {
    return latestAtOrBefore(streamId, Long.MAX_VALUE);
  }

  /**
   * {@inheritDoc}
   *
   * @throws SnapshotRejectedException if that snapshot is not bound to the stream's event at its
   *     version, or a key is configured and its signature is missing or wrong
   */
  @Override
  public Optional<Snapshot> latestAtOrBefore(StreamId streamId, long maxVersion) {
    Objects.requireNonNull(streamId, "stream id must not be null");
    Optional<Row> found;
    try {
      found = jdbi.withHandle(h -> h.createQuery("SELECT s.version, s.schema_version, s.state::text AS state, "
              + "s.taken_at, s.link_hash, s.signature, e.hash AS chain_link FROM " + schema + ".snapshots s "
              + "LEFT JOIN " + schema + ".events e ON e.stream_id = s.stream_id AND e.version = s.version "
              + "WHERE s.stream_id = :stream AND s.version <= :max ORDER BY s.version DESC LIMIT 1")
          .bind("stream", streamId.toString())
          .bind("max", maxVersion)
          .map((rs, ctx) -> new Row(new Snapshot(streamId, rs.getLong("version"), rs.getInt("schema_version"),
              rs.getString("state"), rs.getObject("taken_at", OffsetDateTime.class).toInstant()),
              rs.getBytes("link_hash"), rs.getBytes("signature"), rs.getBytes("chain_link")))
          .findOne());
    } catch (JdbiException e) {
      throw SqlErrors.translate("read snapshot of " + streamId, schema, e);
    }
    if (found.isEmpty()) {
      return Optional.empty();
    }
    Row row = found.get();
    Snapshot s = row.snapshot();
    Optional<SnapshotBinding.Rejection> rejection = SnapshotBinding.check(streamId, s.version(),
        s.schemaVersion(), s.state(), row.link(), row.signature(), row.chainLink(), signing);
    if (rejection.isPresent()) {
      throw new SnapshotRejectedException(streamId, s.version(), rejection.get().reason());
    }
    return Optional.of(s);
  }

  private record Row(Snapshot snapshot, byte[] link, byte[] signature, byte[] chainLink) {}
}
