package dev.annals.messaging.internal;

import dev.annals.core.Backoff;
import java.time.Duration;
import java.util.Objects;

/**
 * How a broker consumer retries a message whose handler fails: how many tries in all, and the
 * backoff between them. Shared by the consumers of every transport; not an API for applications.
 *
 * @param maxAttempts tries before the message is given up on, 1 to 100
 * @param backoff the wait after each failed try (also paces waiting for the database)
 */
public record Retries(int maxAttempts, Backoff backoff) {

  /** @throws IllegalArgumentException if {@code maxAttempts} is not 1 to 100 */
  public Retries {
    checkMaxAttempts(maxAttempts);
    Objects.requireNonNull(backoff, "backoff must not be null");
  }

  /**
   * The settings of a consumer builder's {@code retries(maxAttempts, first, max)}, checked in
   * that order.
   *
   * @throws IllegalArgumentException naming the value that is out of range
   */
  public static Retries of(int maxAttempts, Duration first, Duration max) {
    checkMaxAttempts(maxAttempts);
    return new Retries(maxAttempts, Backoff.of(first, max));
  }

  private static void checkMaxAttempts(int maxAttempts) {
    if (maxAttempts < 1 || maxAttempts > 100) {
      throw new IllegalArgumentException("maxAttempts must be 1 to 100, was " + maxAttempts);
    }
  }
}
