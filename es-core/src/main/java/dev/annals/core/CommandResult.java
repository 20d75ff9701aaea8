package dev.annals.core;

import java.util.List;
import java.util.Objects;

/**
 * The outcome of a command handled by an {@link AggregateRepository}.
 *
 * @param streamId the aggregate's stream
 * @param events the events the command produced and the store holds; empty if it changed nothing
 * @param state the aggregate's state afterwards
 * @param version the stream version afterwards
 * @param attempts how many times the command was decided (more than 1 after conflicts)
 * @param replayed true when the command id had been handled before: {@code events} are the ones
 *     stored then, and nothing was written now
 */
public record CommandResult<S, E>(StreamId streamId, List<E> events, S state, long version,
    int attempts, boolean replayed) {

  public CommandResult {
    Objects.requireNonNull(streamId, "streamId");
    Objects.requireNonNull(state, "state");
    events = List.copyOf(events);
  }
}
