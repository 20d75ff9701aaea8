package dev.annals.core;

/**
 * A command was refused by the domain: the decider's way of saying "no" (insufficient funds, an
 * account that is closed). Not retryable. Extend it for errors callers tell apart by type, or
 * throw it directly with {@link #DomainException(String)}.
 */
public class DomainException extends AnnalsException {

  private static final long serialVersionUID = 1L;

  public DomainException(String message) {
    super(message);
  }

  @Override
  public boolean isRetryable() {
    return false;
  }
}
