package dev.annals.core;

import java.util.List;
import java.util.UUID;

/**
 * An append reused event ids that are already stored, but not as an exact retry of an earlier
 * append (same stream, same ids in the same order). Nothing was written.
 */
public final class DuplicateEventIdException extends AnnalsException {

  private static final long serialVersionUID = 1L;

  private final StreamId streamId;
  private final List<UUID> storedIds;

  public DuplicateEventIdException(StreamId streamId, List<UUID> storedIds, String detail) {
    super("append to stream " + streamId + " reuses event ids already stored " + storedIds
        + ": " + detail + ". Nothing was written; give new events new ids, or retry the original "
        + "append unchanged.");
    this.streamId = streamId;
    this.storedIds = List.copyOf(storedIds);
  }

  public StreamId streamId() {
    return streamId;
  }

  /** The ids of the batch that were already stored. */
  public List<UUID> storedIds() {
    return storedIds;
  }

  @Override
  public boolean isRetryable() {
    return false;
  }
}
