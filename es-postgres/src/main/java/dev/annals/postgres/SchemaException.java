package dev.annals.postgres;

import dev.annals.core.AnnalsException;

/**
 * The database schema is missing, older or newer than this library expects, or cannot be
 * installed. The message names the schema, both versions and what to do.
 */
public final class SchemaException extends AnnalsException {

  private static final long serialVersionUID = 1L;

  /** With a message that names the schema, both versions and what to do. */
  public SchemaException(String message) {
    super(message);
  }

  /** With a message that names the schema and what to do, and the failure behind it. */
  public SchemaException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public boolean isRetryable() {
    return false;
  }
}
