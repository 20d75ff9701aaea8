package dev.annals.core;

import java.util.Objects;

/**
 * An append was rejected because the stream was not at the expected version. Nothing was
 * written. Retryable: reload the stream, decide again, append with the new version.
 */
public final class ConcurrencyConflictException extends AnnalsException {

  private static final long serialVersionUID = 1L;

  private final StreamId streamId;
  private final transient ExpectedVersion expected;
  private final long actualVersion;

  public ConcurrencyConflictException(StreamId streamId, ExpectedVersion expected, long actualVersion) {
    super("stream " + streamId + " is at version " + actualVersion + " but the append expected "
        + expected + "; nothing was written. Reload the stream and decide again.");
    this.streamId = Objects.requireNonNull(streamId);
    this.expected = Objects.requireNonNull(expected);
    this.actualVersion = actualVersion;
  }

  public StreamId streamId() {
    return streamId;
  }

  public ExpectedVersion expected() {
    return expected;
  }

  /** The stream's version when the append was rejected; 0 if it did not exist. */
  public long actualVersion() {
    return actualVersion;
  }

  @Override
  public boolean isRetryable() {
    return true;
  }
}
