package dev.annals.messaging.kafka;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** A wait that doubles on each use up to a cap, cut short when its owner stops. Not thread-safe. */
final class Backoff {

  private static final long SLICE_MILLIS = 50;

  private final Duration first;
  private final Duration max;
  private Duration next;

  Backoff(Duration first, Duration max) {
    this.first = first;
    this.max = max;
    this.next = first;
  }

  /**
   * Waits for the current backoff, then doubles it.
   *
   * @return false if {@code running} turned false or the thread was interrupted (its flag is
   *     set again), so the caller stops
   */
  boolean sleep(BooleanSupplier running) {
    long end = System.nanoTime() + next.toNanos();
    Duration doubled = next.multipliedBy(2);
    next = doubled.compareTo(max) > 0 ? max : doubled;
    try {
      for (long left = end - System.nanoTime(); left > 0; left = end - System.nanoTime()) {
        if (!running.getAsBoolean()) {
          return false;
        }
        Thread.sleep(Math.min(SLICE_MILLIS, Math.max(1, left / 1_000_000)));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
    return running.getAsBoolean();
  }

  void reset() {
    next = first;
  }
}
