package dev.annals.console;

import dev.annals.core.AggregateRepository;
import dev.annals.core.AsOf;
import dev.annals.core.StreamId;

/**
 * Builds an aggregate's state as of a point in its stream's history, for the console's stream
 * view; given by the embedding application, one per stream category. Without one, the console
 * shows the stream's events only.
 */
@FunctionalInterface
public interface StateDecoder {

  /**
   * The state of {@code streamId} as of {@code asOf}, as an object the application's event
   * registry can write as JSON (usually the aggregate's state record).
   *
   * @return the state, and the stream version it is at
   */
  State stateAsOf(StreamId streamId, AsOf asOf);

  /**
   * A state and the stream version it was built up to.
   *
   * @param state the state (written as JSON with the store's registry)
   * @param version the stream version it includes, 0 for the initial state
   */
  record State(Object state, long version) {}

  /** A decoder that folds the stream with {@code repository}'s aggregate. */
  static StateDecoder of(AggregateRepository<?, ?, ?> repository) {
    return (streamId, asOf) -> {
      var loaded = repository.loadAsOf(streamId.id(), asOf);
      return new State(loaded.state(), loaded.version());
    };
  }
}
