package dev.annals.core;

import java.time.Instant;
import java.util.Objects;

/** A point in a stream's history: after a stream version, or at a recorded-at time. */
public sealed interface AsOf {

  /** The state after the event with this stream version (0 for the initial state). */
  static AsOf version(long version) {
    return new Version(version);
  }

  /** The state made of the events recorded at or before {@code time}. */
  static AsOf time(Instant time) {
    return new Time(time);
  }

  /** @param version 0 or more */
  record Version(long version) implements AsOf {
    public Version {
      if (version < 0) {
        throw new IllegalArgumentException("as-of version must be 0 or more, was " + version);
      }
    }
  }

  /** @param time never null */
  record Time(Instant time) implements AsOf {
    public Time {
      Objects.requireNonNull(time, "as-of time must not be null");
    }
  }
}
