package dev.annals.core;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;

/** A {@link SnapshotStore} in memory, for tests and examples. Thread-safe. */
public final class InMemorySnapshotStore implements SnapshotStore {

  private final Map<StreamId, ConcurrentNavigableMap<Long, Snapshot>> snapshots = new ConcurrentHashMap<>();

  private InMemorySnapshotStore() {}

  /** An empty snapshot store. */
  public static InMemorySnapshotStore create() {
    return new InMemorySnapshotStore();
  }

  @Override
  public void save(Snapshot snapshot) {
    Objects.requireNonNull(snapshot, "snapshot must not be null");
    snapshots.computeIfAbsent(snapshot.streamId(), s -> new ConcurrentSkipListMap<>())
        .put(snapshot.version(), snapshot);
  }

  @Override
  public Optional<Snapshot> latest(StreamId streamId) {
    return latestAtOrBefore(streamId, Long.MAX_VALUE);
  }

  @Override
  public Optional<Snapshot> latestAtOrBefore(StreamId streamId, long maxVersion) {
    Objects.requireNonNull(streamId, "stream id must not be null");
    ConcurrentNavigableMap<Long, Snapshot> forStream = snapshots.get(streamId);
    if (forStream == null) {
      return Optional.empty();
    }
    Map.Entry<Long, Snapshot> e = forStream.floorEntry(maxVersion);
    return e == null ? Optional.empty() : Optional.of(e.getValue());
  }

  @Override
  public void discard(StreamId streamId) {
    Objects.requireNonNull(streamId, "stream id must not be null");
    snapshots.remove(streamId);
  }
}
