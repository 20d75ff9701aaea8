package dev.annals.postgres;

import dev.annals.core.EventRegistry;
import dev.annals.core.RecordedEvent;
import dev.annals.core.StreamId;
import dev.annals.core.internal.EventEncoding;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * An event as the log reader returns it: the envelope, the writing transaction, and the payload
 * still as JSON. Decoding is a separate step ({@link #decode}) so that one undecodable event can
 * be dealt with on its own instead of failing a whole batch.
 *
 * @param position global position
 * @param transactionId the writing transaction's id ({@code xid8})
 * @param eventId the event's id
 * @param streamId its stream
 * @param version its version within the stream
 * @param type stored type name
 * @param schemaVersion stored schema version
 * @param payload the payload as JSON
 * @param metadata the metadata as JSON
 * @param recordedAt when it was stored
 */
public record StoredEvent(long position, long transactionId, UUID eventId, StreamId streamId,
    long version, String type, int schemaVersion, String payload, String metadata,
    Instant recordedAt) {

  public StoredEvent {
    Objects.requireNonNull(eventId, "eventId");
    Objects.requireNonNull(streamId, "streamId");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(payload, "payload");
    Objects.requireNonNull(metadata, "metadata");
    Objects.requireNonNull(recordedAt, "recordedAt");
  }

  /** The reader's cursor just after this event. */
  public LogCursor cursor() {
    return new LogCursor(transactionId, position);
  }

  /**
   * Decodes the payload (upcasting it) and metadata.
   *
   * @throws dev.annals.core.UnknownEventTypeException if the type is not registered
   * @throws dev.annals.core.EventDecodingException if the payload does not decode
   */
  public RecordedEvent decode(EventRegistry registry) {
    return EventEncoding.decode(registry, eventId, streamId, version, position, type,
        schemaVersion, payload, metadata, recordedAt);
  }
}
