package dev.annals.postgres.archive;

import dev.annals.core.AnnalsException;

/**
 * An archive or export file could not be used: it is missing, unreadable, not in the expected
 * form, or its events do not prove themselves (a hash chain or a digest does not match). Nothing
 * was changed in the store. The message names the file's line or the stream. Not retryable.
 */
public final class ArchiveException extends AnnalsException {

  private static final long serialVersionUID = 1L;

  /** With a message that names what is wrong and where. */
  public ArchiveException(String message) {
    super(message);
  }

  /** With a message that names what is wrong and where, and the failure behind it. */
  public ArchiveException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public boolean isRetryable() {
    return false;
  }
}
