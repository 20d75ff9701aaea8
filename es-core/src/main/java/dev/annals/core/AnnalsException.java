package dev.annals.core;

/**
 * Root of every exception the framework throws. Unchecked. {@link #isRetryable()} tells whether
 * the same operation may succeed if tried again (after reloading state, for a conflict).
 */
public abstract class AnnalsException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  protected AnnalsException(String message) {
    super(message);
  }

  protected AnnalsException(String message, Throwable cause) {
    super(message, cause);
  }

  /** Whether trying the operation again may succeed. */
  public abstract boolean isRetryable();
}
