package dev.annals.core;

/**
 * The store could not be reached or lost its connection during an operation. When thrown by an
 * append, the append may or may not have been stored: retry it with the same event ids, which is
 * safe because appends are idempotent.
 */
public final class StoreUnavailableException extends AnnalsException {

  private static final long serialVersionUID = 1L;

  public StoreUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public boolean isRetryable() {
    return true;
  }
}
