package dev.annals.core;

import java.time.Duration;
import java.util.Objects;

/**
 * Hears what an {@link AggregateRepository} did: appends, conflicts, loads and snapshots, with
 * their timings. Metrics and tracing modules (es-micrometer, es-opentelemetry) implement it; set
 * one with {@link AggregateRepository.Builder#observer}.
 *
 * <p>Called on the thread that did the work, after it finished, so an observer must be quick
 * and must not throw (what it throws is logged and dropped). A repository without an observer
 * builds no observation at all.
 */
@FunctionalInterface
public interface RepositoryObserver {

  /** Receives one observation. */
  void observe(Observation observation);

  /** Both observers, this one first; {@code next} hears every observation even when this one throws. */
  default RepositoryObserver andThen(RepositoryObserver next) {
    Objects.requireNonNull(next, "next observer must not be null");
    return o -> {
      try {
        observe(o);
      } finally {
        next.observe(o);
      }
    };
  }

  /** What a repository reports; {@code aggregateType} is the aggregate type's category. */
  sealed interface Observation {
    /** The category of the aggregate type, such as {@code account}. */
    String aggregateType();
  }

  /**
   * Events were appended (or found stored already, for a resent command).
   *
   * @param result what the store wrote
   * @param took how long the append took
   */
  record Appended(String aggregateType, AppendResult result, Duration took) implements Observation {}

  /**
   * An append met a concurrent writer and wrote nothing; the repository may try again.
   *
   * @param streamId the stream
   * @param took how long the refused append took
   */
  record Conflicted(String aggregateType, StreamId streamId, Duration took) implements Observation {}

  /**
   * A state was loaded from the store (not from the cache).
   *
   * @param streamId the stream
   * @param version the version loaded
   * @param fromSnapshot whether it started from a snapshot rather than the first event
   * @param eventsReplayed how many events were folded on top of the starting point
   * @param took how long the load took
   */
  record Loaded(String aggregateType, StreamId streamId, long version, boolean fromSnapshot,
      long eventsReplayed, Duration took) implements Observation {}

  /**
   * A snapshot was written.
   *
   * @param streamId the stream
   * @param version the version it was taken at
   */
  record SnapshotWritten(String aggregateType, StreamId streamId, long version) implements Observation {}
}
