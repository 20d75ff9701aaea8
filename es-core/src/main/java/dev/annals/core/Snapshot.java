package dev.annals.core;

import java.time.Instant;
import java.util.Objects;

/**
 * An aggregate's state after a stream version, serialized, so loading can skip the events
 * before it.
 *
 * @param streamId the stream the state was built from
 * @param version the stream version the state includes (events 1..version)
 * @param schemaVersion the state's shape; a snapshot whose schema version differs from the
 *     aggregate's current one is ignored and the state is rebuilt from events
 * @param state the state as JSON
 * @param takenAt when it was taken
 */
public record Snapshot(StreamId streamId, long version, int schemaVersion, String state,
    Instant takenAt) {

  public Snapshot {
    Objects.requireNonNull(streamId, "streamId");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(takenAt, "takenAt");
    if (version < 1) {
      throw new IllegalArgumentException("snapshot version must be 1 or more, was " + version);
    }
    if (schemaVersion < 1) {
      throw new IllegalArgumentException("snapshot schema version must be 1 or more, was " + schemaVersion);
    }
  }
}
