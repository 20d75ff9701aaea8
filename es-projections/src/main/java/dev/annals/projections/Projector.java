package dev.annals.projections;

import dev.annals.core.Backoff;
import dev.annals.core.LogFilter;
import dev.annals.core.RecordedEvent;
import dev.annals.postgres.LogCursor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

// Over 400 lines: the handler interfaces and the two checked builders belong with the Projector they make.
/**
 * A consumer of the event log, run by a {@link ProjectionRunner}. Two kinds:
 *
 * <ul>
 *   <li>a <b>read model</b> ({@link #builder}): its handler gets each event with the Jdbi handle
 *       of the transaction that also advances its checkpoint, so its tables are updated exactly
 *       once, even across crashes;</li>
 *   <li><b>side effects</b> ({@link #sideEffects}): its handler talks to the outside world
 *       (mail, HTTP, a broker) outside any transaction; at-least-once, with the event id as
 *       idempotency key.</li>
 * </ul>
 *
 * <pre>{@code
 * Projector balances = Projector.builder("balances")
 *     .version(2)
 *     .filter(LogFilter.categories("account"))
 *     .tables("balances")
 *     .setup(t -> t.handle().execute("CREATE TABLE " + t.table("balances")
 *         + " (account text PRIMARY KEY, cents bigint NOT NULL)"))
 *     .handler((event, ctx) -> ctx.handle().execute("INSERT INTO " + ctx.table("balances")
 *         + " VALUES (?, ?) ON CONFLICT (account) DO UPDATE SET cents = "
 *         + ctx.table("balances") + ".cents + excluded.cents",
 *         event.streamId().id(), event.payload(Deposited.class).cents()))
 *     .build();
 * }</pre>
 *
 * <p>Immutable and thread-safe. Handlers are called from one thread per partition at a time.
 */
public final class Projector {

  /**
   * Longest accepted projector or table name: with {@code _v} and a version of up to ten digits
   * a physical table name stays within PostgreSQL's 63 characters.
   */
  public static final int MAX_NAME_LENGTH = 41;

  private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_]{0,40}");

  private final String name;
  private final int version;
  private final LogFilter filter;
  private final int partitions;
  private final int batchSize;
  private final List<String> tables;
  private final Setup setup;
  private final Reset reset;
  private final Handler handler;
  private final SideEffect sideEffect;
  private final BatchSideEffect batchSideEffect;
  private final BatchHandler batchHandler;
  private final FailurePolicy failurePolicy;
  private final int maxAttempts;
  private final Backoff backoff;

  private Projector(Builder<?> b, Handler handler, BatchHandler batchHandler, SideEffect sideEffect,
      BatchSideEffect batchSideEffect, List<String> tables, Setup setup, Reset reset, int version) {
    this.name = b.name;
    this.version = version;
    this.filter = b.filter;
    this.partitions = b.partitions;
    this.batchSize = b.batchSize;
    this.tables = List.copyOf(tables);
    this.setup = setup;
    this.reset = reset;
    this.handler = handler;
    this.sideEffect = sideEffect;
    this.batchSideEffect = batchSideEffect;
    this.batchHandler = batchHandler;
    this.failurePolicy = b.failurePolicy;
    this.maxAttempts = b.maxAttempts;
    this.backoff = b.backoff;
  }

  /**
   * Starts a read-model projector.
   *
   * @param name {@code [a-z][a-z0-9_]{0,40}}, unique among the application's projectors
   * @throws IllegalArgumentException naming the bad value
   */
  public static ReadModelBuilder builder(String name) {
    return new ReadModelBuilder(checkName("projector", name));
  }

  /**
   * Starts a side-effect projector (at-least-once, outside the read-model transaction).
   *
   * @param name {@code [a-z][a-z0-9_]{0,40}}, unique among the application's projectors
   * @throws IllegalArgumentException naming the bad value
   */
  public static SideEffectsBuilder sideEffects(String name) {
    return new SideEffectsBuilder(checkName("projector", name));
  }

  /** The projector's name. */
  public String name() {
    return name;
  }

  /** The version of its read model; a higher version is rebuilt beside the active one. */
  public int version() {
    return version;
  }

  /** Which events it handles. */
  public LogFilter filter() {
    return filter;
  }

  /** Into how many partitions (by stream) its work is split, each processed on its own. */
  public int partitions() {
    return partitions;
  }

  /** Most events per batch transaction. */
  public int batchSize() {
    return batchSize;
  }

  /** The logical names of its read-model tables (empty for side effects). */
  public List<String> tables() {
    return tables;
  }

  /** What happens to an event that fails after its last try. */
  public FailurePolicy failurePolicy() {
    return failurePolicy;
  }

  /** How many times a failing event is tried before it is parked, from 1. */
  public int maxAttempts() {
    return maxAttempts;
  }

  /** Whether this is a side-effect projector. */
  public boolean isSideEffects() {
    return sideEffect != null;
  }

  Handler handler() {
    return handler;
  }

  /** The batch handler of a read-model projector; empty when it handles one event at a time. */
  Optional<BatchHandler> batchHandler() {
    return Optional.ofNullable(batchHandler);
  }

  SideEffect sideEffect() {
    return sideEffect;
  }

  /** The batch handler of a side-effect projector; empty when it handles one event at a time. */
  Optional<BatchSideEffect> batchSideEffect() {
    return Optional.ofNullable(batchSideEffect);
  }

  /** What creates its tables; empty for side effects and for read models without tables. */
  Optional<Setup> setup() {
    return Optional.ofNullable(setup);
  }

  /** What clears its tables on a reset; empty for side effects. */
  Optional<Reset> reset() {
    return Optional.ofNullable(reset);
  }

  /** The wait before try {@code attempt + 1}: the first backoff, doubled per try, capped. */
  Duration backoff(int attempt) {
    return backoff.delay(attempt);
  }

  @Override
  public String toString() {
    return "Projector[" + name + " v" + version + (isSideEffects() ? ", side effects" : "")
        + ", " + partitions + " partition(s)]";
  }

  static String checkName(String what, String name) {
    Objects.requireNonNull(name, what + " name must not be null");
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("invalid " + what + " name '" + name + "': use a "
          + "lower-case letter followed by up to 40 lower-case letters, digits or underscores");
    }
    return name;
  }

  /**
   * Handles one event of a read-model projector, in the batch transaction. Let SQL exceptions
   * propagate: a failed statement aborts the whole transaction, so a handler that catches one
   * and goes on makes the batch's commit fail instead, without naming the event.
   */
  @FunctionalInterface
  public interface Handler {
    /**
     * @throws Exception to fail the event: the batch rolls back and the event is retried, then
     *     parked. Throwing an {@link Error} rolls back and ends the projector's thread.
     */
    void handle(RecordedEvent event, ProjectionContext context) throws Exception;
  }

  /**
   * Handles a whole batch of a read-model projector in the batch transaction, so that a read
   * model can be written with bulk SQL (a JDBC batch, one multi-row statement) instead of a round
   * trip per event. The batch and the checkpoint commit together: exactly once, as with
   * {@link Handler}.
   */
  @FunctionalInterface
  public interface BatchHandler {
    /**
     * @param events one or more events, in log order (a stream's events in version order);
     *     events of streams blocked behind a dead letter are left out
     * @param tables the batch transaction and the version's table names; do not commit it
     * @throws Exception to fail the batch: it rolls back, and its events are handled again one at
     *     a time (each as a batch of one) to find the failing one, which is retried with backoff,
     *     then parked or halts the projector, as its failure policy says
     */
    void handle(List<RecordedEvent> events, TableContext tables) throws Exception;
  }

  /** Performs one event's side effect, outside any database transaction. */
  @FunctionalInterface
  public interface SideEffect {
    /**
     * @throws TargetUnavailableException when the outside system is down: the event is tried
     *     again with backoff, without limit, and never parked for it
     * @throws Exception to fail the event: it is retried with backoff, then parked; the
     *     checkpoint does not pass it before it succeeded or was parked
     */
    void handle(RecordedEvent event, SideEffectContext context) throws Exception;
  }

  /**
   * Performs the side effects of a whole batch in one go (one broker round trip instead of one
   * per event), outside any database transaction. The checkpoint moves past the batch once the
   * call returns. Events of streams blocked behind a dead letter are left out.
   */
  @FunctionalInterface
  public interface BatchSideEffect {
    /**
     * @param events one or more events, in log order; a stream's events in version order
     * @throws TargetUnavailableException when the outside system is down: the same events come
     *     again after a backoff, without limit; nothing is parked for it
     * @throws Exception when something else failed, possibly one event's fault: the batch's
     *     events are then tried one at a time (each as a batch of one), and an event that keeps
     *     failing is retried with backoff, then parked like any side effect. The effects of the
     *     events before it may therefore happen again: side effects are at-least-once
     */
    void handle(List<RecordedEvent> events) throws Exception;
  }

  /** Creates a read-model version's tables, once per version, in a transaction. */
  @FunctionalInterface
  public interface Setup {
    /** @throws Exception to fail the start of the projector; nothing is created */
    void create(TableContext tables) throws Exception;
  }

  /**
   * Clears what a replay from {@code target} will write again, in the transaction that moves
   * the checkpoint back.
   */
  @FunctionalInterface
  public interface Reset {
    /** @throws Exception to refuse the reset; nothing changes */
    void clear(TableContext tables, LogCursor target) throws Exception;
  }

  /**
   * Settings both kinds of projector have. Each setter checks its value and names it in its
   * message; {@code build()} checks combinations.
   *
   * @param <B> the concrete builder, for chaining
   */
  abstract static class Builder<B extends Builder<B>> {
    final String name;
    LogFilter filter = LogFilter.all();
    int partitions = 1;
    int batchSize = 500;
    FailurePolicy failurePolicy = FailurePolicy.STOP;
    int maxAttempts = 5;
    Backoff backoff = Backoff.of(Duration.ofMillis(100), Duration.ofSeconds(10));

    Builder(String name) {
      this.name = name;
    }

    abstract B self();

    /** The events it handles, by stream category and type; all events by default. */
    public B filter(LogFilter filter) {
      this.filter = Objects.requireNonNull(filter, "filter must not be null (use LogFilter.all())");
      return self();
    }

    /**
     * Splits the work into {@code count} partitions by stream (1 to 256; 1 by default). Each
     * partition has its own checkpoint, thread and owner; a stream's events stay in order.
     * Changing the count needs a new {@link ReadModelBuilder#version}.
     */
    public B partitions(int count) {
      if (count < 1 || count > 256) {
        throw new IllegalArgumentException("partitions must be 1 to 256, was " + count);
      }
      this.partitions = count;
      return self();
    }

    /** Most events per batch transaction, 1 to 10,000; 500 by default. */
    public B batchSize(int events) {
      if (events < 1 || events > 10_000) {
        throw new IllegalArgumentException("batchSize must be 1 to 10000, was " + events);
      }
      this.batchSize = events;
      return self();
    }

    /** What happens to an event that fails after its last try; {@link FailurePolicy#STOP} by default. */
    public B onFailure(FailurePolicy policy) {
      this.failurePolicy = Objects.requireNonNull(policy, "failure policy must not be null");
      return self();
    }

    /**
     * How often a failing event is tried and how long to wait in between: {@code first}, doubled
     * per try up to {@code max}. By default 5 tries, 100 ms doubling to 10 s.
     *
     * @param maxAttempts 1 to 100 (1: no retry)
     */
    public B retries(int maxAttempts, Duration first, Duration max) {
      if (maxAttempts < 1 || maxAttempts > 100) {
        throw new IllegalArgumentException("maxAttempts must be 1 to 100, was " + maxAttempts);
      }
      this.backoff = Backoff.of(first, max);
      this.maxAttempts = maxAttempts;
      return self();
    }
  }

  /** Builds a read-model projector; see {@link Projector}. */
  public static final class ReadModelBuilder extends Builder<ReadModelBuilder> {
    private int version = 1;
    private final Set<String> tables = new LinkedHashSet<>();
    private Setup setup;
    private Reset reset;
    private Handler handler;
    private BatchHandler batchHandler;

    private ReadModelBuilder(String name) {
      super(name);
    }

    @Override
    ReadModelBuilder self() {
      return this;
    }

    /**
     * The read model's version, 1 by default. Raising it makes the runner build the new
     * version's tables beside the old ones from the start of the log and switch reads over once
     * it has caught up.
     */
    public ReadModelBuilder version(int version) {
      if (version < 1) {
        throw new IllegalArgumentException("version must be 1 or more, was " + version);
      }
      this.version = version;
      return this;
    }

    /**
     * Declares its tables by logical name ({@code [a-z][a-z0-9_]{0,40}}). Each version has its
     * own physical table ({@link TableContext#table}); readers use a view of the logical name.
     */
    public ReadModelBuilder tables(String... logicalNames) {
      Objects.requireNonNull(logicalNames, "table names must not be null");
      for (String t : logicalNames) {
        checkName("table", t);
        if (!tables.add(t)) {
          throw new IllegalArgumentException("table '" + t + "' was already declared");
        }
      }
      return this;
    }

    /** Creates a version's tables (named with {@link TableContext#table}); runs once per version. */
    public ReadModelBuilder setup(Setup setup) {
      this.setup = once(this.setup, setup, "setup", name);
      return this;
    }

    /**
     * Clears what a replay will write again. Without one, a reset to the start truncates the
     * declared tables and a reset to any other place is refused.
     */
    public ReadModelBuilder reset(Reset reset) {
      this.reset = once(this.reset, reset, "reset", name);
      return this;
    }

    /** Handles each event in the batch transaction. Required, unless a {@link #batchHandler} is set. */
    public ReadModelBuilder handler(Handler handler) {
      if (batchHandler != null) {
        throw new IllegalStateException("projector " + name + " already has a batchHandler(...); "
            + "set either handler(...) or batchHandler(...)");
      }
      this.handler = once(this.handler, handler, "handler", name);
      return this;
    }

    /**
     * Handles each batch in one call, in the batch transaction (see {@link BatchHandler}); instead
     * of {@link #handler}. Retries of single events and replays of dead letters call it with a
     * batch of one.
     */
    public ReadModelBuilder batchHandler(BatchHandler handler) {
      if (this.handler != null && batchHandler == null) {
        throw new IllegalStateException("projector " + name + " already has a handler(...); "
            + "set either handler(...) or batchHandler(...)");
      }
      BatchHandler batch = once(this.batchHandler, handler, "batchHandler", name);
      this.batchHandler = batch;
      this.handler = (event, context) -> batch.handle(List.of(event), context);
      return this;
    }

    /**
     * @throws IllegalStateException if no handler was set, or tables were declared without a
     *     setup to create them
     */
    public Projector build() {
      if (handler == null) {
        throw new IllegalStateException("projector " + name + " needs a handler(...) or a batchHandler(...)");
      }
      if (!tables.isEmpty() && setup == null) {
        throw new IllegalStateException("projector " + name + " declares tables " + tables
            + " but no setup(...) that creates them");
      }
      Reset r = reset != null ? reset : defaultReset(name, List.copyOf(tables));
      return new Projector(this, handler, batchHandler, null, null, new ArrayList<>(tables), setup, r, version);
    }

    private static Reset defaultReset(String name, List<String> tables) {
      return (t, target) -> {
        if (!target.equals(LogCursor.START)) {
          throw new IllegalStateException("projector " + name + " has no reset(...) callback, "
              + "so it can only be reset to the start (which truncates " + tables
              + "), not to " + target);
        }
        for (String table : tables) {
          t.handle().execute("TRUNCATE " + t.table(table));
        }
      };
    }
  }

  /** Builds a side-effect projector; see {@link Projector}. */
  public static final class SideEffectsBuilder extends Builder<SideEffectsBuilder> {
    private SideEffect handler;
    private BatchSideEffect batchHandler;

    private SideEffectsBuilder(String name) {
      super(name);
    }

    @Override
    SideEffectsBuilder self() {
      return this;
    }

    /** Performs each event's side effect. Required, unless a {@link #batchHandler} is set. */
    public SideEffectsBuilder handler(SideEffect handler) {
      if (batchHandler != null) {
        throw new IllegalStateException("projector " + name + " already has a batchHandler(...); "
            + "set either handler(...) or batchHandler(...)");
      }
      this.handler = once(this.handler, handler, "handler", name);
      return this;
    }

    /**
     * Performs the side effects of each batch in one call (see {@link BatchSideEffect}); instead
     * of {@link #handler}.
     */
    public SideEffectsBuilder batchHandler(BatchSideEffect handler) {
      if (this.handler != null) {
        throw new IllegalStateException("projector " + name + " already has a handler(...); "
            + "set either handler(...) or batchHandler(...)");
      }
      this.batchHandler = once(this.batchHandler, handler, "batchHandler", name);
      return this;
    }

    /** @throws IllegalStateException if neither a handler nor a batch handler was set */
    public Projector build() {
      if (handler == null && batchHandler == null) {
        throw new IllegalStateException("projector " + name + " needs a handler(...)");
      }
      if (batchHandler != null) {
        BatchSideEffect batch = batchHandler;
        // Alone, an event goes through the batch handler as a batch of one.
        SideEffect single = (event, context) -> batch.handle(List.of(event));
        return new Projector(this, null, null, single, batch, List.of(), null, null, 1);
      }
      return new Projector(this, null, null, handler, null, List.of(), null, null, 1);
    }
  }

  /** A checked setter's rule: each setting once, never null, the message naming both. */
  private static <T> T once(T current, T value, String setting, String projector) {
    if (current != null) {
      throw new IllegalStateException(setting + " was already set for projector " + projector);
    }
    return Objects.requireNonNull(value, setting + " must not be null");
  }
}
