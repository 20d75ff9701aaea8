package dev.annals.core;

/**
 * New personal data of a subject that was forgotten: refused, because storing it under a new key
 * would bring the subject back. Not retryable.
 */
public final class SubjectForgottenException extends AnnalsException {

  private static final long serialVersionUID = 1L;

  private final String subject;

  public SubjectForgottenException(String subject) {
    super("subject " + subject + " was forgotten: their personal data can no longer be stored");
    this.subject = subject;
  }

  /** The forgotten subject's id. */
  public String subject() {
    return subject;
  }

  @Override
  public boolean isRetryable() {
    return false;
  }
}
