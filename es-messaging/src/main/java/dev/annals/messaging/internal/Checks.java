package dev.annals.messaging.internal;

import java.time.Duration;
import java.util.Objects;

/** Checks of settings that the builders of several transports share; not an API for applications. */
public final class Checks {

  private Checks() {}

  /**
   * {@code value}, which must be positive.
   *
   * @param what how the messages name the setting, such as {@code "ack timeout"}
   * @throws IllegalArgumentException if it is zero or negative
   */
  public static Duration positive(Duration value, String what) {
    Objects.requireNonNull(value, what + " must not be null");
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(what + " must be positive, was " + value);
    }
    return value;
  }
}
