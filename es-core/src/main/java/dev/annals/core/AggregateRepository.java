package dev.annals.core;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Executor;

/**
 * Loads aggregates, runs commands through their {@link Decider}, and appends the resulting
 * events with optimistic concurrency.
 *
 * <p>Handling a command: take the state (from the cache, or the latest snapshot plus the events
 * after it), decide, append with the loaded version as expected version. On a conflict, reload
 * and decide again, up to {@code maxAttempts} times, then rethrow the last
 * {@link ConcurrencyConflictException} (it names the stream, expected and actual version).
 * Domain errors ({@link DomainException}) are thrown as they are, never retried.
 *
 * <p>The cache holds states of recently used aggregates. It is only a hint: a stale state (say,
 * another node wrote meanwhile) fails the append's version check and is reloaded. States must be
 * immutable.
 *
 * <p>Snapshots are written on a background thread after the append, never on the command path;
 * a failed snapshot write is logged and costs only a slower load later.
 *
 * <p>Thread-safe. {@link #close()} waits for pending snapshot writes.
 *
 * @param <C> command type
 * @param <S> state type
 * @param <E> event type
 */
public final class AggregateRepository<C, S, E> implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(AggregateRepository.class.getName());
  private static final int PAGE = 1000;
  /** The expected version of {@link #handle(String, Object, CommandContext)}: whatever it is. */
  private static final long ANY_VERSION = -1;

  private final AggregateType<C, S, E> type;
  private final EventStore store;
  private final SnapshotStore snapshots;
  private final Cache<StreamId, AggregateState<S>> cache;
  private final int maxAttempts;
  private final Executor snapshotExecutor;
  private final ExecutorService ownedExecutor;
  private final Clock clock;

  private AggregateRepository(Builder<C, S, E> b) {
    this.type = b.type;
    this.store = b.store;
    this.snapshots = b.snapshots;
    this.cache = b.cacheSize == 0 ? null : Caffeine.newBuilder().maximumSize(b.cacheSize).build();
    this.maxAttempts = b.maxAttempts;
    this.clock = b.clock;
    if (b.snapshotExecutor != null) {
      this.snapshotExecutor = b.snapshotExecutor;
      this.ownedExecutor = null;
    } else if (snapshots != null && type.snapshotEvery() > 0) {
      this.ownedExecutor = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "snapshots-" + type.category());
        t.setDaemon(true);
        return t;
      });
      this.snapshotExecutor = ownedExecutor;
    } else {
      this.snapshotExecutor = null;
      this.ownedExecutor = null;
    }
  }

  /** Starts configuring a repository for {@code type} over {@code store}. */
  public static <C, S, E> Builder<C, S, E> builder(AggregateType<C, S, E> type, EventStore store) {
    return new Builder<>(type, store);
  }

  public AggregateType<C, S, E> type() {
    return type;
  }

  /**
   * The current state of aggregate {@code id}: the initial state at version 0 if it has no events.
   *
   * @throws UnknownEventTypeException if a stored event's type is not registered
   * @throws EventDecodingException if a stored event cannot be read
   */
  public AggregateState<S> load(String id) {
    StreamId streamId = type.streamId(id);
    if (cache != null) {
      AggregateState<S> cached = cache.getIfPresent(streamId);
      if (cached != null) {
        return cached;
      }
    }
    AggregateState<S> loaded = loadFresh(streamId);
    if (cache != null) {
      cache.put(streamId, loaded);
    }
    return loaded;
  }

  /** Handles a command with a random command id; see {@link #handle(String, Object, CommandContext)}. */
  public CommandResult<S, E> handle(String id, C command) {
    return handle(id, command, null);
  }

  /**
   * Decides {@code command} against aggregate {@code id} and appends the events it produces.
   *
   * <p>With a context, event ids are derived from the command id, so handling the same command
   * id twice stores its events once: the second call returns the stored events.
   *
   * @throws DomainException when the decider refuses the command
   * @throws ConcurrencyConflictException when every attempt met a concurrent writer
   */
  public CommandResult<S, E> handle(String id, C command, CommandContext context) {
    return execute(id, command, context, ANY_VERSION);
  }

  /**
   * Decides {@code command} only if aggregate {@code id} is at {@code expectedVersion}, the
   * version the caller decided from (an HTTP {@code If-Match}, say), and appends with exactly that
   * version: no retry, since a retry would decide from a state the caller never saw.
   *
   * @param expectedVersion 0 for "not created yet", else the version the caller read
   * @throws ConcurrencyConflictException if the aggregate is at another version, before or
   *     during the append; nothing was written
   * @throws DomainException when the decider refuses the command
   * @throws IllegalArgumentException if {@code expectedVersion} is negative
   */
  public CommandResult<S, E> handle(String id, C command, CommandContext context, long expectedVersion) {
    if (expectedVersion < 0) {
      throw new IllegalArgumentException("expected version must be 0 or more, was " + expectedVersion);
    }
    return execute(id, command, context, expectedVersion);
  }

  private CommandResult<S, E> execute(String id, C command, CommandContext context, long expectedVersion) {
    Objects.requireNonNull(command, "command must not be null");
    StreamId streamId = type.streamId(id);
    boolean exact = expectedVersion != ANY_VERSION;
    AnnalsException last = null;
    for (int attempt = 1; attempt <= (exact ? 1 : maxAttempts); attempt++) {
      AggregateState<S> cached = attempt == 1 && cache != null ? cache.getIfPresent(streamId) : null;
      AggregateState<S> current = cached != null ? cached : reload(streamId);
      if (exact && current.version() != expectedVersion) {
        // A cached state may be behind; only the stored version may refuse.
        current = cached != null ? reload(streamId) : current;
        if (current.version() != expectedVersion) {
          CommandResult<S, E> earlier = context == null ? null : earlierResult(streamId, context, attempt);
          if (earlier != null) {
            return earlier;
          }
          throw new ConcurrencyConflictException(streamId, ExpectedVersion.exactly(expectedVersion),
              current.version());
        }
      }
      List<E> events;
      try {
        try {
          events = type.decider().decide(command, current.state());
        } catch (DomainException refused) {
          if (cached == null) {
            throw refused;
          }
          // A refusal based on a cached state may be stale: only a fresh state may refuse.
          current = reload(streamId);
          events = type.decider().decide(command, current.state());
        }
      } catch (DomainException refused) {
        // A resend of a command that succeeded may be refused by the state it left behind (a
        // second withdrawal of the same money); it must still report the first outcome.
        CommandResult<S, E> earlier = context == null ? null : earlierResult(streamId, context, attempt);
        if (earlier != null) {
          return earlier;
        }
        throw refused;
      }
      if (events == null || events.isEmpty()) {
        return new CommandResult<>(streamId, List.of(), current.state(), current.version(), attempt, false);
      }
      List<NewEvent> batch = toNewEvents(streamId, events, context);
      AppendResult appended;
      try {
        appended = store.append(streamId, ExpectedVersion.exactly(current.version()), batch);
      } catch (ConcurrencyConflictException | TransactionOrderConflictException e) {
        invalidate(streamId);
        last = e;
        backoff(attempt, e);
        continue;
      }
      if (appended.firstVersion() <= current.version()) {
        // An earlier handling of the same command id stored these events already.
        AggregateState<S> now = reload(streamId);
        List<E> stored = new ArrayList<>();
        for (RecordedEvent r : store.readStream(streamId, appended.firstVersion(), appended.count())) {
          stored.add(cast(r));
        }
        return new CommandResult<>(streamId, stored, now.state(), now.version(), attempt, true);
      }
      S state = type.decider().fold(current.state(), events);
      AggregateState<S> next = new AggregateState<>(streamId, state, appended.lastVersion());
      if (cache != null) {
        cache.put(streamId, next);
      }
      maybeSnapshot(current.version(), next);
      return new CommandResult<>(streamId, events, state, appended.lastVersion(), attempt, false);
    }
    throw last;
  }

  /**
   * The state of aggregate {@code id} at a point in its history. Later events and later
   * snapshots are ignored; a version past the stream's end gives the current state.
   */
  public AggregateState<S> loadAsOf(String id, AsOf asOf) {
    Objects.requireNonNull(asOf, "asOf must not be null");
    StreamId streamId = type.streamId(id);
    if (asOf instanceof AsOf.Version v) {
      return replay(streamId, startingPoint(streamId, v.version()), v.version(), null);
    }
    return history(id, asOf).state();
  }

  /** The state of aggregate {@code id} at a point in its history and every event that led there. */
  public AggregateHistory<S> history(String id, AsOf asOf) {
    Objects.requireNonNull(asOf, "asOf must not be null");
    StreamId streamId = type.streamId(id);
    List<RecordedEvent> events = new ArrayList<>();
    AggregateState<S> initial = new AggregateState<>(streamId, type.decider().initialState(), 0);
    long maxVersion = asOf instanceof AsOf.Version v ? v.version() : Long.MAX_VALUE;
    java.time.Instant maxTime = asOf instanceof AsOf.Time t ? t.time() : null;
    long maxPosition = asOf instanceof AsOf.Position p ? p.position() : Long.MAX_VALUE;
    AggregateState<S> state = replay(streamId, initial, maxVersion, e -> {
      if (maxTime != null && e.recordedAt().isAfter(maxTime)) {
        return false;
      }
      // A stream's positions rise with its versions, so the first one past the limit ends it.
      if (e.position() > maxPosition) {
        return false;
      }
      events.add(e);
      return true;
    });
    return new AggregateHistory<>(state, events);
  }

  /**
   * Writes a snapshot of aggregate {@code id}'s current state now, on the calling thread, whatever
   * the snapshot policy says; for operators who want loads to start from here.
   *
   * @return the stream version the snapshot was taken at, 0 when the stream is empty (and no
   *     snapshot was written)
   * @throws IllegalStateException if this repository has no snapshot store or the aggregate type
   *     declares no snapshot state
   */
  public long snapshot(String id) {
    if (snapshots == null || type.stateType().isEmpty()) {
      throw new IllegalStateException("repository of '" + type.category() + "' cannot take snapshots: "
          + (snapshots == null ? "no snapshot store was given to its builder" : "its aggregate type declares "
              + "no snapshot state (AggregateType.Builder.snapshots)"));
    }
    AggregateState<S> current = loadFresh(type.streamId(id));
    if (current.version() == 0) {
      return 0;
    }
    snapshots.save(snapshotOf(current));
    return current.version();
  }

  /** Drops any cached state of aggregate {@code id}. */
  public void evict(String id) {
    invalidate(type.streamId(id));
  }

  /** Waits up to 30 seconds for pending snapshot writes, then stops the snapshot thread. */
  @Override
  public void close() {
    if (ownedExecutor != null) {
      ownedExecutor.shutdown();
      try {
        if (!ownedExecutor.awaitTermination(30, TimeUnit.SECONDS)) {
          LOG.log(System.Logger.Level.WARNING, "snapshot writes for " + type.category()
              + " still pending after 30 s; abandoning them");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private AggregateState<S> reload(StreamId streamId) {
    AggregateState<S> fresh = loadFresh(streamId);
    if (cache != null) {
      cache.put(streamId, fresh);
    }
    return fresh;
  }

  private void invalidate(StreamId streamId) {
    if (cache != null) {
      cache.invalidate(streamId);
    }
  }

  private AggregateState<S> loadFresh(StreamId streamId) {
    return replay(streamId, startingPoint(streamId, Long.MAX_VALUE), Long.MAX_VALUE, null);
  }

  /** The newest usable snapshot at or before {@code maxVersion}, else the initial state. */
  private AggregateState<S> startingPoint(StreamId streamId, long maxVersion) {
    AggregateState<S> initial = new AggregateState<>(streamId, type.decider().initialState(), 0);
    if (snapshots == null || type.stateType().isEmpty() || maxVersion == 0) {
      return initial;
    }
    Optional<Snapshot> found;
    try {
      found = maxVersion == Long.MAX_VALUE ? snapshots.latest(streamId)
          : snapshots.latestAtOrBefore(streamId, maxVersion);
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "cannot read snapshot of " + streamId
          + "; replaying all events", e);
      return initial;
    }
    if (found.isEmpty()) {
      return initial;
    }
    Snapshot snapshot = found.get();
    if (snapshot.schemaVersion() != type.stateSchemaVersion()) {
      LOG.log(System.Logger.Level.DEBUG, () -> "snapshot of " + streamId + " has state schema v"
          + snapshot.schemaVersion() + ", current is v" + type.stateSchemaVersion()
          + "; replaying all events");
      return initial;
    }
    try {
      S state = store.registry().fromJson(snapshot.state(), type.stateType().orElseThrow());
      return new AggregateState<>(streamId, state, snapshot.version());
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "snapshot of " + streamId + " at version "
          + snapshot.version() + " does not decode; replaying all events", e);
      return initial;
    }
  }

  private interface EventSink {
    boolean accept(RecordedEvent event);
  }

  private AggregateState<S> replay(StreamId streamId, AggregateState<S> from, long maxVersion,
      EventSink sink) {
    S state = from.state();
    long version = from.version();
    while (version < maxVersion) {
      int limit = (int) Math.min(PAGE, maxVersion - version);
      List<RecordedEvent> page = store.readStream(streamId, version + 1, limit);
      for (RecordedEvent r : page) {
        if (sink != null && !sink.accept(r)) {
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

  private E cast(RecordedEvent r) {
    if (!type.eventType().isInstance(r.payload())) {
      throw new EventDecodingException(r.type(), r.schemaVersion(), r.streamId(), r.version(),
          r.position(), "it decodes to " + r.payload().getClass().getName() + ", which is not a "
              + type.eventType().getName() + " of aggregate '" + type.category() + "'", null);
    }
    return type.eventType().cast(r.payload());
  }

  /** The result of an earlier handling of the same command id on this stream, or null if there was none. */
  private CommandResult<S, E> earlierResult(StreamId streamId, CommandContext context, int attempt) {
    Optional<RecordedEvent> first = store.readEvent(eventId(context, streamId, 0));
    if (first.isEmpty() || !first.get().streamId().equals(streamId)) {
      return null;
    }
    List<E> stored = new ArrayList<>();
    long version = first.get().version();
    for (RecordedEvent r : store.readStream(streamId, version, 1000)) {
      if (!r.eventId().equals(eventId(context, streamId, stored.size()))) {
        break;
      }
      stored.add(cast(r));
    }
    AggregateState<S> now = reload(streamId);
    return new CommandResult<>(streamId, stored, now.state(), now.version(), attempt, true);
  }

  private static UUID eventId(CommandContext context, StreamId streamId, int index) {
    return EventIds.derived(context.commandId(), streamId, index);
  }

  private List<NewEvent> toNewEvents(StreamId streamId, List<E> events, CommandContext context) {
    Metadata metadata = Metadata.empty().withOccurredAt(clock.instant());
    if (context != null) {
      metadata = new Metadata(context.correlationId(), context.commandId(), context.actor(),
          metadata.occurredAt(), context.extra());
    }
    List<NewEvent> batch = new ArrayList<>(events.size());
    for (int i = 0; i < events.size(); i++) {
      E event = Objects.requireNonNull(events.get(i), "decider returned a null event");
      UUID id = context == null ? EventIds.timeOrdered() : eventId(context, streamId, i);
      batch.add(new NewEvent(id, event, metadata));
    }
    return batch;
  }

  private void maybeSnapshot(long before, AggregateState<S> after) {
    int every = type.snapshotEvery();
    if (snapshotExecutor == null || every == 0 || after.version() / every == before / every) {
      return;
    }
    try {
      snapshotExecutor.execute(() -> writeSnapshot(after));
    } catch (RejectedExecutionException e) {
      LOG.log(System.Logger.Level.DEBUG, "repository closed; snapshot of " + after.streamId() + " skipped");
    }
  }

  private Snapshot snapshotOf(AggregateState<S> state) {
    return new Snapshot(state.streamId(), state.version(), type.stateSchemaVersion(),
        store.registry().toJson(state.state()), clock.instant());
  }

  private void writeSnapshot(AggregateState<S> state) {
    try {
      snapshots.save(snapshotOf(state));
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "snapshot of " + state.streamId() + " at version "
          + state.version() + " failed; loads replay more events until the next one", e);
    }
  }

  private void backoff(int attempt, AnnalsException e) {
    if (attempt >= maxAttempts) {
      return;
    }
    // Jitter spreads colliding writers apart so one of them wins the next round.
    long millis = ThreadLocalRandom.current().nextLong(1L << Math.min(attempt, 6));
    try {
      Thread.sleep(millis);
    } catch (InterruptedException ie) {
      Thread.currentThread().interrupt();
      throw e;
    }
  }

  /** Checked settings of an {@link AggregateRepository}. */
  public static final class Builder<C, S, E> {
    private final AggregateType<C, S, E> type;
    private final EventStore store;
    private SnapshotStore snapshots;
    private long cacheSize = 10_000;
    private int maxAttempts = 5;
    private Executor snapshotExecutor;
    private Clock clock = Clock.systemUTC();

    private Builder(AggregateType<C, S, E> type, EventStore store) {
      this.type = Objects.requireNonNull(type, "aggregate type must not be null");
      this.store = Objects.requireNonNull(store, "event store must not be null");
    }

    /** Where snapshots are read and written; without one, every load replays all events. */
    public Builder<C, S, E> snapshotStore(SnapshotStore snapshots) {
      this.snapshots = Objects.requireNonNull(snapshots, "snapshot store must not be null");
      return this;
    }

    /** How many aggregate states to keep cached; 10,000 by default, 0 to disable the cache. */
    public Builder<C, S, E> cacheSize(long states) {
      if (states < 0) {
        throw new IllegalArgumentException("cacheSize must be 0 or more, was " + states);
      }
      this.cacheSize = states;
      return this;
    }

    /** How many times a command is decided before a conflict is given up; 5 by default. */
    public Builder<C, S, E> maxAttempts(int attempts) {
      if (attempts < 1) {
        throw new IllegalArgumentException("maxAttempts must be 1 or more, was " + attempts);
      }
      this.maxAttempts = attempts;
      return this;
    }

    /**
     * Runs snapshot writes on {@code executor} instead of the repository's own background thread
     * ({@code Runnable::run} writes them synchronously, handy in tests).
     */
    public Builder<C, S, E> snapshotExecutor(Executor executor) {
      this.snapshotExecutor = Objects.requireNonNull(executor, "executor must not be null");
      return this;
    }

    /** The clock for occurred-at and snapshot times; the system clock by default. */
    public Builder<C, S, E> clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock must not be null");
      return this;
    }

    /**
     * Builds the repository. Snapshots are taken only when the aggregate type enables them and
     * a snapshot store is given; without a store every load replays all events.
     *
     * @throws IllegalStateException if a snapshot store was given but the aggregate type has no
     *     snapshot state class
     */
    public AggregateRepository<C, S, E> build() {
      if (snapshots != null && type.stateType().isEmpty()) {
        throw new IllegalStateException("a snapshot store was given but " + type
            + " has no snapshot state class; add .snapshots(State.class, 1) to its AggregateType");
      }
      return new AggregateRepository<>(this);
    }
  }
}
