package dev.annals.postgres;

import dev.annals.core.AnnalsException;

/**
 * The database schema is missing, older or newer than this library expects, or cannot be
 * installed. The message names the schema, both versions and what to do.
 */
public final class SchemaException extends AnnalsException {

  private static final long serialVersionUID = 1L;

  SchemaException(String message) {
    super(message);
  }

  SchemaException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public boolean isRetryable() {
    return false;
  }
}
