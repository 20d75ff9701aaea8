package dev.annals.core;

/**
 * A stored event has a type name that the {@link EventRegistry} does not know. Register the
 * type (or an upcaster that renames it) to read it.
 */
public final class UnknownEventTypeException extends AnnalsException {

  private static final long serialVersionUID = 1L;

  private final String type;
  private final StreamId streamId;
  private final long position;

  public UnknownEventTypeException(String type, int schemaVersion, StreamId streamId, long version,
      long position) {
    super("unknown event type '" + type + "' (schema version " + schemaVersion + ") in stream "
        + streamId + " at version " + version + ", log position " + position
        + ": register it with EventRegistry.builder().register(YourEvent.class, \"" + type
        + "\") or add an upcaster that maps it to a known type");
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
