package dev.annals.core;

/**
 * Protected personal data of a stored event cannot be trusted: its ciphertext does not decrypt
 * under its subject's key with the event's id, stream and field as associated data (a forged or
 * swapped key row, ciphertext moved between events, fields or subjects), its subject's key is
 * missing, or the registry has no keys to decrypt with. Nothing of the field is returned. Not
 * retryable.
 */
public final class PersonalDataException extends AnnalsException {

  private static final long serialVersionUID = 1L;

  private final StreamId streamId;
  private final long version;
  private final String subject;

  public PersonalDataException(StreamId streamId, long version, String subject, String problem,
      Throwable cause) {
    super("personal data of subject " + subject + " in stream " + streamId + " at version " + version
        + ": " + problem, cause);
    this.streamId = streamId;
    this.version = version;
    this.subject = subject;
  }

  /**
   * The subject's key cannot be used to store new personal data: {@code problem} says why.
   * {@link #streamId()} is then null.
   */
  public PersonalDataException(String subject, String problem) {
    super("personal data of subject " + subject + ": " + problem);
    this.streamId = null;
    this.version = 0;
    this.subject = subject;
  }

  /** The stream of the event; null when no stored event is concerned. */
  public StreamId streamId() {
    return streamId;
  }

  /** The event's version in its stream. */
  public long version() {
    return version;
  }

  /** The subject the stored field names. */
  public String subject() {
    return subject;
  }

  @Override
  public boolean isRetryable() {
    return false;
  }
}
