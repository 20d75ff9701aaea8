package dev.annals.projections;

import dev.annals.core.Backoff;
import dev.annals.postgres.LogCursor;
import dev.annals.postgres.PostgresEventStore;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Consumer;

// Over 400 lines for the Javadoc of the public API and its nested Builder; every method delegates to a part.
/**
 * Runs projectors against a {@link PostgresEventStore}, one runner per application node.
 *
 * <pre>{@code
 * try (ProjectionRunner runner = ProjectionRunner.builder(store)
 *     .projector(balances)
 *     .leaseDuration(Duration.ofSeconds(10))
 *     .build()) {
 *   runner.start();
 *   ...
 *   List<ProjectionStatus> status = runner.status();
 * }
 * }</pre>
 *
 * <p>Each partition of each started projector is claimed by one node at a time through a lease
 * in its checkpoint row, and processed on its own thread named {@code projector-<name>-<partition>}.
 * Several runners (on several nodes, or in one JVM with different node ids) share the work
 * evenly, partitions moving to a runner that joins; a partition whose owner dies is taken over
 * once its lease ends. Exactly-once for read models
 * rests on the fencing check in every batch transaction, not on the lease (docs/projections.md,
 * "Exactly once").
 *
 * <p>{@link #start}/{@link #stop} act on this node only; {@link #pause}/{@link #resume},
 * {@link #reset} and the dead-letter actions act on every node, through the database.
 *
 * <p>Thread-safe: every method may be called from any thread. Methods that talk to the
 * database throw {@link ProjectionException} when it fails.
 *
 * <p>This class is the runner's public face; the work is done by its parts: {@code Supervisor}
 * (threads and claims), {@code CatchUp}, {@code OperatorActions}, {@code DeadLetterActions} and
 * {@code StatusReader}.
 */
public final class ProjectionRunner implements AutoCloseable {

  private final Engine engine;
  private final Slots slots;
  private final Supervisor supervisor;
  private final CatchUp catchUp;
  private final OperatorActions operator;
  private final StatusReader status;
  private final DeadLetterActions deadLetterActions;

  private ProjectionRunner(Builder b) {
    this.engine = new Engine(b.store, new Engine.Node(b.nodeId, b.lease),
        new Engine.Pacing(Backoff.of(b.pollMin, b.pollMax), b.idleTransactionTimeout),
        new Engine.Reporting(b.clock, b.progress, b.progressInterval), b.observer, b.batchScope);
    this.slots = new Slots(engine, b.projectors, b.installSchema);
    this.supervisor = new Supervisor(engine, slots);
    this.catchUp = new CatchUp(engine, slots);
    this.operator = new OperatorActions(engine, slots, supervisor::wake);
    this.status = new StatusReader(engine, slots);
    this.deadLetterActions = new DeadLetterActions(engine, slots::find);
  }

  /** Starts configuring a runner over {@code store}'s database and pool. */
  public static Builder builder(PostgresEventStore store) {
    return new Builder(store);
  }

  /** The names of this runner's projectors, in the order they were added. */
  public List<String> projectorNames() {
    return List.copyOf(slots.names());
  }

  /** This node's id, as recorded in the checkpoint rows it owns. */
  public String nodeId() {
    return engine.node.id();
  }

  /**
   * Installs (or checks) the projection tables and every projector's version (running its
   * setup the first time), then starts processing all of them on this node. Idempotent.
   *
   * @throws IllegalStateException if the runner is closed or a stored partition count differs
   * @throws ProjectionException if the tables are missing (without {@code installSchema}), a
   *     setup fails, or the database does
   */
  public void start() {
    for (String name : slots.names()) {
      start(name);
    }
  }

  /**
   * Starts processing one projector on this node (after installing its version if needed).
   *
   * @throws IllegalArgumentException if the runner has no such projector
   * @throws IllegalStateException if the runner is closed
   * @throws ProjectionException as for {@link #start()}
   */
  public void start(String projector) {
    supervisor.start(projector);
  }

  /**
   * Stops processing one projector on this node: each partition finishes its batch in flight
   * and gives its lease up, so another node may take it. Waits for that. Other nodes go on.
   *
   * @throws IllegalArgumentException if the runner has no such projector
   */
  public void stop(String projector) {
    supervisor.stop(projector);
  }

  /**
   * Pauses a projector on every node: each partition finishes its batch in flight and idles
   * until {@link #resume}. Applies to every version of it that is not retired.
   *
   * @throws IllegalArgumentException if the runner has no such projector
   */
  public void pause(String projector) {
    operator.pause(projector);
  }

  /**
   * Resumes a paused or failed projector on every node. A partition that stopped before a
   * failing event (policy STOP) tries that event again.
   *
   * @throws IllegalArgumentException if the runner has no such projector
   */
  public void resume(String projector) {
    operator.resume(projector);
  }

  /**
   * Moves this runner's version of a projector back (or forward) to {@code after} on every
   * node, so that it processes everything after that place again, in the same order. In the
   * same transaction, the projector's {@link Projector.ReadModelBuilder#reset reset} callback
   * clears what will be written again, and open dead letters after {@code after} are discarded
   * (they come again). Events up to the old checkpoint are seen as replays
   * ({@link ProjectionContext#replaying()}). Partitions in flight finish their batch first; a
   * paused projector stays paused.
   *
   * @param after {@link LogCursor#START} to rebuild from the beginning
   * @throws IllegalArgumentException if the runner has no such projector
   * @throws IllegalStateException if this version is retired or was never started
   * @throws ProjectionException if the reset callback or the database fails (nothing changes)
   */
  public void reset(String projector, LogCursor after) {
    operator.reset(projector, after);
  }

  /**
   * Drops the read-model tables of a retired version of a projector (one a rebuilt version
   * replaced: docs/projections.md, "Rebuild and replay"), which stay for a rollback until then.
   * The tables are those its setup was handed by {@link TableContext#table}, as recorded at
   * setup; nothing else is dropped, and nothing at all if a view still reads one of them.
   *
   * @return the dropped tables' schema-qualified names
   * @throws IllegalArgumentException if the runner has no such projector or the projector no
   *     such version
   * @throws IllegalStateException if the version is active or being rebuilt, a view reads one of
   *     its tables, or no tables are recorded for it (dropped already, or set up before they were
   *     recorded)
   * @throws ProjectionException if the database fails (nothing is dropped)
   */
  public List<String> dropRetiredTables(String projector, int version) {
    return operator.dropRetiredTables(projector, version);
  }

  /**
   * {@link #reset} to just before the event at {@code position}: that event and everything
   * after it in log order are processed again.
   *
   * @throws IllegalArgumentException if no event has that position
   */
  public void replayFrom(String projector, long position) {
    operator.replayFrom(projector, position);
  }

  /**
   * Processes a projector on the calling thread until it has processed every event committed
   * before the call, then gives its leases up: for tests, batch jobs and command-line rebuilds.
   * Events that an open transaction elsewhere holds back from readers are waited for, up to 30 s.
   * Installs what {@link #start} would. Failing events follow the projector's retry and failure
   * policy, with its backoff.
   *
   * @return how many events were processed (including parked and blocked ones)
   * @throws IllegalStateException if the projector is started on this runner's threads, a
   *     partition is owned by another node, paused or failed, or events stay held back for 30 s
   * @throws ProjectionException if the database fails
   */
  public long catchUp(String projector) {
    return catchUp.run(projector);
  }

  /**
   * The status of every partition of every registered projector (every version not retired).
   *
   * @throws ProjectionException if the database fails
   */
  public List<ProjectionStatus> status() {
    return status.all();
  }

  /**
   * The status of every partition of one projector (every version not retired), ordered by
   * version and partition. Empty before the projector was first started on any node.
   *
   * @throws IllegalArgumentException if the runner has no such projector
   * @throws ProjectionException if the database fails
   */
  public List<ProjectionStatus> status(String projector) {
    return status.of(projector);
  }

  /**
   * Waits until this runner's version of the projector serves reads and every partition of it
   * has processed everything readable (its {@link ProjectionStatus#isCaughtUp()}), or the
   * timeout passes. Polls the status; for tests and start-up checks.
   *
   * @return whether it caught up in time (false also when interrupted; the flag stays set)
   * @throws IllegalArgumentException if the runner has no such projector
   * @throws ProjectionException if the database fails for another reason than a dropped
   *     connection (those are retried until the timeout)
   */
  public boolean awaitCaughtUp(String projector, Duration timeout) {
    return status.awaitCaughtUp(projector, timeout);
  }

  /**
   * The open (parked, blocked and halted) dead letters of this runner's version of a
   * projector, oldest first.
   *
   * @throws IllegalArgumentException if the runner has no such projector
   */
  public List<DeadLetter> deadLetters(String projector) {
    Projector p = slots.projector(projector);
    slots.ensureSchema();
    try {
      return engine.jdbi().withHandle(h -> engine.deadLetters.open(h, p.name(), p.version()));
    } catch (RuntimeException e) {
      throw engine.failure("list the dead letters of projector " + p.name(), e);
    }
  }

  /**
   * Runs a dead letter through its projector's handler again, now, on the calling thread.
   * A parked or blocked one is processed together with the blocked ones behind it in its
   * stream, in stream order, each in a savepoint; the first that fails again stays parked with
   * the new error and the rest stay blocked. A halted one (policy STOP) is processed and its
   * partition runs again. Make sure the cause is fixed first (a deployed fix, a registered
   * type).
   *
   * @throws IllegalArgumentException if there is no such dead letter
   * @throws IllegalStateException if it is not open, an earlier one of its stream is still
   *     open, or it belongs to a projector (version) this runner does not run
   * @throws ProjectionException if the database fails
   */
  public RetryResult retry(long deadLetterId) {
    slots.ensureSchema();
    try {
      RetryResult result = deadLetterActions.retry(deadLetterId);
      supervisor.wake();
      return result;
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw e;
    } catch (RuntimeException e) {
      throw engine.failure("retry dead letter " + deadLetterId, e);
    }
  }

  /**
   * Drops a dead letter. The blocked ones behind a parked event stay blocked (retry or discard
   * them in turn). Discarding a halted one skips its event and lets the partition run again.
   *
   * @throws IllegalArgumentException if there is no such dead letter
   * @throws IllegalStateException if it is not open or belongs to a projector (version) this
   *     runner does not run
   * @throws ProjectionException if the database fails
   */
  public void discard(long deadLetterId) {
    slots.ensureSchema();
    try {
      deadLetterActions.discard(deadLetterId);
      supervisor.wake();
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw e;
    } catch (RuntimeException e) {
      throw engine.failure("discard dead letter " + deadLetterId, e);
    }
  }

  /**
   * Stops every projector on this node (each partition finishes its batch in flight), gives
   * the leases up and ends the runner's threads. Does not close the store. Idempotent.
   */
  @Override
  public void close() {
    supervisor.close();
  }

  /**
   * Checked settings of a {@link ProjectionRunner}. Each setter checks its value; {@link #build()}
   * checks combinations.
   */
  public static final class Builder {
    private final PostgresEventStore store;
    private final List<Projector> projectors = new ArrayList<>();
    private String nodeId = "node-" + UUID.randomUUID().toString().substring(0, 8);
    private Clock clock = Clock.systemUTC();
    private Duration lease = Duration.ofSeconds(10);
    private boolean installSchema;
    private Duration pollMin = Duration.ofMillis(10);
    private Duration pollMax = Duration.ofMillis(500);
    private Duration idleTransactionTimeout = Duration.ofMinutes(1);
    private Consumer<RebuildProgress> progress = p -> Engine.LOG.log(Level.INFO, p.toString());
    private Duration progressInterval = Duration.ofSeconds(5);
    private ProjectionObserver observer;
    private BatchScope batchScope;

    private Builder(PostgresEventStore store) {
      this.store = Objects.requireNonNull(store, "store must not be null");
    }

    /** Adds a projector. Names must be unique. */
    public Builder projector(Projector projector) {
      Objects.requireNonNull(projector, "projector must not be null");
      for (Projector p : projectors) {
        if (p.name().equals(projector.name())) {
          throw new IllegalArgumentException("a projector named '" + projector.name()
              + "' was already added (version " + p.version() + ")");
        }
      }
      projectors.add(projector);
      return this;
    }

    /** Adds several projectors. */
    public Builder projectors(Collection<Projector> projectors) {
      Objects.requireNonNull(projectors, "projectors must not be null").forEach(this::projector);
      return this;
    }

    /**
     * This node's id (1 to 100 characters), recorded as the owner of the partitions it works
     * on; random by default. Two live runners must never share one.
     */
    public Builder nodeId(String nodeId) {
      Objects.requireNonNull(nodeId, "nodeId must not be null");
      if (nodeId.isBlank() || nodeId.length() > 100) {
        throw new IllegalArgumentException("nodeId must be 1 to 100 characters and not blank, was '"
            + nodeId + "'");
      }
      this.nodeId = nodeId;
      return this;
    }

    /**
     * The clock for throughput and progress figures; the system clock by default. Leases are
     * always compared with the database's clock, never this one.
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock must not be null");
      return this;
    }

    /**
     * How long a claim on a partition lasts without renewal (200 ms to 10 min; 10 s by
     * default). A dead node's partitions move within a second of this after its last renewal.
     */
    public Builder leaseDuration(Duration lease) {
      Objects.requireNonNull(lease, "leaseDuration must not be null");
      if (lease.toMillis() < 200 || lease.compareTo(Duration.ofMinutes(10)) > 0) {
        throw new IllegalArgumentException("leaseDuration must be 200 ms to 10 min, was " + lease);
      }
      this.lease = lease;
      return this;
    }

    /**
     * Whether {@link ProjectionRunner#start()} installs the projection tables (under an
     * advisory lock); by default it only checks them and fails with instructions.
     */
    public Builder installSchema(boolean install) {
      this.installSchema = install;
      return this;
    }

    /**
     * How long an idle partition waits before reading again: {@code min}, doubling up to
     * {@code max}, back to {@code min} after progress (10 ms to 500 ms by default). New events
     * appended through this process, or announced by the store's notifications, end the wait
     * early.
     */
    public Builder pollInterval(Duration min, Duration max) {
      Objects.requireNonNull(min, "min poll interval must not be null");
      Objects.requireNonNull(max, "max poll interval must not be null");
      if (min.toMillis() < 1 || max.compareTo(min) < 0 || max.compareTo(Duration.ofMinutes(1)) > 0) {
        throw new IllegalArgumentException("poll interval must satisfy 1 ms <= min <= max <= 1 min, was "
            + min + " to " + max);
      }
      this.pollMin = min;
      this.pollMax = max;
      return this;
    }

    /**
     * How long a batch transaction may sit idle (a handler stuck outside the database) before
     * PostgreSQL ends it ({@code idle_in_transaction_session_timeout}, set per transaction);
     * 1 min by default, 1 s to 1 h. Such a transaction holds every log reader back.
     */
    public Builder idleTransactionTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "idleTransactionTimeout must not be null");
      if (timeout.toMillis() < 1000 || timeout.compareTo(Duration.ofHours(1)) > 0) {
        throw new IllegalArgumentException("idleTransactionTimeout must be 1 s to 1 h, was " + timeout);
      }
      this.idleTransactionTimeout = timeout;
      return this;
    }

    /**
     * Receives rebuild and replay progress, at most once per {@code interval} per partition,
     * on the partition's thread. By default a line is logged every 5 s.
     */
    public Builder rebuildProgress(Consumer<RebuildProgress> listener, Duration interval) {
      Objects.requireNonNull(listener, "progress listener must not be null");
      Objects.requireNonNull(interval, "progress interval must not be null");
      if (interval.isNegative()) {
        throw new IllegalArgumentException("progress interval must not be negative, was " + interval);
      }
      this.progress = listener;
      this.progressInterval = interval;
      return this;
    }

    /**
     * Who hears of every batch (metrics, tracing), on the partitions' threads; nobody by default.
     * Combine several with {@link ProjectionObserver#andThen}.
     *
     * @throws IllegalStateException if an observer was already set
     */
    public Builder observer(ProjectionObserver observer) {
      Objects.requireNonNull(observer, "observer must not be null");
      if (this.observer != null) {
        throw new IllegalStateException("an observer was already set; combine them with "
            + "ProjectionObserver.andThen");
      }
      this.observer = observer;
      return this;
    }

    /**
     * What runs around every batch on the partitions' threads, so that what it makes current
     * (a tracing span, MDC entries) is current for the handlers; nothing by default. Combine
     * several with {@link BatchScope#andThen}.
     *
     * @throws IllegalStateException if a scope was already set
     */
    public Builder batchScope(BatchScope scope) {
      Objects.requireNonNull(scope, "batchScope must not be null");
      if (this.batchScope != null) {
        throw new IllegalStateException("a batch scope was already set; combine them with "
            + "BatchScope.andThen");
      }
      this.batchScope = scope;
      return this;
    }

    /**
     * @throws IllegalStateException if no projector was added
     */
    public ProjectionRunner build() {
      if (projectors.isEmpty()) {
        throw new IllegalStateException("add at least one projector(...) before build()");
      }
      return new ProjectionRunner(this);
    }
  }
}
