package dev.annals.projections;

import dev.annals.postgres.LogBatch;
import dev.annals.postgres.LogCursor;
import dev.annals.postgres.LogReader;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;

/**
 * Processes one projector partition that this node has claimed, one batch per {@link #step}:
 * reads (one batch ahead on a busy log), hands the batch to {@link ReadModelBatches} or
 * {@link SideEffectBatches}, keeps the lease when idle, and switches reads to a rebuilt version.
 * The checkpoint, the lease and the fenced transaction are the {@link Claim}'s. Not
 * thread-safe: one thread at a time (its worker, or a synchronous catch-up).
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
  private final LogReader reader;
  private final Claim claim;
  private final ReadModelBatches readModels;
  private final SideEffectBatches sideEffects;
  // The next batch, being read while the current one is handled, and the cursor it reads after.
  private CompletableFuture<LogBatch> ahead;
  private LogCursor aheadFrom;
  private long lastSwitchCheckNanos;

  PartitionProcessor(Engine engine, Projector projector, Checkpoint claimed) {
    this.engine = engine;
    this.projector = projector;
    this.reader = engine.store.logReader();
    this.claim = new Claim(engine, projector, claimed, reader);
    this.readModels = new ReadModelBatches(claim);
    this.sideEffects = new SideEffectBatches(claim);
    this.lastSwitchCheckNanos = System.nanoTime() - SWITCH_CHECK_NANOS;
  }

  PartitionKey key() {
    return claim.key;
  }

  LogReader reader() {
    return reader;
  }

  /**
   * Reads one batch after the checkpoint and processes it.
   *
   * @return {@link Outcome#PROGRESS}, {@link Outcome#IDLE} or {@link Outcome#LOST}
   * @throws RuntimeException on database failures; the caller waits, calls {@link #reload()}
   *     and goes on. An {@link Error} from a handler propagates after its transaction rolled back.
   */
  Outcome step(Waiter waiter) {
    long started = System.nanoTime();
    LogBatch batch = nextBatch();
    if (batch.isEmpty()) {
      return Outcome.IDLE;
    }
    boolean full = batch.events().size() >= projector.batchSize();
    if (full) {
      readAhead(batch.next());
    }
    long committedBefore = claim.committedEvents();
    BatchScope.Start scoped = engine.batchScope == null ? null : new BatchScope.Start(claim.key.projector(),
        claim.key.version(), claim.key.partition(), batch.events());
    BatchScope.Closer scope = scoped == null ? null : Engine.open(engine.batchScope, scoped);
    Outcome step;
    Throwable failure = null;
    try {
      step = projector.isSideEffects()
          ? sideEffects.process(batch.events(), full, waiter)
          : readModels.process(batch.events(), full, waiter);
    } catch (Throwable t) {
      failure = t;
      throw t;
    } finally {
      if (scoped != null || engine.observer != null) {
        int handled = (int) (claim.committedEvents() - committedBefore);
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        // Closed first: what the scope made current must not outlast the batch, also for the observer.
        if (scoped != null) {
          Engine.close(scope, new BatchScope.End(handled, took, Optional.ofNullable(failure)), scoped);
        }
        if (engine.observer != null) {
          engine.tell(new ProjectionObserver.Batch(claim.key.projector(), claim.key.version(),
              claim.key.partition(), batch.events(), handled, took));
        }
      }
    }
    if (step == Outcome.PROGRESS && !full) {
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
    LogCursor cursor = claim.row().cursor();
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
    return reader.read(cursor, projector.batchSize(), projector.filter(), claim.key.logPartition());
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
          () -> reader.read(from, projector.batchSize(), projector.filter(), claim.key.logPartition()),
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
    if (!claim.renew(claim.row().state() == RowState.CATCHING_UP, false)) {
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
    return claim.reload();
  }

  /** Gives the lease up, if this node still has it. */
  void release() {
    claim.release();
  }

  /** Tries to switch reads to this rebuilding version now, without the usual spacing. */
  boolean trySwitchNow() {
    lastSwitchCheckNanos = System.nanoTime() - SWITCH_CHECK_NANOS;
    maybeSwitch();
    return claim.row().state() != RowState.REBUILDING;
  }

  private void maybeSwitch() {
    if (claim.row().state() != RowState.REBUILDING
        || System.nanoTime() - lastSwitchCheckNanos < SWITCH_CHECK_NANOS) {
      return;
    }
    lastSwitchCheckNanos = System.nanoTime();
    if (engine.versions.trySwitch(projector, reader)) {
      claim.switched();
    }
  }
}
