package dev.annals.core;

/** An event's serialized payload and metadata exceed the store's limit. Nothing was written. */
public final class EventTooLargeException extends AnnalsException {

  private static final long serialVersionUID = 1L;

  private final StreamId streamId;
  private final String type;
  private final long size;
  private final long limit;

  public EventTooLargeException(StreamId streamId, String type, long size, long limit) {
    super("event " + type + " for stream " + streamId + " is " + size + " bytes serialized, over "
        + "the limit of " + limit + " bytes; nothing was written. Store large content elsewhere "
        + "and reference it, or raise the store's maxEventSize.");
    this.streamId = streamId;
    this.type = type;
    this.size = size;
    this.limit = limit;
  }

  public StreamId streamId() {
    return streamId;
  }

  public String type() {
    return type;
  }

  public long size() {
    return size;
  }

  public long limit() {
    return limit;
  }

  @Override
  public boolean isRetryable() {
    return false;
  }
}
