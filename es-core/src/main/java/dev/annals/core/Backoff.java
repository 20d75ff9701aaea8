package dev.annals.core;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;

/**
 * Exponential backoff: the wait before try {@code n + 1} is the first wait doubled {@code n - 1}
 * times, capped at the maximum. Immutable and thread-safe; the one backoff every retry loop of
 * the framework uses (repository conflicts, projectors, publishers, webhooks, inboxes).
 *
 * @param first the wait after the first failure; positive
 * @param max the longest wait; at least {@code first}
 */
public record Backoff(Duration first, Duration max) {

  private static final long SLICE_MILLIS = 50;

  /**
   * @throws NullPointerException if either is null
   * @throws IllegalArgumentException if {@code first} is not positive or {@code max} is shorter
   */
  public Backoff {
    Objects.requireNonNull(first, "first backoff must not be null");
    Objects.requireNonNull(max, "max backoff must not be null");
    if (first.isNegative() || first.isZero()) {
      throw new IllegalArgumentException("first backoff must be positive, was " + first);
    }
    if (max.compareTo(first) < 0) {
      throw new IllegalArgumentException(
          "max backoff must be at least the first backoff (" + first + "), was " + max);
    }
  }

  /** A backoff from {@code first}, doubling up to {@code max}; see the record's checks. */
  public static Backoff of(Duration first, Duration max) {
    return new Backoff(first, max);
  }

  /**
   * The wait after {@code failures} failures in a row: {@code first} for one (or fewer), doubled
   * for each further one, never more than {@code max}.
   */
  public Duration delay(int failures) {
    Duration d = first;
    for (int i = 1; i < failures && d.compareTo(max) < 0; i++) {
      d = d.multipliedBy(2);
    }
    return d.compareTo(max) > 0 ? max : d;
  }

  /**
   * A random wait between zero and {@link #delay(int)} ("full jitter"), so that writers that
   * collided spread apart and one of them wins the next round.
   */
  public Duration jitteredDelay(int failures) {
    long nanos = delay(failures).toNanos();
    return Duration.ofNanos(ThreadLocalRandom.current().nextLong(nanos + 1));
  }

  /**
   * Sleeps for {@code wait} in short slices, returning early when {@code running} turns false.
   * Safe to call from any thread.
   *
   * @return false if {@code running} turned false or the thread was interrupted (its interrupt
   *     flag is set again), so the caller stops; true after the full wait
   */
  public static boolean sleep(Duration wait, BooleanSupplier running) {
    long end = System.nanoTime() + wait.toNanos();
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
}
