package dev.annals.messaging.internal;

import dev.annals.messaging.CloudEventFormat;
import io.cloudevents.core.message.Encoding;
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

  /**
   * The content mode of a sink: binary unless chosen otherwise or a format other than JSON was
   * chosen, which means structured mode.
   *
   * @param chosen the mode set on the builder, or null if none was
   * @throws IllegalStateException if binary mode was chosen together with such a format
   */
  public static Encoding encoding(Encoding chosen, CloudEventFormat format) {
    if (format == CloudEventFormat.JSON) {
      return chosen == null ? Encoding.BINARY : chosen;
    }
    if (chosen == Encoding.BINARY) {
      throw new IllegalStateException("format " + format + " is a structured-mode format but "
          + "encoding(BINARY) was set: binary mode sends the attributes as headers and has no "
          + "event format; leave encoding(...) out");
    }
    return Encoding.STRUCTURED;
  }
}
