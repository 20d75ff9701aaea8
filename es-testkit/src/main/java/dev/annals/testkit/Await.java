package dev.annals.testkit;

import java.time.Duration;
import java.util.Objects;
import java.util.function.BooleanSupplier;

/**
 * Waits in a test for the condition it is about to assert, instead of for a fixed time, so that
 * the test passes on a slow or busy machine and fails with a message naming what never happened.
 */
public final class Await {

  private static final long POLL_MILLIS = 20;

  private Await() {}

  /**
   * Polls {@code condition} every 20 ms until it holds.
   *
   * @param what the condition in words, for the failure message
   * @param timeout how long to wait at most; be generous, it costs nothing when the condition holds
   * @throws AssertionError naming {@code what} if the condition does not hold within {@code timeout},
   *     or if the thread is interrupted (its interrupt flag is set again)
   */
  public static void until(String what, Duration timeout, BooleanSupplier condition) {
    Objects.requireNonNull(what, "what must not be null");
    Objects.requireNonNull(condition, "condition must not be null");
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out after " + timeout + " waiting for: " + what);
      }
      try {
        Thread.sleep(POLL_MILLIS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting for: " + what, e);
      }
    }
  }
}
