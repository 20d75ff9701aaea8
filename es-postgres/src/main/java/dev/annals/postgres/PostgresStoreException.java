package dev.annals.postgres;

import dev.annals.core.AnnalsException;

/**
 * PostgreSQL failed an operation for a reason other than a conflict or an unreachable server.
 * Carries the SQLSTATE; retryable for serialization failures and deadlocks (class 40).
 */
public final class PostgresStoreException extends AnnalsException {

  private static final long serialVersionUID = 1L;

  private final String sqlState;

  /**
   * With a message that names the operation and the failure behind it.
   *
   * @param sqlState the SQLSTATE PostgreSQL reported, or null when there was none
   */
  public PostgresStoreException(String message, String sqlState, Throwable cause) {
    super(message, cause);
    this.sqlState = sqlState;
  }

  /** The SQLSTATE PostgreSQL reported, or null. */
  public String sqlState() {
    return sqlState;
  }

  @Override
  public boolean isRetryable() {
    return sqlState != null && sqlState.startsWith("40");
  }
}
