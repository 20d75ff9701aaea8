package dev.annals.core;

import java.util.Optional;

/**
 * Stores aggregate snapshots. Snapshots are an optimisation: losing one only makes the next load
 * slower, never wrong. A store may check what it reads (es-postgres binds each snapshot to the
 * stream's hash chain and can sign it) and refuse a snapshot it cannot vouch for; the repository
 * then rebuilds the state from the events. Implementations are thread-safe.
 */
public interface SnapshotStore {

  /** Stores a snapshot; storing one for a stream and version that already has one replaces it. */
  void save(Snapshot snapshot);

  /**
   * The snapshot with the highest version of the stream.
   *
   * @throws SnapshotRejectedException if that snapshot fails the store's checks
   */
  Optional<Snapshot> latest(StreamId streamId);

  /**
   * The snapshot with the highest version not above {@code maxVersion}, for temporal loads.
   *
   * @throws SnapshotRejectedException if that snapshot fails the store's checks
   */
  Optional<Snapshot> latestAtOrBefore(StreamId streamId, long maxVersion);

  /**
   * Removes every snapshot of the stream, as when they hold personal data of a forgotten subject
   * ({@link Shredder}); idempotent. The next load replays the events.
   *
   * @throws UnsupportedOperationException if this store cannot remove snapshots (by default)
   */
  default void discard(StreamId streamId) {
    throw new UnsupportedOperationException(getClass().getName() + " cannot discard snapshots of "
        + streamId + "; a store used with personal data must");
  }
}
