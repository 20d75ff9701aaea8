package dev.annals.core;

/**
 * An object could not be serialized for storage: its class is not registered, or Jackson cannot
 * write it. Thrown before anything is written.
 */
public final class EventSerializationException extends AnnalsException {

  private static final long serialVersionUID = 1L;

  public EventSerializationException(String message) {
    super(message);
  }

  public EventSerializationException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public boolean isRetryable() {
    return false;
  }
}
