package dev.annals.postgres.archive;

import dev.annals.core.AnnalsException;
import dev.annals.core.StreamId;
import java.util.Objects;

/**
 * The stream was archived: its events left the store for an archive file, so it can neither be
 * loaded nor appended to until it is restored ({@link StreamArchiver#restore}). Carries where the
 * archive is. Not retryable.
 */
public final class StreamArchivedException extends AnnalsException {

  private static final long serialVersionUID = 1L;

  private final transient StreamId streamId;
  private final long version;
  private final String location;

  /**
   * @param streamId the archived stream
   * @param version its version when it was archived
   * @param location where its archive file is, as the sink named it (null when not known)
   */
  public StreamArchivedException(StreamId streamId, long version, String location) {
    super("stream " + Objects.requireNonNull(streamId, "streamId") + " is archived (at version " + version
        + (location == null ? "" : ", in " + location) + "): its events are no longer in the store; "
        + "restore it from the archive to read or append to it, or start a new stream");
    this.streamId = streamId;
    this.version = version;
    this.location = location;
  }

  /** The archived stream. */
  public StreamId streamId() {
    return streamId;
  }

  /** Its version when it was archived. */
  public long version() {
    return version;
  }

  /** Where its archive file is, or null when it could not be looked up. */
  public String location() {
    return location;
  }

  @Override
  public boolean isRetryable() {
    return false;
  }
}
