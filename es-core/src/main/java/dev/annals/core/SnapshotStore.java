package dev.annals.core;

import java.util.Optional;

/**
 * Stores aggregate snapshots. Snapshots are an optimisation: losing one only makes the next load
 * slower, never wrong. Implementations are thread-safe.
 */
public interface SnapshotStore {

  /** Stores a snapshot; storing one for a stream and version that already has one replaces it. */
  void save(Snapshot snapshot);

  /** The snapshot with the highest version of the stream. */
  Optional<Snapshot> latest(StreamId streamId);

  /** The snapshot with the highest version not above {@code maxVersion}, for temporal loads. */
  Optional<Snapshot> latestAtOrBefore(StreamId streamId, long maxVersion);
}
