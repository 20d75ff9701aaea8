package dev.annals.projections;

import dev.annals.core.AnnalsException;

/**
 * A projection operation failed for a reason other than a caller's mistake (those are
 * {@link IllegalArgumentException} and {@link IllegalStateException}): the database could not be
 * reached, the projection tables are missing, or a projector's setup or reset callback failed.
 * The message names the projector and what was being done. {@link #isRetryable()} is true when
 * the database was unreachable or dropped the connection.
 */
public final class ProjectionException extends AnnalsException {

  private static final long serialVersionUID = 1L;

  private final boolean retryable;

  ProjectionException(String message, Throwable cause, boolean retryable) {
    super(message, cause);
    this.retryable = retryable;
  }

  @Override
  public boolean isRetryable() {
    return retryable;
  }
}
