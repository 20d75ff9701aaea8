package dev.annals.projections;

import dev.annals.core.Backoff;
import dev.annals.core.internal.Redaction;
import java.lang.System.Logger.Level;
import java.time.Duration;

/**
 * The thread that runs one claimed partition: steps its processor, polls with backoff when
 * there is nothing to read (waking early when the log reader is told of new events), renews the
 * lease, and on {@link #stop()} finishes the batch in flight and gives the lease up.
 *
 * <p>{@link #stop()} interrupts the thread only while it waits, never during a batch: an
 * interrupt inside a JDBC call could break the connection mid-commit.
 */
final class PartitionWorker implements PartitionProcessor.Waiter {

  private final Backoff poll;
  private final PartitionProcessor processor;
  private final Thread thread;
  private final Object lock = new Object();
  private boolean waiting;
  private volatile boolean stopping;

  PartitionWorker(Engine engine, PartitionProcessor processor) {
    this.poll = engine.pacing.poll();
    this.processor = processor;
    PartitionKey key = processor.key();
    this.thread = new Thread(this::run, "projector-" + key.projector() + "-" + key.partition());
    thread.setDaemon(true);
    thread.setUncaughtExceptionHandler((t, e) -> Engine.LOG.log(Level.ERROR, "thread " + t.getName()
        + " died; its batch rolled back and the partition is picked up again when its lease allows",
        Redaction.redacted(e)));
  }

  void start() {
    thread.start();
  }

  PartitionKey key() {
    return processor.key();
  }

  boolean isAlive() {
    return thread.isAlive();
  }

  /** Asks the worker to stop after the batch in flight; returns at once. */
  void stop() {
    stopping = true;
    synchronized (lock) {
      if (waiting) {
        thread.interrupt();
      }
    }
  }

  /** Waits for the thread to end; restores the caller's interrupt flag if interrupted. */
  boolean join(Duration timeout) {
    try {
      thread.join(Math.max(1, timeout.toMillis()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return !thread.isAlive();
  }

  @Override
  public boolean stopping() {
    return stopping;
  }

  @Override
  public boolean sleep(Duration duration) {
    return await(duration, false);
  }

  private void run() {
    // Idle polls and failures in a row, for the wait: the poll backoff's first after progress.
    int waits = 1;
    int failures = 0;
    try {
      while (!stopping) {
        Outcome step;
        try {
          step = processor.step(this);
          if (step == Outcome.IDLE && !processor.idle()) {
            step = Outcome.LOST;
          }
          failures = 0;
        } catch (RuntimeException e) {
          failures++;
          // The first failure and then every tenth, so a database outage does not flood the log.
          if (failures == 1 || failures % 10 == 0) {
            String message = processor.key() + ": failed (" + failures + " in a row); trying again "
                + "from the stored checkpoint: " + Failures.describe(e);
            if (Failures.isConnectionLoss(e)) {
              // Expected when the database restarts; the stack trace adds nothing.
              Engine.LOG.log(Level.WARNING, message);
            } else {
              Engine.LOG.log(Level.WARNING, message, Redaction.redacted(e));
            }
          }
          waits = more(waits);
          if (!await(poll.delay(waits), false) || !reload()) {
            break;
          }
          continue;
        }
        if (step == Outcome.LOST) {
          break;
        }
        if (step == Outcome.PROGRESS) {
          waits = 1;
          continue;
        }
        if (!await(poll.delay(waits), true)) {
          break;
        }
        waits = more(waits);
      }
    } finally {
      processor.release();
    }
  }

  /** One more wait in a row; bounded, since the backoff is capped long before. */
  private static int more(int waits) {
    return Math.min(waits + 1, 64);
  }

  private boolean reload() {
    try {
      return processor.reload();
    } catch (RuntimeException e) {
      // Still unreachable: keep the claim and try again after the next wait.
      return true;
    }
  }

  /**
   * Waits up to {@code duration}, for new events if {@code forEvents}. Returns false when the
   * worker is to stop; an interrupt that did not come from {@link #stop()} also stops it, with
   * the thread's interrupt flag restored.
   */
  private boolean await(Duration duration, boolean forEvents) {
    synchronized (lock) {
      if (stopping) {
        return false;
      }
      waiting = true;
    }
    boolean interrupted = false;
    try {
      if (forEvents) {
        processor.reader().awaitEvents(duration);
      } else {
        Thread.sleep(Math.max(1, duration.toMillis()));
      }
    } catch (InterruptedException e) {
      interrupted = true;
    } finally {
      synchronized (lock) {
        waiting = false;
        interrupted |= Thread.interrupted();
      }
    }
    if (interrupted && !stopping) {
      stopping = true;
      Thread.currentThread().interrupt();
    }
    return !stopping;
  }
}
