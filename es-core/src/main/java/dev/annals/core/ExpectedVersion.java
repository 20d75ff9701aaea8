package dev.annals.core;

/**
 * The version a writer expects a stream to be at when it appends; the store rejects the append
 * with a {@link ConcurrencyConflictException} when the stream is elsewhere.
 *
 * <p>Stream versions count events: the first event of a stream is version 1, and a stream that
 * does not exist is at version 0.
 */
public sealed interface ExpectedVersion {

  /** Append whatever the stream's version. */
  static ExpectedVersion any() {
    return Any.INSTANCE;
  }

  /** Append only if the stream has no events yet. */
  static ExpectedVersion noStream() {
    return NoStream.INSTANCE;
  }

  /** Append only if the stream already has at least one event. */
  static ExpectedVersion streamExists() {
    return StreamExists.INSTANCE;
  }

  /**
   * Append only if the stream is exactly at {@code version}; {@code exactly(0)} means the same as
   * {@link #noStream()}.
   *
   * @throws IllegalArgumentException if {@code version} is negative
   */
  static ExpectedVersion exactly(long version) {
    return new Exactly(version);
  }

  /** Whether a stream currently at {@code actualVersion} satisfies this expectation. */
  boolean isSatisfiedBy(long actualVersion);

  /** Any version is accepted. */
  enum Any implements ExpectedVersion {
    INSTANCE;

    @Override
    public boolean isSatisfiedBy(long actualVersion) {
      return true;
    }

    @Override
    public String toString() {
      return "any";
    }
  }

  /** The stream must not exist (be at version 0). */
  enum NoStream implements ExpectedVersion {
    INSTANCE;

    @Override
    public boolean isSatisfiedBy(long actualVersion) {
      return actualVersion == 0;
    }

    @Override
    public String toString() {
      return "no stream";
    }
  }

  /** The stream must exist (be at version 1 or later). */
  enum StreamExists implements ExpectedVersion {
    INSTANCE;

    @Override
    public boolean isSatisfiedBy(long actualVersion) {
      return actualVersion > 0;
    }

    @Override
    public String toString() {
      return "stream exists";
    }
  }

  /**
   * The stream must be at exactly this version.
   *
   * @param version zero or more
   */
  record Exactly(long version) implements ExpectedVersion {
    public Exactly {
      if (version < 0) {
        throw new IllegalArgumentException("expected version must be 0 or more, was " + version
            + " (versions count a stream's events; use ExpectedVersion.any() to skip the check)");
      }
    }

    @Override
    public boolean isSatisfiedBy(long actualVersion) {
      return actualVersion == version;
    }

    @Override
    public String toString() {
      return "version " + version;
    }
  }
}
