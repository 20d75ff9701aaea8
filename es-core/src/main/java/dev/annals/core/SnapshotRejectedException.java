package dev.annals.core;

import java.util.Objects;

/**
 * A {@link SnapshotStore} found a snapshot but will not vouch for it: it is not bound to the
 * stream's history at its version, or its signature is missing or wrong. The repository treats it
 * as no snapshot at all: it logs one warning and rebuilds the state from the events.
 */
public final class SnapshotRejectedException extends AnnalsException {

  private static final long serialVersionUID = 1L;

  private final StreamId streamId;
  private final long version;
  private final String reason;

  /**
   * @param reason why, as a clause ("its link hash does not match ..."); never a secret
   */
  public SnapshotRejectedException(StreamId streamId, long version, String reason) {
    super("snapshot of " + Objects.requireNonNull(streamId, "streamId") + " at version " + version
        + " refused: " + Objects.requireNonNull(reason, "reason"));
    this.streamId = streamId;
    this.version = version;
    this.reason = reason;
  }

  /** The stream of the refused snapshot. */
  public StreamId streamId() {
    return streamId;
  }

  /** The stream version the refused snapshot claims to be taken at. */
  public long version() {
    return version;
  }

  /** Why it was refused. */
  public String reason() {
    return reason;
  }

  @Override
  public boolean isRetryable() {
    return false;
  }
}
