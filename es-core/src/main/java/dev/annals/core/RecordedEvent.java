package dev.annals.core;

import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * An event as stored: the envelope and the decoded payload, upcast to its current shape.
 *
 * @param eventId the event's unique id
 * @param streamId the stream it belongs to
 * @param version its version within the stream, from 1
 * @param position its global position in the log, from 1; increasing in append order of
 *     committed events but not necessarily without gaps
 * @param type the registered type name it was stored under (after upcasting, the current name)
 * @param schemaVersion the schema version of the payload as stored, before upcasting
 * @param payload the decoded event, an instance of the registered class
 * @param metadata correlation, causation, actor, occurred-at and free key/values
 * @param recordedAt when the store recorded it
 */
public record RecordedEvent(UUID eventId, StreamId streamId, long version, long position,
    String type, int schemaVersion, Object payload, Metadata metadata, Instant recordedAt) {

  public RecordedEvent {
    Objects.requireNonNull(eventId, "eventId");
    Objects.requireNonNull(streamId, "streamId");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(payload, "payload");
    Objects.requireNonNull(metadata, "metadata");
    Objects.requireNonNull(recordedAt, "recordedAt");
  }

  /**
   * The payload as {@code type}.
   *
   * @throws ClassCastException naming the event and both types when the payload is something else
   */
  public <T> T payload(Class<T> type) {
    if (!type.isInstance(payload)) {
      throw new ClassCastException("event " + this.type + " at " + streamId + " version " + version
          + " is a " + payload.getClass().getName() + ", not a " + type.getName());
    }
    return type.cast(payload);
  }
}
