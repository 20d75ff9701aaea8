package dev.annals.projections;

import dev.annals.postgres.StoredEvent;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.List;

/**
 * What happens to an event whose handler failed: tries again on its own with the projector's
 * backoff, then parks it (policy CONTINUE) or halts the partition before it (policy STOP). And
 * what happens when a side-effect target is unavailable: no event's fault, so nothing counts as
 * a try. Not thread-safe: the partition's thread only.
 */
final class FailingEvents {

  /** Processes one event alone again, as try number {@code attempt}. */
  @FunctionalInterface
  interface Retry {
    /** Returns {@link Outcome.Committed}, {@link Outcome.Failed} or {@link Outcome.Fenced}. */
    Outcome tryAgain(StoredEvent e, int attempt, boolean full);
  }

  private final Claim claim;
  private final Retry retry;

  FailingEvents(Claim claim, Retry retry) {
    this.claim = claim;
    this.retry = retry;
  }

  /**
   * Tries a failing event again on its own with backoff; after the last try parks it or halts
   * the partition. An undecodable event is not tried again: this process's registry cannot
   * change, so another try would fail the same way.
   *
   * @return {@link Outcome.Committed} once the checkpoint is past the event (processed or
   *     parked); {@link Outcome#PROGRESS} when the event is left for the next step (processing
   *     stops, or the target went away); {@link Outcome#LOST} when the partition halted or is
   *     no longer this node's; {@link Outcome.Fenced} when a transaction was refused
   */
  Outcome retryAlone(StoredEvent e, Throwable first, boolean full, PartitionProcessor.Waiter waiter) {
    Projector projector = claim.projector;
    int attempts = 1;
    Throwable last = first;
    if (!Failures.isUndecodable(first)) {
      while (attempts < projector.maxAttempts()) {
        Duration wait = projector.backoff(attempts);
        Engine.LOG.log(Level.WARNING, "{0}: event {1} failed try {2} of {3}, next in {4} ms: {5}",
            claim.key, describe(e), attempts, projector.maxAttempts(), wait.toMillis(), Failures.describe(last));
        if (!waiter.sleep(wait)) {
          return Outcome.PROGRESS;
        }
        if (!claim.renew(false, false)) {
          return Outcome.LOST;
        }
        attempts++;
        Outcome o = retry.tryAgain(e, attempts, full);
        if (!(o instanceof Outcome.Failed f)) {
          return o;
        }
        last = f.cause();
        if (last instanceof TargetUnavailableException) {
          // Not this event's fault: start over from the checkpoint once the target is back.
          return unavailable(last, waiter);
        }
      }
    }
    return park(e, attempts, last);
  }

  private Outcome park(StoredEvent e, int attempts, Throwable error) {
    String message = "event " + describe(e) + " failed after " + attempts
        + (attempts == 1 ? " try" : " tries") + ": " + Failures.describe(error);
    boolean stop = claim.projector.failurePolicy() == FailurePolicy.STOP;
    Engine engine = claim.engine;
    Outcome o = claim.transaction((h, locked) -> {
      if (stop) {
        engine.deadLetters.park(h, claim.key, e, DeadLetter.Status.HALTED, message, Failures.stackTrace(error), attempts);
        engine.checkpoints.fail(h, claim.key, message);
        return new Claim.Done(List.of(), RowState.FAILED);
      }
      engine.deadLetters.park(h, claim.key, e, DeadLetter.Status.PARKED, message, Failures.stackTrace(error), attempts);
      engine.checkpoints.recordError(h, claim.key, message);
      RowState after = Claim.stateAfter(locked.state(), true);
      engine.checkpoints.advance(h, claim.key, e.cursor(), after, 1, claim.throughput.eventsPerSecond(),
          engine.node.lease());
      return new Claim.Done(List.of(e), after);
    });
    if (o instanceof Outcome.Fenced) {
      return o;
    }
    if (stop) {
      Engine.LOG.log(Level.ERROR, "{0} stopped (policy STOP) before {1}; fix the cause, then retry "
          + "or discard the dead letter, or resume the projector", claim.key, message);
      claim.halted();
      return Outcome.LOST;
    }
    Engine.LOG.log(Level.ERROR, "{0} parked {1} and goes on (policy CONTINUE); later events of "
        + "stream {2} wait behind it", claim.key, message, e.streamId());
    return o;
  }

  /**
   * The side-effect target is down: record it as the last error, wait (backoff by tries in a
   * row) and let the next step read the same events again from the checkpoint. Nothing counts
   * as an event's try, so an outage of any length parks nothing.
   *
   * @return {@link Outcome#PROGRESS}
   */
  Outcome unavailable(Throwable failure, PartitionProcessor.Waiter waiter) {
    int inARow = claim.unavailableAgain();
    Duration wait = claim.projector.backoff(Math.min(inARow, 64));
    String error = "target unavailable: " + Failures.describe(failure);
    try {
      claim.engine.jdbi().useHandle(h -> claim.engine.checkpoints.recordError(h, claim.key, error));
    } catch (RuntimeException dbDown) {
      // The status misses this error; the next step fails on the database and says so.
    }
    // The first failure and then every tenth, so a long outage does not flood the log.
    if (inARow == 1 || inARow % 10 == 0) {
      Engine.LOG.log(Level.WARNING, "{0}: {1} ({2} in a row); trying again in {3} ms from the checkpoint",
          claim.key, error, inARow, wait.toMillis());
    }
    waiter.sleep(wait);
    return Outcome.PROGRESS;
  }

  static String describe(StoredEvent e) {
    return e.eventId() + " (" + e.type() + ", stream " + e.streamId() + " version " + e.version()
        + ", position " + e.position() + ")";
  }

  static String blockedMessage(Long blocker, StoredEvent e) {
    return "blocked: stream " + e.streamId() + " has an earlier open dead letter (id " + blocker
        + "); retry or discard that one first";
  }
}
