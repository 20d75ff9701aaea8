package dev.annals.projections;

import dev.annals.core.RecordedEvent;
import dev.annals.postgres.LogBatch;
import dev.annals.postgres.LogCursor;
import dev.annals.postgres.LogHead;
import dev.annals.postgres.LogReader;
import dev.annals.postgres.StoredEvent;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import org.jdbi.v3.core.Handle;

/**
 * Processes one projector partition that this node has claimed, one batch per {@link #step}.
 * Not thread-safe: one thread at a time (its worker, or a synchronous catch-up).
 *
 * <h2>Ownership and fencing</h2>
 * A partition's checkpoint row carries an owner node and a lease end, both compared against the
 * database clock. A node claims a partition when the row has no owner, the lease has ended, or
 * the owner is itself ({@link Checkpoints#acquire}), renews the lease with every batch and
 * every few idle polls, and stops when a renewal finds another owner. A node that dies simply
 * stops renewing; within about one lease another node's claim succeeds.
 *
 * <p>Leases alone cannot make processing exactly-once: a node may stall (a long GC pause, a
 * network partition) past its lease, so for a while two nodes both believe they own the
 * partition. Safety therefore never rests on the lease. Every read-model batch runs in one
 * transaction that first locks the checkpoint row ({@code SELECT ... FOR UPDATE}) and checks
 * that this node is still the owner, that the state still allows processing, and that the
 * stored cursor is exactly the cursor the batch was read after. Only then do the handlers run,
 * on the same transaction, and the checkpoint moves with them in the same commit. Two nodes'
 * batches for one partition are thereby serialized on the row lock, and the second one finds
 * either another owner or a moved cursor and rolls back: no event is ever committed twice, and
 * a crash at any point leaves the read model and the checkpoint consistent, since they commit
 * together or not at all. A moved cursor with this node still the owner means an operator reset
 * or skipped something; the processor then continues from the stored cursor.
 *
 * <p>Side-effect handlers run outside the transaction, so the same check (done before the batch
 * and again when committing the checkpoint) can only keep the checkpoint right; the effects of
 * a fenced-out batch may happen twice, which is why side effects are at-least-once and get the
 * event id as idempotency key.
 */
final class PartitionProcessor {

  /** What a step did. */
  enum Step {
    /** Processed something (or moved to a new cursor): step again at once. */
    PROGRESS,
    /** Found nothing to read. */
    IDLE,
    /** No longer allowed to process: another owner, or a state that is not runnable. */
    LOST
  }

  /** How the processor waits between tries of a failing event. */
  interface Waiter {
    /** Waits; returns false if it ended early because processing is to stop. */
    boolean sleep(Duration duration);

    /** Whether processing is to stop after what is in flight. */
    boolean stopping();
  }

  private static final long SWITCH_CHECK_NANOS = Duration.ofMillis(200).toNanos();

  private final Engine engine;
  private final Projector projector;
  private final PartitionKey key;
  private final LogReader reader;
  private final Throughput throughput;
  private LogCursor cursor;
  // The next batch, being read while the current one is handled, and the cursor it reads after.
  private CompletableFuture<LogBatch> ahead;
  private LogCursor aheadFrom;
  private LogCursor replayUntil;
  private RowState state;
  private boolean haltedOpen;
  private boolean stillOwner = true;
  private long lastRenewNanos;
  private long lastSwitchCheckNanos;
  private long processedEvents;
  private Instant lastProgressAt;
  private long lastProgressCount;
  /** The row that fenced out the last retry or park, for {@link #refenced}. */
  private Checkpoint lastFence;
  /** Side-effect tries in a row that found the target unavailable, for the backoff. */
  private int unavailableInARow;

  PartitionProcessor(Engine engine, Projector projector, Checkpoint claimed) {
    this.engine = engine;
    this.projector = projector;
    this.key = claimed.key();
    this.reader = engine.store.logReader();
    this.throughput = new Throughput(engine.clock);
    adopt(claimed);
    this.lastRenewNanos = System.nanoTime();
    this.lastSwitchCheckNanos = System.nanoTime() - SWITCH_CHECK_NANOS;
    this.lastProgressAt = engine.clock.instant();
    this.lastProgressCount = processedEvents;
    this.haltedOpen = engine.jdbi.withHandle(h -> engine.deadLetters.hasHalted(h, key));
  }

  PartitionKey key() {
    return key;
  }

  LogReader reader() {
    return reader;
  }

  private void adopt(Checkpoint row) {
    cursor = row.cursor();
    replayUntil = row.replayUntil();
    state = row.state();
    processedEvents = row.processedEvents();
  }

  /**
   * Reads one batch after the checkpoint and processes it.
   *
   * @throws RuntimeException on database failures; the caller waits, calls {@link #reload()}
   *     and goes on. An {@link Error} from a handler propagates after its transaction rolled back.
   */
  Step step(Waiter waiter) {
    LogBatch batch = nextBatch();
    if (batch.isEmpty()) {
      return Step.IDLE;
    }
    boolean full = batch.events().size() >= projector.batchSize();
    if (full) {
      readAhead(batch.next());
    }
    Step step = projector.isSideEffects()
        ? sideEffects(batch.events(), full, waiter)
        : readModel(batch.events(), full, waiter);
    if (step == Step.PROGRESS && !full) {
      maybeSwitch();
    }
    return step;
  }

  /**
   * The batch after the cursor: the one read ahead when it was read from this very cursor, else a
   * fresh read. A batch read ahead is a valid answer even if events committed since: every read
   * returns a gap-free stretch of the log, and the next read continues after it.
   */
  private LogBatch nextBatch() {
    CompletableFuture<LogBatch> ahead = this.ahead;
    this.ahead = null;
    if (ahead != null && aheadFrom.equals(cursor)) {
      try {
        return ahead.join();
      } catch (CompletionException e) {
        if (e.getCause() instanceof RuntimeException r) {
          throw r;
        }
        throw e;
      }
    }
    // Otherwise the cursor moved another way (a failure, a reset, a fence) and the read is dropped.
    return reader.read(cursor, projector.batchSize(), projector.filter(), key.logPartition());
  }

  /**
   * Starts reading the batch after {@code from} while this one is handled: on a busy log the
   * read and the handling then overlap instead of taking turns (catch-up measured about a fifth
   * of its time in reads).
   */
  private void readAhead(LogCursor from) {
    aheadFrom = from;
    try {
      ahead = CompletableFuture.supplyAsync(
          () -> reader.read(from, projector.batchSize(), projector.filter(), key.logPartition()),
          engine.readAhead);
    } catch (RejectedExecutionException closing) {
      ahead = null;
    }
  }

  /**
   * Called when a read found nothing: renews the lease when due (and marks a catching-up
   * partition as caught up) and, for a rebuilding version, tries to switch reads to it.
   *
   * @return false if the partition is no longer this node's to process
   */
  boolean idle() {
    if (!renew(state == RowState.CATCHING_UP, false)) {
      return false;
    }
    maybeSwitch();
    return true;
  }

  /**
   * Re-reads the checkpoint row after a failure whose outcome is unknown (a commit may have
   * succeeded before the connection broke).
   *
   * @return false if the partition is no longer this node's to process
   */
  boolean reload() {
    Optional<Checkpoint> row = engine.jdbi.withHandle(h -> engine.checkpoints.find(h, key));
    if (row.isEmpty() || !engine.node.equals(row.get().owner())) {
      stillOwner = false;
      return false;
    }
    adopt(row.get());
    return row.get().state().runnable();
  }

  /** Gives the lease up, if this node still has it. */
  void release() {
    if (!stillOwner) {
      return;
    }
    try {
      engine.checkpoints.release(engine.jdbi, key, engine.node);
      stillOwner = false;
    } catch (RuntimeException e) {
      Engine.LOG.log(Level.WARNING, "could not release the lease on " + key
          + "; it ends by itself after the lease duration", e);
    }
  }

  /**
   * Renews the lease when due, when {@code caughtUp} (to record it) or when {@code force}d.
   * Returns false if the partition is no longer this node's to process.
   */
  private boolean renew(boolean caughtUp, boolean force) {
    boolean due = System.nanoTime() - lastRenewNanos >= engine.renewEvery().toNanos();
    if (!due && !caughtUp && !force) {
      return true;
    }
    Optional<Checkpoint> row = engine.checkpoints.renew(engine.jdbi, key, engine.node, engine.lease,
        throughput.eventsPerSecond(), caughtUp);
    lastRenewNanos = System.nanoTime();
    if (row.isEmpty()) {
      stillOwner = false;
      Engine.LOG.log(Level.INFO, "{0}: another node owns it now; this node stops processing it", key);
      return false;
    }
    Checkpoint r = row.get();
    if (!r.cursor().equals(cursor)) {
      adopt(r);
    }
    state = r.state();
    replayUntil = r.replayUntil();
    return r.state().runnable();
  }

  /** Tries to switch reads to this rebuilding version now, without the usual spacing. */
  boolean trySwitchNow() {
    lastSwitchCheckNanos = System.nanoTime() - SWITCH_CHECK_NANOS;
    maybeSwitch();
    return state != RowState.REBUILDING;
  }

  private void maybeSwitch() {
    if (state != RowState.REBUILDING || System.nanoTime() - lastSwitchCheckNanos < SWITCH_CHECK_NANOS) {
      return;
    }
    lastSwitchCheckNanos = System.nanoTime();
    if (engine.versions.trySwitch(projector, reader)) {
      state = RowState.RUNNING;
    }
  }

  // ---------------------------------------------------------------- read models

  private Step readModel(List<StoredEvent> events, boolean full, Waiter waiter) {
    int from = 0;
    // A failed batch handler does not say which event failed: then each event goes alone.
    boolean oneAtATime = false;
    while (from < events.size()) {
      Outcome o = commit(events.subList(from, oneAtATime ? from + 1 : events.size()), full);
      if (o.kind == Outcome.Kind.FAILED && o.failedAt < 0) {
        if (!oneAtATime && events.size() - from > 1) {
          Engine.LOG.log(Level.WARNING, "{0}: a batch of {1} events failed, trying them one at a time: {2}",
              key, events.size() - from, Failures.describe(o.failure));
          oneAtATime = true;
          continue;
        }
        o = Outcome.failed(0, o.failure);
      }
      if (oneAtATime && o.kind == Outcome.Kind.OK) {
        from++;
        continue;
      }
      // Commit what came before the failing event, then deal with that event alone.
      while (o.kind == Outcome.Kind.FAILED && o.failedAt > 0) {
        Throwable failure = o.failure;
        int k = o.failedAt;
        Outcome prefix = commit(events.subList(from, from + k), full);
        if (prefix.kind == Outcome.Kind.OK) {
          from += k;
          o = Outcome.failed(0, failure);
        } else {
          o = prefix;
        }
      }
      if (o.kind == Outcome.Kind.FENCED) {
        return refenced(o.row);
      }
      if (o.kind == Outcome.Kind.OK) {
        return Step.PROGRESS;
      }
      Fate fate = retryAlone(events.get(from), o.failure, full, waiter);
      if (fate == Fate.FENCED_OUT) {
        return refenced(lastFence);
      }
      if (fate == Fate.HALTED || fate == Fate.LOST) {
        return Step.LOST;
      }
      if (fate == Fate.ABANDONED) {
        return Step.PROGRESS;
      }
      from++;
    }
    return Step.PROGRESS;
  }

  /**
   * One transaction: lock and check the checkpoint, run the handlers on its handle, move the
   * checkpoint past the last event, commit.
   */
  private Outcome commit(List<StoredEvent> events, boolean full) {
    LogCursor expected = cursor;
    try {
      RowState next = engine.jdbi.inTransaction(h -> {
        Checkpoint row = engine.checkpoints.lock(h, key, engine.idleTransactionTimeout);
        fence(row, expected);
        Map<String, Long> blocked = engine.deadLetters.blockedStreams(h, key.projector(), key.version(),
            streams(events));
        if (projector.batchHandler() != null) {
          handleBatch(h, events, blocked);
        } else {
          handleEach(h, row, events, blocked);
        }
        RowState after = stateAfter(row.state(), full);
        engine.checkpoints.advance(h, key, last(events).cursor(), after, events.size(),
            throughput.eventsPerSecond(), engine.lease);
        if (haltedOpen) {
          engine.deadLetters.resolveHalted(h, key, ids(events));
        }
        return after;
      });
      committed(events, next);
      return Outcome.OK;
    } catch (Fenced f) {
      return Outcome.fenced(f.row);
    } catch (HandlerFailure f) {
      if (Failures.isConnectionLoss(f.getCause())) {
        throw new ProjectionException(key + ": lost the database connection in a handler; the "
            + "batch rolled back and is tried again", f.getCause(), true);
      }
      return Outcome.failed(f.index, f.getCause());
    }
  }

  /** Parks {@code e} if its stream is blocked behind a dead letter; returns whether it did. */
  private boolean parkedAsBlocked(Handle h, StoredEvent e, Map<String, Long> blocked) {
    Long blocker = blocked.get(e.streamId().toString());
    if (blocker == null) {
      return false;
    }
    engine.deadLetters.park(h, key, e, DeadLetter.Status.BLOCKED, blockedMessage(blocker, e), "", 0);
    return true;
  }

  /** Runs the per-event handler on each event of the batch, parking blocked streams' events. */
  private void handleEach(Handle h, Checkpoint row, List<StoredEvent> events, Map<String, Long> blocked) {
    for (int i = 0; i < events.size(); i++) {
      StoredEvent e = events.get(i);
      if (parkedAsBlocked(h, e, blocked)) {
        continue;
      }
      try {
        RecordedEvent event = e.decode(engine.registry);
        projector.handler().handle(event, Contexts.event(h, engine.schema, projector, key.version(),
            key.logPartition(), e.eventId(), e.cursor(), !e.cursor().isAfter(row.replayUntil())));
      } catch (Exception failure) {
        throw new HandlerFailure(i, failure);
      }
    }
  }

  /**
   * Runs the batch handler once on the batch's events that are not blocked, parking the others.
   * A failure is reported without an index: the caller tries the events one at a time.
   */
  private void handleBatch(Handle h, List<StoredEvent> events, Map<String, Long> blocked) {
    List<RecordedEvent> pass = new ArrayList<>(events.size());
    for (int i = 0; i < events.size(); i++) {
      StoredEvent e = events.get(i);
      if (parkedAsBlocked(h, e, blocked)) {
        continue;
      }
      try {
        pass.add(e.decode(engine.registry));
      } catch (RuntimeException undecodable) {
        throw new HandlerFailure(events.size() == 1 ? 0 : -1, undecodable);
      }
    }
    if (pass.isEmpty()) {
      return;
    }
    try {
      projector.batchHandler().handle(pass, Contexts.tables(h, engine.schema, projector, key.version()));
    } catch (Exception failure) {
      throw new HandlerFailure(events.size() == 1 ? 0 : -1, failure);
    }
  }

  // ---------------------------------------------------------------- side effects

  private Step sideEffects(List<StoredEvent> events, boolean full, Waiter waiter) {
    LogCursor readAfter = cursor;
    // Check the lease first: effects done without it would be needless duplicates.
    if (!renew(false, true)) {
      return Step.LOST;
    }
    if (!cursor.equals(readAfter)) {
      // The renewal adopted a moved cursor (a reset): this batch was read after the old one.
      return Step.PROGRESS;
    }
    Map<String, Long> blocked = engine.jdbi.withHandle(h -> engine.deadLetters.blockedStreams(h,
        key.projector(), key.version(), streams(events)));
    if (projector.batchSideEffect() != null) {
      Step step = batchSideEffects(events, blocked, full, waiter);
      if (step != null) {
        return step;
      }
      // The batch failed for a reason that may be one event's fault: one at a time finds it.
    }
    Set<Integer> blockedAt = new LinkedHashSet<>();
    int end = events.size();
    Throwable failure = null;
    for (int i = 0; i < events.size(); i++) {
      StoredEvent e = events.get(i);
      if (waiter.stopping() || !renew(false, false)) {
        end = i;
        break;
      }
      if (blocked.containsKey(e.streamId().toString())) {
        blockedAt.add(i);
        continue;
      }
      try {
        RecordedEvent event = e.decode(engine.registry);
        projector.sideEffect().handle(event, Contexts.sideEffect(e.eventId(),
            replaying(e), 1, key.logPartition()));
      } catch (Exception ex) {
        failure = ex;
        end = i;
        break;
      }
    }
    if (end > 0) {
      Outcome o = commitSideEffects(events.subList(0, end), blockedAt, full);
      if (o.kind == Outcome.Kind.FENCED) {
        return refenced(o.row);
      }
      if (o.committedCount < end) {
        return Step.PROGRESS;
      }
    }
    if (failure == null) {
      return Step.PROGRESS;
    }
    if (failure instanceof TargetUnavailableException) {
      return unavailable(failure, waiter);
    }
    Fate fate = retryAlone(events.get(end), failure, full, waiter);
    if (fate == Fate.FENCED_OUT) {
      return refenced(lastFence);
    }
    return fate == Fate.HALTED || fate == Fate.LOST ? Step.LOST : Step.PROGRESS;
  }

  /**
   * Hands the batch (without blocked streams' events) to the batch handler in one call and moves
   * the checkpoint past it. Returns null when the batch failed for a reason other than an
   * unavailable target, or an event could not be decoded: the caller then goes through the
   * events one at a time, so that only the faulty one is retried and parked.
   */
  private Step batchSideEffects(List<StoredEvent> events, Map<String, Long> blocked, boolean full,
      Waiter waiter) {
    Set<Integer> blockedAt = new LinkedHashSet<>();
    List<RecordedEvent> pass = new ArrayList<>(events.size());
    try {
      for (int i = 0; i < events.size(); i++) {
        StoredEvent e = events.get(i);
        if (blocked.containsKey(e.streamId().toString())) {
          blockedAt.add(i);
        } else {
          pass.add(e.decode(engine.registry));
        }
      }
    } catch (RuntimeException undecodable) {
      return null;
    }
    if (!pass.isEmpty()) {
      try {
        projector.batchSideEffect().handle(pass);
      } catch (TargetUnavailableException u) {
        return unavailable(u, waiter);
      } catch (Exception ex) {
        Engine.LOG.log(Level.WARNING, "{0}: a batch of {1} events failed, trying them one at a time: {2}",
            key, pass.size(), Failures.describe(ex));
        return null;
      }
    }
    Outcome o = commitSideEffects(events, blockedAt, full);
    if (o.kind == Outcome.Kind.FENCED) {
      return refenced(o.row);
    }
    return Step.PROGRESS;
  }

  /**
   * The side-effect target is down: record it as the last error, wait (backoff by tries in a
   * row) and let the next step read the same events again from the checkpoint. Nothing counts
   * as an event's try, so an outage of any length parks nothing.
   */
  private Step unavailable(Throwable failure, Waiter waiter) {
    unavailableInARow++;
    Duration wait = projector.backoff(Math.min(unavailableInARow, 64));
    String error = "target unavailable: " + Failures.describe(failure);
    try {
      engine.jdbi.useHandle(h -> engine.checkpoints.recordError(h, key, error));
    } catch (RuntimeException dbDown) {
      // The status misses this error; the next step fails on the database and says so.
    }
    // The first failure and then every tenth, so a long outage does not flood the log.
    if (unavailableInARow == 1 || unavailableInARow % 10 == 0) {
      Engine.LOG.log(Level.WARNING, "{0}: {1} ({2} in a row); trying again in {3} ms from the checkpoint",
          key, error, unavailableInARow, wait.toMillis());
    }
    waiter.sleep(wait);
    return Step.PROGRESS;
  }

  /**
   * Moves the checkpoint past side effects that were done and records blocked events, in one
   * transaction. A stream that an operator unblocked meanwhile (by retrying its dead letters)
   * must not have its events parked: the commit stops before the first such event.
   */
  private Outcome commitSideEffects(List<StoredEvent> events, Set<Integer> blockedAt, boolean full) {
    LogCursor expected = cursor;
    try {
      int[] committed = new int[1];
      RowState next = engine.jdbi.inTransaction(h -> {
        Checkpoint row = engine.checkpoints.lock(h, key, engine.idleTransactionTimeout);
        fence(row, expected);
        List<String> blockedStreams = new ArrayList<>();
        for (int i : blockedAt) {
          if (i < events.size()) {
            blockedStreams.add(events.get(i).streamId().toString());
          }
        }
        Map<String, Long> still = engine.deadLetters.blockedStreams(h, key.projector(), key.version(), blockedStreams);
        int cut = events.size();
        for (int i : blockedAt) {
          if (i < events.size() && !still.containsKey(events.get(i).streamId().toString())) {
            cut = i;
            break;
          }
        }
        committed[0] = cut;
        if (cut == 0) {
          return row.state();
        }
        for (int i : blockedAt) {
          if (i < cut) {
            StoredEvent e = events.get(i);
            engine.deadLetters.park(h, key, e, DeadLetter.Status.BLOCKED,
                blockedMessage(still.get(e.streamId().toString()), e), "", 0);
          }
        }
        RowState after = stateAfter(row.state(), full);
        List<StoredEvent> done = events.subList(0, cut);
        engine.checkpoints.advance(h, key, last(done).cursor(), after, cut,
            throughput.eventsPerSecond(), engine.lease);
        if (haltedOpen) {
          engine.deadLetters.resolveHalted(h, key, ids(done));
        }
        return after;
      });
      if (committed[0] > 0) {
        committed(events.subList(0, committed[0]), next);
      }
      return Outcome.committed(committed[0]);
    } catch (Fenced f) {
      return Outcome.fenced(f.row);
    }
  }

  private Outcome sideEffectAlone(StoredEvent e, int attempt, boolean full) {
    try {
      RecordedEvent event = e.decode(engine.registry);
      projector.sideEffect().handle(event, Contexts.sideEffect(e.eventId(), replaying(e), attempt,
          key.logPartition()));
    } catch (Exception ex) {
      return Outcome.failed(0, ex);
    }
    Outcome o = commitSideEffects(List.of(e), Set.of(), full);
    return o.kind == Outcome.Kind.FENCED ? o : Outcome.OK;
  }

  private boolean replaying(StoredEvent e) {
    return !e.cursor().isAfter(replayUntil);
  }

  // ---------------------------------------------------------------- failures

  /** What became of a failing event. */
  private enum Fate {
    COMMITTED, PARKED, HALTED, FENCED_OUT,
    /** The lease renewal between tries found the partition no longer ours to process. */
    LOST,
    /** Processing is stopping; the event is left for whoever processes the partition next. */
    ABANDONED
  }

  /**
   * Tries a failing event again on its own with backoff; after the last try parks it (CONTINUE)
   * or halts the partition before it (STOP). An undecodable event is not tried again: this
   * process's registry cannot change, so another try would fail the same way.
   */
  private Fate retryAlone(StoredEvent e, Throwable first, boolean full, Waiter waiter) {
    int attempts = 1;
    Throwable last = first;
    if (!Failures.isUndecodable(first)) {
      while (attempts < projector.maxAttempts()) {
        Duration wait = projector.backoff(attempts);
        Engine.LOG.log(Level.WARNING, "{0}: event {1} failed try {2} of {3}, next in {4} ms: {5}",
            key, describe(e), attempts, projector.maxAttempts(), wait.toMillis(), Failures.describe(last));
        if (!waiter.sleep(wait)) {
          return Fate.ABANDONED;
        }
        if (!renew(false, false)) {
          return Fate.LOST;
        }
        attempts++;
        Outcome o = projector.isSideEffects() ? sideEffectAlone(e, attempts, full) : commit(List.of(e), full);
        if (o.kind == Outcome.Kind.OK) {
          return Fate.COMMITTED;
        }
        if (o.kind == Outcome.Kind.FENCED) {
          lastFence = o.row;
          return Fate.FENCED_OUT;
        }
        last = o.failure;
        if (last instanceof TargetUnavailableException) {
          // Not this event's fault: start over from the checkpoint once the target is back.
          unavailable(last, waiter);
          return Fate.ABANDONED;
        }
      }
    }
    return park(e, attempts, last);
  }

  private Fate park(StoredEvent e, int attempts, Throwable error) {
    String message = "event " + describe(e) + " failed after " + attempts
        + (attempts == 1 ? " try" : " tries") + ": " + Failures.describe(error);
    LogCursor expected = cursor;
    boolean stop = projector.failurePolicy() == FailurePolicy.STOP;
    try {
      RowState next = engine.jdbi.inTransaction(h -> {
        Checkpoint row = engine.checkpoints.lock(h, key, engine.idleTransactionTimeout);
        fence(row, expected);
        if (stop) {
          engine.deadLetters.park(h, key, e, DeadLetter.Status.HALTED, message, Failures.stackTrace(error), attempts);
          engine.checkpoints.fail(h, key, message);
          return RowState.FAILED;
        }
        engine.deadLetters.park(h, key, e, DeadLetter.Status.PARKED, message, Failures.stackTrace(error), attempts);
        engine.checkpoints.recordError(h, key, message);
        RowState after = stateAfter(row.state(), true);
        engine.checkpoints.advance(h, key, e.cursor(), after, 1, throughput.eventsPerSecond(), engine.lease);
        return after;
      });
      if (stop) {
        Engine.LOG.log(Level.ERROR, "{0} stopped (policy STOP) before {1}; fix the cause, then retry "
            + "or discard the dead letter, or resume the projector", key, message);
        state = next;
        stillOwner = false;
        haltedOpen = true;
        return Fate.HALTED;
      }
      Engine.LOG.log(Level.ERROR, "{0} parked {1} and goes on (policy CONTINUE); later events of "
          + "stream {2} wait behind it", key, message, e.streamId());
      committed(List.of(e), next);
      return Fate.PARKED;
    } catch (Fenced f) {
      lastFence = f.row;
      return Fate.FENCED_OUT;
    }
  }

  // ---------------------------------------------------------------- bookkeeping

  private void fence(Checkpoint row, LogCursor expected) {
    if (!engine.node.equals(row.owner()) || !row.state().runnable() || !row.cursor().equals(expected)) {
      throw new Fenced(row);
    }
    replayUntil = row.replayUntil();
  }

  private Step refenced(Checkpoint row) {
    if (!engine.node.equals(row.owner())) {
      stillOwner = false;
      Engine.LOG.log(Level.INFO, "{0}: node {1} owns it now; this node stops processing it", key, row.owner());
      return Step.LOST;
    }
    if (!row.state().runnable()) {
      state = row.state();
      Engine.LOG.log(Level.INFO, "{0} is {1}; this node stops processing it", key, row.state());
      return Step.LOST;
    }
    // Still ours, but the cursor moved: an operator reset it or skipped an event.
    adopt(row);
    return Step.PROGRESS;
  }

  private static RowState stateAfter(RowState current, boolean full) {
    if (current == RowState.REBUILDING) {
      return RowState.REBUILDING;
    }
    return full ? RowState.CATCHING_UP : RowState.RUNNING;
  }

  private void committed(List<StoredEvent> events, RowState next) {
    unavailableInARow = 0;
    cursor = last(events).cursor();
    state = next;
    haltedOpen = false;
    lastRenewNanos = System.nanoTime();
    processedEvents += events.size();
    throughput.record(events.size());
    boolean replay = !last(events).cursor().isAfter(replayUntil);
    if (next == RowState.REBUILDING || replay) {
      reportProgress();
    } else {
      lastProgressCount = processedEvents;
      lastProgressAt = engine.clock.instant();
    }
  }

  private void reportProgress() {
    Instant now = engine.clock.instant();
    Duration since = Duration.between(lastProgressAt, now);
    if (since.compareTo(engine.progressInterval) < 0) {
      return;
    }
    try {
      LogHead head = reader.head();
      long toGo = Math.max(0, head.safeHeadPosition() - cursor.position());
      double seconds = since.toNanos() / 1e9;
      double rate = seconds > 0 ? (processedEvents - lastProgressCount) / seconds : 0;
      Optional<Duration> left = rate > 0
          ? Optional.of(Duration.ofMillis((long) (toGo / rate * 1000))) : Optional.empty();
      engine.progress.accept(new RebuildProgress(key.projector(), key.version(), key.partition(),
          processedEvents, toGo, rate, left));
    } catch (RuntimeException e) {
      Engine.LOG.log(Level.WARNING, key + ": the rebuild progress listener failed", e);
    }
    lastProgressAt = now;
    lastProgressCount = processedEvents;
  }

  private static Set<String> streams(List<StoredEvent> events) {
    Set<String> out = new LinkedHashSet<>();
    events.forEach(e -> out.add(e.streamId().toString()));
    return out;
  }

  private static List<UUID> ids(List<StoredEvent> events) {
    return events.stream().map(StoredEvent::eventId).toList();
  }

  private static StoredEvent last(List<StoredEvent> events) {
    return events.get(events.size() - 1);
  }

  private static String describe(StoredEvent e) {
    return e.eventId() + " (" + e.type() + ", stream " + e.streamId() + " version " + e.version()
        + ", position " + e.position() + ")";
  }

  private static String blockedMessage(Long blocker, StoredEvent e) {
    return "blocked: stream " + e.streamId() + " has an earlier open dead letter (id " + blocker
        + "); retry or discard that one first";
  }

  /** The row did not pass the fencing check; thrown out of the transaction to roll it back. */
  private static final class Fenced extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final transient Checkpoint row;

    Fenced(Checkpoint row) {
      super(null, null, false, false);
      this.row = row;
    }
  }

  /** A handler failed on the event at {@code index}; thrown out of the transaction to roll it back. */
  private static final class HandlerFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final int index;

    HandlerFailure(int index, Throwable cause) {
      super(null, cause, false, false);
      this.index = index;
    }
  }

  private static final class Outcome {
    enum Kind { OK, FAILED, FENCED }

    static final Outcome OK = new Outcome(Kind.OK, -1, null, null, -1);

    final Kind kind;
    final int failedAt;
    final Throwable failure;
    final Checkpoint row;
    final int committedCount;

    private Outcome(Kind kind, int failedAt, Throwable failure, Checkpoint row, int committedCount) {
      this.kind = kind;
      this.failedAt = failedAt;
      this.failure = failure;
      this.row = row;
      this.committedCount = committedCount;
    }

    static Outcome failed(int index, Throwable failure) {
      return new Outcome(Kind.FAILED, index, failure, null, -1);
    }

    static Outcome fenced(Checkpoint row) {
      return new Outcome(Kind.FENCED, -1, null, row, -1);
    }

    static Outcome committed(int count) {
      return new Outcome(Kind.OK, -1, null, null, count);
    }
  }
}
