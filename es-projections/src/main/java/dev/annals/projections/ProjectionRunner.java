package dev.annals.projections;

import dev.annals.postgres.LogBatch;
import dev.annals.postgres.LogCursor;
import dev.annals.postgres.LogHead;
import dev.annals.postgres.LogReader;
import dev.annals.postgres.PostgresEventStore;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;

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
 * Several runners (on several nodes, or in one JVM with different node ids) share the work: a
 * partition whose owner dies is taken over once its lease ends. Exactly-once for read models
 * rests on the fencing check in every batch transaction, not on the lease (docs/projections.md,
 * "Exactly once").
 *
 * <p>{@link #start}/{@link #stop} act on this node only; {@link #pause}/{@link #resume},
 * {@link #reset} and the dead-letter actions act on every node, through the database.
 *
 * <p>Thread-safe: every method may be called from any thread. Methods that talk to the
 * database throw {@link ProjectionException} when it fails.
 */
public final class ProjectionRunner implements AutoCloseable {

  /** How long {@link #catchUp} waits for events an open transaction holds back from readers. */
  private static final Duration CATCH_UP_HORIZON_WAIT = Duration.ofSeconds(30);


  private final Engine engine;
  private final boolean installSchema;
  private final Map<String, Slot> slots = new LinkedHashMap<>();
  private final DeadLetterActions deadLetterActions;
  private final Duration tick;
  private final Object supervisorSignal = new Object();
  private Thread supervisor;
  private boolean schemaReady;
  private volatile boolean closed;

  /** A registered projector and what this node does with it. Guarded by the runner. */
  private static final class Slot {
    final Projector projector;
    boolean started;
    Versions.Role role;
    final Map<Integer, PartitionWorker> workers = new LinkedHashMap<>();

    Slot(Projector projector) {
      this.projector = projector;
    }
  }

  private ProjectionRunner(Builder b) {
    this.engine = new Engine(b.store, b.nodeId, b.lease, b.clock, b.idleTransactionTimeout,
        b.pollMin, b.pollMax, b.progress, b.progressInterval);
    this.installSchema = b.installSchema;
    b.projectors.forEach(p -> slots.put(p.name(), new Slot(p)));
    this.deadLetterActions = new DeadLetterActions(engine, name -> {
      Slot s = slots.get(name);
      return s == null ? null : s.projector;
    });
    long millis = Math.max(20, Math.min(2000, b.lease.toMillis() / 5));
    this.tick = Duration.ofMillis(millis);
  }

  /** Starts configuring a runner over {@code store}'s database and pool. */
  public static Builder builder(PostgresEventStore store) {
    return new Builder(store);
  }

  /** This node's id, as recorded in the checkpoint rows it owns. */
  public String nodeId() {
    return engine.node;
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
    for (String name : names()) {
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
    synchronized (this) {
      checkOpen();
      ensureSchema();
      Slot slot = slot(projector);
      ensureInstalled(slot);
      slot.started = true;
      if (supervisor == null) {
        supervisor = new Thread(this::supervise, "projection-supervisor-" + engine.node);
        supervisor.setDaemon(true);
        supervisor.start();
      }
    }
    wakeSupervisor();
  }

  /**
   * Stops processing one projector on this node: each partition finishes its batch in flight
   * and gives its lease up, so another node may take it. Waits for that. Other nodes go on.
   *
   * @throws IllegalArgumentException if the runner has no such projector
   */
  public void stop(String projector) {
    List<PartitionWorker> stopping;
    synchronized (this) {
      Slot slot = slot(projector);
      slot.started = false;
      stopping = new ArrayList<>(slot.workers.values());
      slot.workers.clear();
    }
    stopAll(stopping);
  }

  /**
   * Pauses a projector on every node: each partition finishes its batch in flight and idles
   * until {@link #resume}. Applies to every version of it that is not retired.
   *
   * @throws IllegalArgumentException if the runner has no such projector
   */
  public void pause(String projector) {
    Projector p = slotProjector(projector);
    setStates(p, "pause", "UPDATE " + engine.checkpoints.table() + " SET state = 'PAUSED', "
        + "updated_at = clock_timestamp() WHERE projector = :projector "
        + "AND state IN ('RUNNING', 'CATCHING_UP', 'REBUILDING')");
  }

  /**
   * Resumes a paused or failed projector on every node. A partition that stopped before a
   * failing event (policy STOP) tries that event again.
   *
   * @throws IllegalArgumentException if the runner has no such projector
   */
  public void resume(String projector) {
    Projector p = slotProjector(projector);
    setStates(p, "resume", "UPDATE " + engine.checkpoints.table() + " SET state = CASE "
        + "WHEN projector_version = (SELECT active_version FROM " + engine.schema + ".projection_versions "
        + "WHERE projector = :projector) THEN 'CATCHING_UP' ELSE 'REBUILDING' END, "
        + "updated_at = clock_timestamp() WHERE projector = :projector AND state IN ('PAUSED', 'FAILED')");
    wakeSupervisor();
  }

  private void setStates(Projector p, String action, String sql) {
    ensureSchemaQuietly();
    try {
      engine.jdbi.useTransaction(h -> {
        engine.versions.lockProjector(h, p.name());
        h.createUpdate(sql).bind("projector", p.name()).execute();
      });
    } catch (RuntimeException e) {
      throw engine.failure(action + " projector " + p.name(), e);
    }
    Engine.LOG.log(Level.INFO, "projector {0}: {1} by node {2}", p.name(), action, engine.node);
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
    Objects.requireNonNull(after, "cursor must not be null (use LogCursor.START)");
    Projector p = slotProjector(projector);
    ensureSchemaQuietly();
    try {
      engine.jdbi.useTransaction(h -> {
        engine.versions.lockProjector(h, p.name());
        List<Checkpoint> rows = engine.checkpoints.list(h, p.name(), p.version(), true);
        if (rows.isEmpty()) {
          throw new IllegalStateException("projector " + p.name() + " version " + p.version()
              + " has no checkpoints yet; start it first");
        }
        if (rows.get(0).state() == RowState.RETIRED) {
          throw new IllegalStateException("projector " + p.name() + " version " + p.version()
              + " is retired; a newer version serves reads");
        }
        if (p.reset() != null) {
          try {
            p.reset().clear(Contexts.tables(h, engine.schema, p, p.version()), after);
          } catch (Exception e) {
            throw new ProjectionException("reset of projector " + p.name() + " to " + after
                + " failed: " + Failures.describe(e), e, false);
          }
        }
        int active = engine.versions.active(h, p.name()).orElse(p.version());
        RowState running = active == p.version() ? RowState.CATCHING_UP : RowState.REBUILDING;
        for (Checkpoint row : rows) {
          LogCursor horizon = row.cursor().isAfter(row.replayUntil()) ? row.cursor() : row.replayUntil();
          h.createUpdate("UPDATE " + engine.checkpoints.table() + " SET cursor_xid = :xid, "
                  + "cursor_position = :position, replay_xid = :rxid, replay_position = :rposition, "
                  + "processed_events = 0, state = :state, updated_at = clock_timestamp() "
                  + "WHERE projector = :projector AND projector_version = :version AND partition_index = :partition")
              .bind("xid", after.transactionId()).bind("position", after.position())
              .bind("rxid", horizon.transactionId()).bind("rposition", horizon.position())
              .bind("state", row.state() == RowState.PAUSED ? "PAUSED" : running.name())
              .bind("projector", p.name()).bind("version", p.version())
              .bind("partition", row.key().partition())
              .execute();
        }
        engine.deadLetters.discardAfter(h, p.name(), p.version(), after);
      });
    } catch (IllegalStateException | ProjectionException e) {
      throw e;
    } catch (RuntimeException e) {
      throw engine.failure("reset projector " + p.name() + " to " + after, e);
    }
    Engine.LOG.log(Level.INFO, "projector {0} version {1} reset to {2} by node {3}",
        p.name(), p.version(), after, engine.node);
    wakeSupervisor();
  }

  /**
   * {@link #reset} to just before the event at {@code position}: that event and everything
   * after it in log order are processed again.
   *
   * @throws IllegalArgumentException if no event has that position
   */
  public void replayFrom(String projector, long position) {
    slotProjector(projector);
    reset(projector, engine.store.logReader().cursorBefore(position));
  }

  /** Asks again after a dropped connection, until {@code deadline}. */
  private static long retrying(long deadline, java.util.function.LongSupplier query) {
    while (true) {
      try {
        return query.getAsLong();
      } catch (dev.annals.core.AnnalsException e) {
        if (!e.isRetryable() || System.nanoTime() > deadline) {
          throw e;
        }
        try {
          Thread.sleep(50);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
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
    Slot slot;
    synchronized (this) {
      checkOpen();
      slot = slot(projector);
      if (slot.started) {
        throw new IllegalStateException("projector " + projector + " runs on this runner's threads; "
            + "stop(\"" + projector + "\") before catching up on the calling thread");
      }
      ensureSchema();
      ensureInstalled(slot);
      if (slot.role == Versions.Role.RETIRED) {
        throw new IllegalStateException("projector " + projector + " version " + slot.projector.version()
            + " is retired; a newer version serves reads");
      }
    }
    Projector p = slot.projector;
    List<Checkpoint> claimed = engine.checkpoints.acquire(engine.jdbi, p.name(), p.version(),
        engine.node, engine.lease, List.of());
    List<PartitionProcessor> processors = new ArrayList<>();
    try {
      for (Checkpoint c : claimed) {
        processors.add(new PartitionProcessor(engine, p, c));
      }
      if (claimed.size() < p.partitions()) {
        List<Checkpoint> all = engine.jdbi.withHandle(h -> engine.checkpoints.list(h, p.name(), p.version(), false));
        List<String> busy = new ArrayList<>();
        for (Checkpoint c : all) {
          if (claimed.stream().noneMatch(x -> x.key().equals(c.key()))) {
            busy.add("partition " + c.key().partition() + " is " + c.state()
                + (c.owner() == null ? "" : " and owned by node " + c.owner()));
          }
        }
        throw new IllegalStateException("projector " + p.name() + " cannot catch up here: "
            + String.join("; ", busy));
      }
      long before = processedEvents(p);
      // Catch up on everything committed before this call. A read that finds nothing only means
      // nothing is visible yet: an open transaction elsewhere may hold events back, so wait for
      // the horizon to pass them, up to CATCH_UP_HORIZON_WAIT.
      long horizonDeadline = System.nanoTime() + CATCH_UP_HORIZON_WAIT.toNanos();
      long target = retrying(horizonDeadline, engine.store::headPosition);
      LogReader horizon = engine.store.logReader();
      PartitionProcessor.Waiter waiter = new SleepingWaiter();
      List<PartitionProcessor> live = new ArrayList<>(processors);
      boolean progress = true;
      boolean horizonClear = false;
      while (!live.isEmpty()) {
        if (!progress) {
          if (horizonClear) {
            // A whole pass after the horizon had cleared found nothing: all is processed.
            break;
          }
          if (retrying(horizonDeadline, () -> horizon.heldBackUpTo(target)) == 0) {
            // Events may have become readable since the last pass: read once more.
            horizonClear = true;
            progress = true;
            continue;
          }
          if (System.nanoTime() > horizonDeadline) {
            throw new IllegalStateException("projector " + p.name() + " caught up on what is visible, but "
                + "events up to position " + target + " are still held back after "
                + CATCH_UP_HORIZON_WAIT.toSeconds() + " s by an open transaction: "
                + horizon.head().oldestTransaction().map(Object::toString).orElse("none found")
                + "; end it, or set idle_in_transaction_session_timeout, and catch up again");
          }
          try {
            horizon.awaitEvents(Duration.ofMillis(50));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            break;
          }
        }
        progress = false;
        for (PartitionProcessor processor : new ArrayList<>(live)) {
          PartitionProcessor.Step step = processor.step(waiter);
          while (step == PartitionProcessor.Step.PROGRESS && !waiter.stopping()) {
            progress = true;
            step = processor.step(waiter);
          }
          if (step == PartitionProcessor.Step.LOST || waiter.stopping()
              || (step == PartitionProcessor.Step.IDLE && !processor.idle())) {
            live.remove(processor);
          }
        }
      }
      // The last partition to go idle may have found the others not yet caught up.
      for (PartitionProcessor processor : live) {
        if (processor.trySwitchNow()) {
          break;
        }
      }
      return Math.max(0, processedEvents(p) - before);
    } finally {
      for (PartitionProcessor processor : processors) {
        processor.release();
      }
      if (processors.size() < claimed.size()) {
        for (Checkpoint c : claimed.subList(processors.size(), claimed.size())) {
          engine.checkpoints.release(engine.jdbi, c.key(), engine.node);
        }
      }
    }
  }

  private long processedEvents(Projector p) {
    return engine.jdbi.withHandle(h -> engine.checkpoints.list(h, p.name(), p.version(), false))
        .stream().mapToLong(Checkpoint::processedEvents).sum();
  }

  /** Waits by sleeping; an interrupt stops the catch-up and stays set. */
  private static final class SleepingWaiter implements PartitionProcessor.Waiter {
    private boolean stopping;

    @Override
    public boolean sleep(Duration duration) {
      try {
        Thread.sleep(Math.max(1, duration.toMillis()));
        return true;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        stopping = true;
        return false;
      }
    }

    @Override
    public boolean stopping() {
      return stopping || Thread.currentThread().isInterrupted();
    }
  }

  /**
   * The status of every partition of every registered projector (every version not retired).
   *
   * @throws ProjectionException if the database fails
   */
  public List<ProjectionStatus> status() {
    List<ProjectionStatus> out = new ArrayList<>();
    for (String name : names()) {
      out.addAll(status(name));
    }
    return out;
  }

  /**
   * The status of every partition of one projector (every version not retired), ordered by
   * version and partition. Empty before the projector was first started on any node.
   *
   * @throws IllegalArgumentException if the runner has no such projector
   * @throws ProjectionException if the database fails
   */
  public List<ProjectionStatus> status(String projector) {
    Projector p = slotProjector(projector);
    ensureSchemaQuietly();
    try {
      record Snapshot(List<Checkpoint> rows, Instant now, Optional<Integer> active,
          Map<Integer, Map<Integer, Long>> deadLetters) {}
      Snapshot s = engine.jdbi.withHandle(h -> {
        List<Checkpoint> rows = engine.checkpoints.listLive(h, p.name());
        Instant now = h.createQuery("SELECT clock_timestamp()").mapTo(java.time.OffsetDateTime.class)
            .one().toInstant();
        Map<Integer, Map<Integer, Long>> dead = new LinkedHashMap<>();
        for (Checkpoint c : rows) {
          dead.computeIfAbsent(c.key().version(), v -> engine.deadLetters.openCounts(h, p.name(), v));
        }
        return new Snapshot(rows, now, engine.versions.active(h, p.name()), dead);
      });
      LogReader reader = engine.store.logReader();
      LogHead head = reader.head();
      List<ProjectionStatus> out = new ArrayList<>();
      for (Checkpoint c : s.rows()) {
        LogBatch next = reader.read(c.cursor(), 1, p.filter(), c.key().logPartition());
        long lagEvents = 0;
        double lagSeconds = 0;
        if (!next.isEmpty()) {
          long nextPosition = next.events().get(0).position();
          lagEvents = Math.max(1, head.headPosition() - nextPosition + 1);
          Duration age = Duration.between(next.events().get(0).recordedAt(), s.now());
          lagSeconds = Math.max(0, age.toNanos() / 1e9);
        }
        boolean active = s.active().map(v -> v == c.key().version()).orElse(false);
        out.add(new ProjectionStatus(p.name(), c.key().version(), active, c.key().partition(),
            c.key().partitions(), stateOf(c, s.now()), c.cursor(), head.headPosition(),
            head.safeHeadPosition(), lagEvents, lagSeconds, head.heldBackEvents(),
            head.oldestTransaction(), Optional.ofNullable(c.lastError()),
            Optional.ofNullable(c.lastErrorAt()),
            c.hasLiveOwner(s.now()) ? c.eventsPerSecond() : 0, c.processedEvents(),
            c.hasLiveOwner(s.now()) ? Optional.of(c.owner()) : Optional.empty(),
            c.hasLiveOwner(s.now()) ? Optional.of(c.leaseUntil()) : Optional.empty(),
            s.deadLetters().getOrDefault(c.key().version(), Map.of()).getOrDefault(c.key().partition(), 0L),
            s.now()));
      }
      return out;
    } catch (RuntimeException e) {
      throw engine.failure("read the status of projector " + p.name(), e);
    }
  }

  private static ProjectorState stateOf(Checkpoint c, Instant now) {
    switch (c.state()) {
      case FAILED:
        return ProjectorState.FAILED;
      case PAUSED:
        return ProjectorState.PAUSED;
      case RETIRED:
        return ProjectorState.STOPPED;
      default:
        break;
    }
    if (!c.hasLiveOwner(now)) {
      return ProjectorState.STOPPED;
    }
    switch (c.state()) {
      case REBUILDING:
        return ProjectorState.REBUILDING;
      case CATCHING_UP:
        return ProjectorState.CATCHING_UP;
      default:
        return ProjectorState.RUNNING;
    }
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
    Projector p = slotProjector(projector);
    long deadline = System.nanoTime() + timeout.toNanos();
    // Everything committed before this call: an open transaction elsewhere can hold some of it
    // back from readers, and a status that has read all that is visible is not yet caught up.
    long target = retrying(deadline, engine.store::headPosition);
    LogReader horizon = engine.store.logReader();
    while (true) {
      try {
        List<ProjectionStatus> statuses = status(projector).stream()
            .filter(s -> s.version() == p.version()).toList();
        if (statuses.size() == p.partitions() && statuses.stream()
            .allMatch(s -> s.active() && s.isCaughtUp() && s.state() != ProjectorState.FAILED)
            && horizon.heldBackUpTo(target) == 0
            && status(projector).stream().filter(s -> s.version() == p.version())
                .allMatch(ProjectionStatus::isCaughtUp)) {
          return true;
        }
      } catch (ProjectionException | dev.annals.core.StoreUnavailableException e) {
        if (!e.isRetryable()) {
          throw e;
        }
        // A dropped connection: ask again until the timeout.
      }
      if (System.nanoTime() >= deadline) {
        return false;
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
  }

  /**
   * The open (parked, blocked and halted) dead letters of this runner's version of a
   * projector, oldest first.
   *
   * @throws IllegalArgumentException if the runner has no such projector
   */
  public List<DeadLetter> deadLetters(String projector) {
    Projector p = slotProjector(projector);
    ensureSchemaQuietly();
    try {
      return engine.jdbi.withHandle(h -> engine.deadLetters.open(h, p.name(), p.version()));
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
    ensureSchemaQuietly();
    try {
      RetryResult result = deadLetterActions.retry(deadLetterId);
      wakeSupervisor();
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
    ensureSchemaQuietly();
    try {
      deadLetterActions.discard(deadLetterId);
      wakeSupervisor();
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
    List<PartitionWorker> stopping = new ArrayList<>();
    Thread supervisorThread;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      for (Slot slot : slots.values()) {
        slot.started = false;
        stopping.addAll(slot.workers.values());
        slot.workers.clear();
      }
      supervisorThread = supervisor;
    }
    wakeSupervisor();
    stopAll(stopping);
    if (supervisorThread != null) {
      try {
        supervisorThread.join(tick.toMillis() * 10 + 10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    try {
      engine.checkpoints.releaseAll(engine.jdbi, engine.node, slots.keySet());
    } catch (RuntimeException e) {
      Engine.LOG.log(Level.WARNING, "node " + engine.node + " could not give its leases up; "
          + "they end by themselves after " + engine.lease, e);
    }
    engine.readAhead.shutdown();
  }

  // ---------------------------------------------------------------- supervision

  private void supervise() {
    while (!closed) {
      try {
        superviseOnce();
      } catch (RuntimeException e) {
        Engine.LOG.log(Level.WARNING, "node " + engine.node + ": claiming projector partitions "
            + "failed; trying again", e);
      }
      synchronized (supervisorSignal) {
        if (closed) {
          return;
        }
        try {
          supervisorSignal.wait(tick.toMillis());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  /**
   * Claims free partitions of started projectors and gives each a worker thread. The runner's
   * lock is held only around bookkeeping, never during database calls: a call can block for
   * the pool's connection timeout, and {@link #close()} or {@link #stop} must not wait for it.
   */
  private void superviseOnce() {
    List<Slot> started = new ArrayList<>();
    synchronized (this) {
      for (Slot slot : slots.values()) {
        slot.workers.values().removeIf(w -> !w.isAlive());
        if (slot.started) {
          started.add(slot);
        }
      }
    }
    for (Slot slot : started) {
      Projector p = slot.projector;
      Versions.Role role;
      List<Integer> running;
      synchronized (this) {
        if (closed || !slot.started) {
          continue;
        }
        role = slot.role;
        running = new ArrayList<>(slot.workers.keySet());
      }
      try {
        if (role == null) {
          role = engine.versions.install(p);
          synchronized (this) {
            slot.role = role;
          }
        }
        if (role == Versions.Role.RETIRED) {
          continue;
        }
        Optional<Integer> active = engine.jdbi.withHandle(h -> engine.versions.active(h, p.name()));
        if (active.isPresent() && active.get() > p.version()) {
          synchronized (this) {
            retire(slot, active.get());
          }
          continue;
        }
        for (Checkpoint c : engine.checkpoints.acquire(engine.jdbi, p.name(), p.version(),
            engine.node, engine.lease, running)) {
          PartitionProcessor processor;
          try {
            processor = new PartitionProcessor(engine, p, c);
          } catch (RuntimeException e) {
            engine.checkpoints.release(engine.jdbi, c.key(), engine.node);
            throw e;
          }
          PartitionWorker worker = new PartitionWorker(engine, processor);
          boolean keep;
          synchronized (this) {
            keep = !closed && slot.started && !slot.workers.containsKey(c.key().partition());
            if (keep) {
              slot.workers.put(c.key().partition(), worker);
              worker.start();
            }
          }
          if (!keep) {
            processor.release();
          }
        }
      } catch (IllegalStateException e) {
        Engine.LOG.log(Level.ERROR, "projector " + p.name() + " cannot run on node "
            + engine.node + ": " + e.getMessage());
        synchronized (this) {
          slot.started = false;
        }
      }
    }
  }

  private void retire(Slot slot, int active) {
    slot.role = Versions.Role.RETIRED;
    Engine.LOG.log(Level.WARNING, "projector {0} version {1} is retired on node {2}: version {3} "
        + "serves reads", slot.projector.name(), slot.projector.version(), engine.node, active);
    List<PartitionWorker> workers = new ArrayList<>(slot.workers.values());
    slot.workers.clear();
    workers.forEach(PartitionWorker::stop);
  }

  private void stopAll(Collection<PartitionWorker> workers) {
    workers.forEach(PartitionWorker::stop);
    Duration wait = engine.idleTransactionTimeout.plusSeconds(10);
    for (PartitionWorker w : workers) {
      if (!w.join(wait)) {
        Engine.LOG.log(Level.WARNING, "{0} did not finish its batch within {1}", w.key(), wait);
      }
    }
  }

  private void wakeSupervisor() {
    synchronized (supervisorSignal) {
      supervisorSignal.notifyAll();
    }
  }

  // ---------------------------------------------------------------- helpers

  private List<String> names() {
    return new ArrayList<>(slots.keySet());
  }

  private Slot slot(String projector) {
    Objects.requireNonNull(projector, "projector name must not be null");
    Slot slot = slots.get(projector);
    if (slot == null) {
      throw new IllegalArgumentException("this runner has no projector '" + projector
          + "'; it runs " + slots.keySet());
    }
    return slot;
  }

  private Projector slotProjector(String projector) {
    return slot(projector).projector;
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("the projection runner of node " + engine.node + " is closed");
    }
  }

  private void ensureSchema() {
    if (schemaReady) {
      return;
    }
    if (installSchema) {
      ProjectionSchema.install(engine.store.dataSource(), engine.schema);
    } else {
      ProjectionSchema.check(engine.store.dataSource(), engine.schema);
    }
    schemaReady = true;
  }

  private synchronized void ensureSchemaQuietly() {
    ensureSchema();
  }

  private void ensureInstalled(Slot slot) {
    if (slot.role == null) {
      slot.role = engine.versions.install(slot.projector);
      if (slot.role == Versions.Role.RETIRED) {
        Engine.LOG.log(Level.WARNING, "projector {0} version {1} will not run on node {2}: a newer "
            + "version serves reads", slot.projector.name(), slot.projector.version(), engine.node);
      }
    }
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
     * default). A dead node's partitions move after about this long.
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
