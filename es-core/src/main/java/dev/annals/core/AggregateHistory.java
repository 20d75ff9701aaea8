package dev.annals.core;

import java.util.List;
import java.util.Objects;

/**
 * An aggregate's state at a point in its history and every event that led there, for auditors.
 *
 * @param state the state at that point
 * @param events the events 1..state.version(), in order
 */
public record AggregateHistory<S>(AggregateState<S> state, List<RecordedEvent> events) {

  public AggregateHistory {
    Objects.requireNonNull(state, "state");
    events = List.copyOf(events);
  }
}
