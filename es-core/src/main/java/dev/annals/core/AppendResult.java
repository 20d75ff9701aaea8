package dev.annals.core;

import java.util.Objects;

/**
 * What an append wrote.
 *
 * @param streamId the stream appended to
 * @param firstVersion the version of the first event written
 * @param lastVersion the version of the last event written: the stream's version afterwards,
 *     and the expected version for the next append
 * @param firstPosition the global position of the first event written
 * @param lastPosition the global position of the last event written
 */
public record AppendResult(StreamId streamId, long firstVersion, long lastVersion,
    long firstPosition, long lastPosition) {

  public AppendResult {
    Objects.requireNonNull(streamId, "streamId");
    if (firstVersion < 1 || lastVersion < firstVersion) {
      throw new IllegalArgumentException("invalid versions " + firstVersion + ".." + lastVersion);
    }
    if (firstPosition < 1 || lastPosition < firstPosition) {
      throw new IllegalArgumentException("invalid positions " + firstPosition + ".." + lastPosition);
    }
  }

  /** The number of events written. */
  public int count() {
    return (int) (lastVersion - firstVersion + 1);
  }

  /** The expected version to use for the next append to this stream. */
  public ExpectedVersion nextExpectedVersion() {
    return ExpectedVersion.exactly(lastVersion);
  }
}
