package dev.annals.projections;

import dev.annals.core.internal.Redaction;
import dev.annals.postgres.LogCursor;
import dev.annals.postgres.LogReader;
import dev.annals.postgres.StoredEvent;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;

/**
 * This node's claim on one partition: the checkpoint as last seen (one immutable value, replaced
 * after every read and commit of the row), the lease, and the fenced batch transaction that
 * every change of the row goes through. Not thread-safe: the partition's thread only.
 *
 * <p>Safety never rests on the lease (see {@link PartitionProcessor}): every transaction here
 * locks the row and checks owner, state and cursor before doing anything.
 */
final class Claim {

  /** The work of a batch transaction, run after the row was locked and passed the fencing check. */
  @FunctionalInterface
  interface Work {
    /** Returns what was committed, for the bookkeeping after the commit. */
    Done run(Handle h, Checkpoint locked);
  }

  /**
   * What a batch transaction did.
   *
   * @param events the events the checkpoint moved past; none if it did not move
   * @param next the row's state afterwards
   */
  record Done(List<StoredEvent> events, RowState next) {}

  final Engine engine;
  final Projector projector;
  final PartitionKey key;
  final Throughput throughput;
  private final RebuildReporter reporter;
  private Checkpoint row;
  private boolean haltedOpen;
  private boolean stillOwner = true;
  private long lastRenewNanos;
  /** Side-effect tries in a row that found the target unavailable, for the backoff. */
  private int unavailableInARow;
  /** Events committed past since this claim began, for the observer's batch figures. */
  private long committedEvents;

  Claim(Engine engine, Projector projector, Checkpoint claimed, LogReader reader) {
    this.engine = engine;
    this.projector = projector;
    this.key = claimed.key();
    this.throughput = new Throughput(engine.reporting.clock());
    this.row = claimed;
    this.reporter = new RebuildReporter(engine.reporting, key, reader, claimed.processedEvents());
    this.lastRenewNanos = System.nanoTime();
    this.haltedOpen = engine.jdbi().withHandle(h -> engine.deadLetters.hasHalted(h, key));
  }

  Checkpoint row() {
    return row;
  }

  /** How many events the checkpoint moved past since this claim began. */
  long committedEvents() {
    return committedEvents;
  }

  /** One more unavailable target in a row; returns how many now. */
  int unavailableAgain() {
    return ++unavailableInARow;
  }

  /**
   * One transaction: lock the row, check it ({@link #fence}), run {@code work}, commit; then the
   * bookkeeping of what it committed. Exceptions of {@code work} roll back and propagate.
   *
   * @return {@link Outcome.Committed} with the events committed, or {@link Outcome.Fenced}
   */
  Outcome transaction(Work work) {
    LogCursor expected = row.cursor();
    try {
      Done done = engine.jdbi().inTransaction(h -> {
        Checkpoint locked = engine.checkpoints.lock(h, key, engine.pacing.idleTransactionTimeout());
        fence(locked, expected);
        return work.run(h, locked);
      });
      if (!done.events().isEmpty()) {
        committed(done.events(), done.next());
      }
      return new Outcome.Committed(done.events().size());
    } catch (FencedOut f) {
      return new Outcome.Fenced(f.row);
    }
  }

  /**
   * Moves the locked row past {@code events} and renews the lease, in the batch transaction, and
   * resolves a halted dead letter that these events got past.
   */
  Done advance(Handle h, Checkpoint locked, List<StoredEvent> events, boolean full) {
    RowState after = stateAfter(locked.state(), full);
    engine.checkpoints.advance(h, key, last(events).cursor(), after, events.size(),
        throughput.eventsPerSecond(), engine.node.lease());
    if (haltedOpen) {
      engine.deadLetters.resolveHalted(h, key, events.stream().map(StoredEvent::eventId).toList());
    }
    return new Done(events, after);
  }

  static RowState stateAfter(RowState current, boolean full) {
    if (current == RowState.REBUILDING) {
      return RowState.REBUILDING;
    }
    return full ? RowState.CATCHING_UP : RowState.RUNNING;
  }

  private void fence(Checkpoint locked, LogCursor expected) {
    if (!locked.ownedBy(engine.node.id()) || !locked.state().runnable() || !locked.cursor().equals(expected)) {
      throw new FencedOut(locked);
    }
    row = locked;
  }

  /** What a refused transaction means: stop, or go on from where an operator moved the cursor. */
  Outcome refenced(Checkpoint found) {
    if (!found.ownedBy(engine.node.id())) {
      stillOwner = false;
      Engine.LOG.log(Level.INFO, "{0}: node {1} owns it now; this node stops processing it", key, found.owner());
      return Outcome.LOST;
    }
    row = found;
    if (!found.state().runnable()) {
      Engine.LOG.log(Level.INFO, "{0} is {1}; this node stops processing it", key, found.state());
      return Outcome.LOST;
    }
    // Still ours, but the cursor moved: an operator reset it or skipped an event.
    return Outcome.PROGRESS;
  }

  private void committed(List<StoredEvent> events, RowState next) {
    unavailableInARow = 0;
    haltedOpen = false;
    lastRenewNanos = System.nanoTime();
    LogCursor to = last(events).cursor();
    long from = row.cursor().position();
    row = row.advanced(to, next, events.size());
    committedEvents += events.size();
    throughput.record(events.size());
    reporter.committed(row, from, events.size(), next == RowState.REBUILDING || row.isReplay(to));
  }

  /** The partition stopped before a failing event (policy STOP): FAILED, lease given up. */
  void halted() {
    row = row.in(RowState.FAILED);
    stillOwner = false;
    haltedOpen = true;
  }

  /** The reads switched to this rebuilt version. */
  void switched() {
    row = row.in(RowState.RUNNING);
  }

  /**
   * Renews the lease when due, when {@code caughtUp} (to record it) or when {@code force}d.
   * Returns false if the partition is no longer this node's to process.
   */
  boolean renew(boolean caughtUp, boolean force) {
    boolean due = System.nanoTime() - lastRenewNanos >= engine.node.renewEvery().toNanos();
    if (!due && !caughtUp && !force) {
      return true;
    }
    Optional<Checkpoint> renewed = engine.checkpoints.renew(engine.jdbi(), key, engine.node.id(),
        engine.node.lease(), throughput.eventsPerSecond(), caughtUp);
    lastRenewNanos = System.nanoTime();
    if (renewed.isEmpty()) {
      stillOwner = false;
      Engine.LOG.log(Level.INFO, "{0}: another node owns it now; this node stops processing it", key);
      return false;
    }
    row = renewed.get();
    return row.state().runnable();
  }

  /**
   * Re-reads the row after a failure whose outcome is unknown (a commit may have succeeded
   * before the connection broke).
   *
   * @return false if the partition is no longer this node's to process
   */
  boolean reload() {
    Optional<Checkpoint> found = engine.jdbi().withHandle(h -> engine.checkpoints.find(h, key));
    if (found.isEmpty() || !found.get().ownedBy(engine.node.id())) {
      stillOwner = false;
      return false;
    }
    row = found.get();
    return row.state().runnable();
  }

  /** Gives the lease up, if this node still has it. */
  void release() {
    if (!stillOwner) {
      return;
    }
    try {
      engine.checkpoints.release(engine.jdbi(), key, engine.node.id());
      stillOwner = false;
    } catch (RuntimeException e) {
      Engine.LOG.log(Level.WARNING, "could not release the lease on " + key
          + "; it ends by itself after the lease duration", Redaction.redacted(e));
    }
  }

  static StoredEvent last(List<StoredEvent> events) {
    return events.get(events.size() - 1);
  }

  /** The row did not pass the fencing check; thrown out of the transaction to roll it back. */
  private static final class FencedOut extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final transient Checkpoint row;

    FencedOut(Checkpoint row) {
      super(null, null, false, false);
      this.row = row;
    }
  }
}
