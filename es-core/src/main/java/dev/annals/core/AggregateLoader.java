package dev.annals.core;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Builds aggregate states from the store: from the newest usable snapshot plus the events after
 * it, or up to a point in the stream's history. Knows nothing of commands or caching; the
 * {@link AggregateRepository} handles those. Thread-safe.
 */
final class AggregateLoader<S, E> {

  private static final System.Logger LOG = System.getLogger(AggregateRepository.class.getName());
  private static final int PAGE = 1000;
  /** An event sink that takes every event. */
  private static final Predicate<RecordedEvent> ALL = e -> true;

  private final AggregateType<?, S, E> type;
  private final EventStore store;
  private final Optional<SnapshotStore> snapshots;
  private final Clock clock;
  /** Null when nobody listens: then no observation is built. */
  private final RepositoryObserver observer;

  AggregateLoader(AggregateType<?, S, E> type, EventStore store, Optional<SnapshotStore> snapshots,
      Clock clock, RepositoryObserver observer) {
    this.type = type;
    this.store = store;
    this.snapshots = snapshots;
    this.clock = clock;
    this.observer = observer;
  }

  boolean hasSnapshotStore() {
    return snapshots.isPresent();
  }

  /** Whether snapshots can be read and written: a store was given and the type has a state class. */
  boolean snapshots() {
    return snapshots.isPresent() && type.stateType().isPresent();
  }

  /** The current state of {@code streamId}, read from the store (never from a cache). */
  AggregateState<S> load(StreamId streamId) {
    if (observer == null) {
      return fold(streamId, startingPoint(streamId, Long.MAX_VALUE), Long.MAX_VALUE);
    }
    long started = System.nanoTime();
    AggregateState<S> from = startingPoint(streamId, Long.MAX_VALUE);
    AggregateState<S> loaded = fold(streamId, from, Long.MAX_VALUE);
    tell(observer, new RepositoryObserver.Loaded(type.category(), streamId, loaded.version(),
        from.version() > 0, loaded.version() - from.version(), Duration.ofNanos(System.nanoTime() - started)));
    return loaded;
  }

  /** Hands {@code o} to {@code observer}; an observer's failure must not fail the command. */
  static void tell(RepositoryObserver observer, RepositoryObserver.Observation o) {
    try {
      observer.observe(o);
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "repository observer failed on " + o.getClass().getSimpleName()
          + "; ignored", e);
    }
  }

  AggregateState<S> loadAsOf(StreamId streamId, AsOf asOf) {
    if (asOf instanceof AsOf.Version v) {
      return replay(streamId, startingPoint(streamId, v.version()), v.version(), ALL);
    }
    return history(streamId, asOf).state();
  }

  AggregateHistory<S> history(StreamId streamId, AsOf asOf) {
    List<RecordedEvent> events = new ArrayList<>();
    long maxVersion = asOf instanceof AsOf.Version v ? v.version() : Long.MAX_VALUE;
    Instant maxTime = asOf instanceof AsOf.Time t ? t.time() : Instant.MAX;
    long maxPosition = asOf instanceof AsOf.Position p ? p.position() : Long.MAX_VALUE;
    AggregateState<S> state = replay(streamId, initial(streamId), maxVersion, e -> {
      // A stream's times and positions rise with its versions, so the first one past the limit ends it.
      if (e.recordedAt().isAfter(maxTime) || e.position() > maxPosition) {
        return false;
      }
      events.add(e);
      return true;
    });
    return new AggregateHistory<>(state, events);
  }

  /** The stored events of a stream from {@code fromVersion}, at most {@code limit}, as events of this type. */
  List<E> events(StreamId streamId, long fromVersion, int limit) {
    List<E> events = new ArrayList<>();
    for (RecordedEvent r : store.readStream(streamId, fromVersion, limit)) {
      events.add(cast(r));
    }
    return events;
  }

  E cast(RecordedEvent r) {
    if (!isEvent(r.payload())) {
      throw new EventDecodingException(r.type(), r.schemaVersion(), r.streamId(), r.version(),
          r.position(), "it decodes to " + r.payload().getClass().getName() + ", which is not a "
              + type.eventType().getName() + " of aggregate '" + type.category() + "'", null);
    }
    return type.eventType().cast(r.payload());
  }

  private boolean isEvent(Object payload) {
    return type.eventType().isInstance(payload);
  }

  /** Writes a snapshot of {@code state}; only when {@link #snapshots()} holds. */
  void saveSnapshot(AggregateState<S> state) {
    snapshots.orElseThrow().save(new Snapshot(state.streamId(), state.version(),
        type.stateSchemaVersion(), store.registry().toJson(state.state()), clock.instant()));
    if (observer != null) {
      tell(observer, new RepositoryObserver.SnapshotWritten(type.category(), state.streamId(), state.version()));
    }
  }

  private AggregateState<S> initial(StreamId streamId) {
    return new AggregateState<>(streamId, type.decider().initialState(), 0);
  }

  /** The newest usable snapshot at or before {@code maxVersion}, else the initial state. */
  private AggregateState<S> startingPoint(StreamId streamId, long maxVersion) {
    if (!snapshots() || maxVersion == 0) {
      return initial(streamId);
    }
    SnapshotStore from = snapshots.orElseThrow();
    Optional<Snapshot> found;
    try {
      found = maxVersion == Long.MAX_VALUE ? from.latest(streamId)
          : from.latestAtOrBefore(streamId, maxVersion);
    } catch (SnapshotRejectedException e) {
      // Not the caller's problem: the events are the truth. One line, no trace; never a key.
      LOG.log(System.Logger.Level.WARNING, e.getMessage() + "; replaying all events");
      return initial(streamId);
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "cannot read snapshot of " + streamId
          + "; replaying all events", e);
      return initial(streamId);
    }
    if (found.isEmpty()) {
      return initial(streamId);
    }
    Snapshot snapshot = found.get();
    if (snapshot.schemaVersion() != type.stateSchemaVersion()) {
      LOG.log(System.Logger.Level.DEBUG, () -> "snapshot of " + streamId + " has state schema v"
          + snapshot.schemaVersion() + ", current is v" + type.stateSchemaVersion()
          + "; replaying all events");
      return initial(streamId);
    }
    try {
      S state = store.registry().fromJson(snapshot.state(), type.stateType().orElseThrow());
      return new AggregateState<>(streamId, state, snapshot.version());
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "snapshot of " + streamId + " at version "
          + snapshot.version() + " does not decode; replaying all events", e);
      return initial(streamId);
    }
  }

  /** Folds the events after {@code from} up to {@code maxVersion}, stopping at the first {@code sink} refuses. */
  private AggregateState<S> replay(StreamId streamId, AggregateState<S> from, long maxVersion,
      Predicate<RecordedEvent> sink) {
    if (sink == ALL) {
      return fold(streamId, from, maxVersion);
    }
    S state = from.state();
    long version = from.version();
    while (version < maxVersion) {
      int limit = (int) Math.min(PAGE, maxVersion - version);
      List<RecordedEvent> page = store.readStream(streamId, version + 1, limit);
      for (RecordedEvent r : page) {
        if (!sink.test(r)) {
          return new AggregateState<>(streamId, state, version);
        }
        state = type.decider().evolve(state, cast(r));
        version = r.version();
      }
      if (page.size() < limit) {
        break;
      }
    }
    return new AggregateState<>(streamId, state, version);
  }

  /**
   * Folds every event after {@code from} up to {@code maxVersion}, reading payloads only: a load
   * needs no ids, metadata or times, and a store may skip reading and decoding them.
   */
  private AggregateState<S> fold(StreamId streamId, AggregateState<S> from, long maxVersion) {
    S state = from.state();
    long version = from.version();
    while (version < maxVersion) {
      int limit = (int) Math.min(PAGE, maxVersion - version);
      List<Object> page = store.readPayloads(streamId, version + 1, limit);
      for (Object payload : page) {
        if (!isEvent(payload)) {
          // Rare enough to read the whole event again, for the same error as a full read gives.
          cast(store.readStream(streamId, version + 1, 1).get(0));
        }
        state = type.decider().evolve(state, type.eventType().cast(payload));
        version++;
      }
      if (page.size() < limit) {
        break;
      }
    }
    return new AggregateState<>(streamId, state, version);
  }
}
