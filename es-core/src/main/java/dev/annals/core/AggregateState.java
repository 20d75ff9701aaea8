package dev.annals.core;

import java.util.Objects;

/**
 * An aggregate's state and the stream version it reflects (0 for an aggregate with no events).
 *
 * @param streamId the aggregate's stream
 * @param state its state
 * @param version the stream version the state includes
 */
public record AggregateState<S>(StreamId streamId, S state, long version) {

  public AggregateState {
    Objects.requireNonNull(streamId, "streamId");
    Objects.requireNonNull(state, "state");
    if (version < 0) {
      throw new IllegalArgumentException("version must be 0 or more, was " + version);
    }
  }

  /** Whether the aggregate has any event. */
  public boolean exists() {
    return version > 0;
  }
}
