package dev.annals.core;

import java.time.Instant;
import java.util.Objects;

/**
 * A point in a stream's history: after a stream version, at a recorded-at time, or at a global
 * log position.
 */
public sealed interface AsOf {

  /** The state after the event with this stream version (0 for the initial state). */
  static AsOf version(long version) {
    return new Version(version);
  }

  /** The state made of the events recorded at or before {@code time}. */
  static AsOf time(Instant time) {
    return new Time(time);
  }

  /**
   * The state made of the stream's events at or before global log position {@code position}: what
   * a reader of the whole log had seen when it reached that position.
   */
  static AsOf position(long position) {
    return new Position(position);
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

  /** @param position 0 or more; 0 gives the initial state */
  record Position(long position) implements AsOf {
    public Position {
      if (position < 0) {
        throw new IllegalArgumentException("as-of position must be 0 or more, was " + position);
      }
    }
  }
}
