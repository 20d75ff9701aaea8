package dev.annals.core;

/**
 * A stored event's payload or metadata could not be turned into its registered class: malformed
 * JSON, a missing upcaster, or a shape that no longer matches. Names the event so it can be
 * found and repaired with an upcaster.
 */
public final class EventDecodingException extends AnnalsException {

  private static final long serialVersionUID = 1L;

  private final String type;
  private final StreamId streamId;
  private final long position;

  public EventDecodingException(String type, int schemaVersion, StreamId streamId, long version,
      long position, String problem, Throwable cause) {
    super("cannot decode event '" + type + "' (schema version " + schemaVersion + ") in stream "
        + streamId + " at version " + version + ", log position " + position + ": " + problem,
        cause);
    this.type = type;
    this.streamId = streamId;
    this.position = position;
  }

  public String type() {
    return type;
  }

  public StreamId streamId() {
    return streamId;
  }

  public long position() {
    return position;
  }

  @Override
  public boolean isRetryable() {
    return false;
  }
}
