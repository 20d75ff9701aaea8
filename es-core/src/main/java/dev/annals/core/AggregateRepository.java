package dev.annals.core;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
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
  /** Jitter before a retry after a conflict: up to 2 ms after the first, doubling to 64 ms. */
  private static final Backoff CONFLICT_BACKOFF = Backoff.of(Duration.ofMillis(2), Duration.ofMillis(64));

  private final AggregateType<C, S, E> type;
  private final EventStore store;
  private final AggregateLoader<S, E> loader;
  private final Optional<Cache<StreamId, AggregateState<S>>> cache;
  private final int maxAttempts;
  private final SnapshotWriter<S> snapshotWriter;
  private final Clock clock;
  /** Null when nobody listens: then no observation is built on the command path. */
  private final RepositoryObserver observer;

  private AggregateRepository(Builder<C, S, E> b) {
    this.type = b.type;
    this.store = b.store;
    this.observer = b.observer;
    this.loader = new AggregateLoader<>(type, store, Optional.ofNullable(b.snapshots), b.clock, b.observer);
    this.cache = b.cacheSize == 0 ? Optional.empty()
        : Optional.of(Caffeine.newBuilder().maximumSize(b.cacheSize).build());
    this.maxAttempts = b.maxAttempts;
    this.clock = b.clock;
    this.snapshotWriter = new SnapshotWriter<>(loader, type, Optional.ofNullable(b.snapshotExecutor));
  }

  /** Starts configuring a repository for {@code type} over {@code store}. */
  public static <C, S, E> Builder<C, S, E> builder(AggregateType<C, S, E> type, EventStore store) {
    return new Builder<>(type, store);
  }

  /** The aggregate type this repository handles. */
  public AggregateType<C, S, E> type() {
    return type;
  }

  /**
   * The state of aggregate {@code id} as this repository knows it: the initial state at version
   * 0 if it has no events. A cached state is returned as it is, so it may lag appends made through
   * another repository or node; for a read that must see them, {@link #evict} first or use a
   * repository without a cache.
   *
   * @throws UnknownEventTypeException if a stored event's type is unknown
   * @throws EventDecodingException if a stored event cannot be read
   */
  public AggregateState<S> load(String id) {
    StreamId streamId = type.streamId(id);
    Optional<AggregateState<S>> cached = cache.map(c -> c.getIfPresent(streamId));
    return cached.orElseGet(() -> reload(streamId));
  }

  /**
   * Handles a command without a context: the events get fresh ids and no causation, so a resend
   * stores them again; see {@link #handle(String, Object, CommandContext)}.
   */
  public CommandResult<S, E> handle(String id, C command) {
    return execute(id, command, Optional.empty(), ExpectedVersion.any());
  }

  /**
   * Decides {@code command} against aggregate {@code id} and appends the events it produces.
   *
   * <p>Event ids are derived from the context's command id, so handling the same command id twice
   * stores its events once: the second call returns the stored events.
   *
   * @throws DomainException when the decider refuses the command
   * @throws ConcurrencyConflictException when every attempt met a concurrent writer
   */
  public CommandResult<S, E> handle(String id, C command, CommandContext context) {
    Objects.requireNonNull(context, "context must not be null (use handle(id, command) without one)");
    return execute(id, command, Optional.of(context), ExpectedVersion.any());
  }

  /**
   * Decides {@code command} only if aggregate {@code id} satisfies {@code expected}, typically
   * {@link ExpectedVersion#exactly} the version the caller decided from (an HTTP {@code If-Match},
   * say). An exact version ({@code exactly(n)} or {@code noStream()}) is appended with exactly
   * that version and never retried, since a retry would decide from a state the caller never saw;
   * {@code any()} and {@code streamExists()} retry conflicts as the other overloads do.
   *
   * @throws ConcurrencyConflictException if the aggregate does not satisfy {@code expected},
   *     before or during the append; nothing was written
   * @throws DomainException when the decider refuses the command
   */
  public CommandResult<S, E> handle(String id, C command, CommandContext context, ExpectedVersion expected) {
    Objects.requireNonNull(context, "context must not be null");
    Objects.requireNonNull(expected, "expected version must not be null");
    return execute(id, command, Optional.of(context), expected);
  }

  private CommandResult<S, E> execute(String id, C command, Optional<CommandContext> context,
      ExpectedVersion expected) {
    Objects.requireNonNull(command, "command must not be null");
    StreamId streamId = type.streamId(id);
    // Only an expectation of one version pins the state the caller decided from.
    boolean pinned = expected instanceof ExpectedVersion.Exactly || expected instanceof ExpectedVersion.NoStream;
    int attempts = pinned ? 1 : maxAttempts;
    AnnalsException last = null;
    for (int attempt = 1; attempt <= attempts; attempt++) {
      Optional<AggregateState<S>> cached = attempt == 1 ? cache.map(c -> c.getIfPresent(streamId)) : Optional.empty();
      AggregateState<S> current = cached.orElseGet(() -> reload(streamId));
      if (!expected.isSatisfiedBy(current.version())) {
        // A cached state may be behind; only the stored version may refuse.
        current = cached.isPresent() ? reload(streamId) : current;
        if (!expected.isSatisfiedBy(current.version())) {
          Optional<CommandResult<S, E>> earlier = earlierResult(streamId, context, attempt);
          if (earlier.isPresent()) {
            return earlier.get();
          }
          throw new ConcurrencyConflictException(streamId, expected, current.version());
        }
      }
      List<E> events;
      try {
        try {
          events = type.decider().decide(command, current.state());
        } catch (DomainException refused) {
          if (cached.isEmpty()) {
            throw refused;
          }
          // A refusal based on a cached state may be stale: only a fresh state may refuse.
          current = reload(streamId);
          events = type.decider().decide(command, current.state());
        }
      } catch (DomainException refused) {
        // A resend of a command that succeeded may be refused by the state it left behind (a
        // second withdrawal of the same money); it must still report the first outcome.
        Optional<CommandResult<S, E>> earlier = earlierResult(streamId, context, attempt);
        if (earlier.isPresent()) {
          return earlier.get();
        }
        throw refused;
      }
      if (events == null || events.isEmpty()) {
        return new CommandResult<>(streamId, List.of(), current.state(), current.version(), attempt, false);
      }
      List<NewEvent> batch = toNewEvents(streamId, events, context);
      AppendResult appended;
      long started = observer == null ? 0 : System.nanoTime();
      try {
        appended = store.append(streamId, ExpectedVersion.exactly(current.version()), batch);
        if (observer != null) {
          AggregateLoader.tell(observer, new RepositoryObserver.Appended(type.category(), appended,
              Duration.ofNanos(System.nanoTime() - started)));
        }
      } catch (ConcurrencyConflictException | TransactionOrderConflictException e) {
        if (observer != null) {
          AggregateLoader.tell(observer, new RepositoryObserver.Conflicted(type.category(), streamId,
              Duration.ofNanos(System.nanoTime() - started)));
        }
        invalidate(streamId);
        last = e;
        if (attempt < attempts) {
          backoff(attempt, e);
        }
        continue;
      }
      if (appended.firstVersion() <= current.version()) {
        // An earlier handling of the same command id stored these events already.
        AggregateState<S> now = reload(streamId);
        List<E> stored = loader.events(streamId, appended.firstVersion(), appended.count());
        return new CommandResult<>(streamId, stored, now.state(), now.version(), attempt, true);
      }
      S state = type.decider().fold(current.state(), events);
      AggregateState<S> next = new AggregateState<>(streamId, state, appended.lastVersion());
      cache.ifPresent(c -> c.put(streamId, next));
      snapshotWriter.appended(current.version(), next);
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
    return loader.loadAsOf(type.streamId(id), asOf);
  }

  /** The state of aggregate {@code id} at a point in its history and every event that led there. */
  public AggregateHistory<S> history(String id, AsOf asOf) {
    Objects.requireNonNull(asOf, "asOf must not be null");
    return loader.history(type.streamId(id), asOf);
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
    if (!loader.snapshots()) {
      throw new IllegalStateException("repository of '" + type.category() + "' cannot take snapshots: "
          + (!loader.hasSnapshotStore() ? "no snapshot store was given to its builder" : "its aggregate type declares "
              + "no snapshot state (AggregateType.Builder.snapshots)"));
    }
    AggregateState<S> current = loader.load(type.streamId(id));
    if (current.version() == 0) {
      return 0;
    }
    loader.saveSnapshot(current);
    return current.version();
  }

  /** Drops any cached state of aggregate {@code id}. */
  public void evict(String id) {
    invalidate(type.streamId(id));
  }

  /** Waits up to 30 seconds for pending snapshot writes, then stops the snapshot thread. */
  @Override
  public void close() {
    snapshotWriter.close();
  }

  private AggregateState<S> reload(StreamId streamId) {
    AggregateState<S> fresh = loader.load(streamId);
    cache.ifPresent(c -> c.put(streamId, fresh));
    return fresh;
  }

  private void invalidate(StreamId streamId) {
    cache.ifPresent(c -> c.invalidate(streamId));
  }

  /** The result of an earlier handling of the same command id on this stream, if there was one. */
  private Optional<CommandResult<S, E>> earlierResult(StreamId streamId, Optional<CommandContext> context,
      int attempt) {
    if (context.isEmpty()) {
      return Optional.empty();
    }
    CommandContext ctx = context.get();
    Optional<RecordedEvent> first = store.readEvent(eventId(ctx, streamId, 0));
    if (first.isEmpty() || !first.get().streamId().equals(streamId)) {
      return Optional.empty();
    }
    List<E> stored = new ArrayList<>();
    for (RecordedEvent r : store.readStream(streamId, first.get().version(), 1000)) {
      if (!r.eventId().equals(eventId(ctx, streamId, stored.size()))) {
        break;
      }
      stored.add(loader.cast(r));
    }
    AggregateState<S> now = reload(streamId);
    return Optional.of(new CommandResult<>(streamId, stored, now.state(), now.version(), attempt, true));
  }

  private static UUID eventId(CommandContext context, StreamId streamId, int index) {
    return EventIds.derived(context.commandId(), streamId, index);
  }

  private List<NewEvent> toNewEvents(StreamId streamId, List<E> events, Optional<CommandContext> context) {
    Metadata metadata = Metadata.empty().withOccurredAt(clock.instant());
    if (context.isPresent()) {
      CommandContext ctx = context.get();
      metadata = new Metadata(ctx.correlationId(), ctx.commandId(), ctx.actor(), metadata.occurredAt(),
          ctx.extra());
    }
    List<NewEvent> batch = new ArrayList<>(events.size());
    for (int i = 0; i < events.size(); i++) {
      E event = Objects.requireNonNull(events.get(i), "decider returned a null event");
      UUID id = context.isPresent() ? eventId(context.get(), streamId, i) : EventIds.timeOrdered();
      batch.add(new NewEvent(id, event, metadata));
    }
    return batch;
  }

  private void backoff(int attempt, AnnalsException e) {
    // Jitter spreads colliding writers apart so one of them wins the next round.
    if (!Backoff.sleep(CONFLICT_BACKOFF.jitteredDelay(attempt), () -> true)) {
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
    private RepositoryObserver observer;

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
     * Who hears of appends, conflicts, loads and snapshots (metrics, tracing); nobody by default.
     * Combine several with {@link RepositoryObserver#andThen}.
     *
     * @throws IllegalStateException if an observer was already set
     */
    public Builder<C, S, E> observer(RepositoryObserver observer) {
      Objects.requireNonNull(observer, "observer must not be null");
      if (this.observer != null) {
        throw new IllegalStateException("an observer was already set for the repository of '"
            + type.category() + "'; combine them with RepositoryObserver.andThen");
      }
      this.observer = observer;
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
