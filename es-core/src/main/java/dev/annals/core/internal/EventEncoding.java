package dev.annals.core.internal;

import dev.annals.core.EventRegistry;
import dev.annals.core.EventTooLargeException;
import dev.annals.core.Metadata;
import dev.annals.core.NewEvent;
import dev.annals.core.RecordedEvent;
import dev.annals.core.SerializedEvent;
import dev.annals.core.StreamId;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;

/**
 * For the framework's own stores (in-memory and PostgreSQL): the checks and encoding every store
 * applies identically, so that all stores accept and reject the same input with the same errors.
 * Not part of the public API: it may change in any release.
 */
public final class EventEncoding {

  /** The default largest serialized event (payload plus metadata): 1 MiB. */
  public static final int DEFAULT_MAX_EVENT_SIZE = 1024 * 1024;

  private EventEncoding() {}

  /**
   * An event ready to store.
   *
   * @param eventId its id
   * @param type registered type name
   * @param schemaVersion schema version of the payload
   * @param payload JSON
   * @param metadata JSON
   */
  public record EncodedEvent(UUID eventId, String type, int schemaVersion, String payload,
      String metadata) {}

  /**
   * Validates and serializes a batch for appending to {@code streamId}.
   *
   * @throws IllegalArgumentException if the batch is empty or repeats an event id
   * @throws EventTooLargeException if an event's payload and metadata exceed {@code maxEventSize} bytes
   */
  public static List<EncodedEvent> encode(EventRegistry registry, StreamId streamId,
      List<NewEvent> events, int maxEventSize) {
    Objects.requireNonNull(streamId, "stream id must not be null");
    Objects.requireNonNull(events, "events must not be null");
    if (events.isEmpty()) {
      throw new IllegalArgumentException("append to stream " + streamId + " needs at least one event");
    }
    Set<UUID> ids = new HashSet<>();
    List<EncodedEvent> encoded = new ArrayList<>(events.size());
    for (NewEvent event : events) {
      Objects.requireNonNull(event, "events must not contain null (stream " + streamId + ")");
      if (!ids.add(event.eventId())) {
        throw new IllegalArgumentException("append to stream " + streamId + " repeats event id "
            + event.eventId() + "; every event needs its own id");
      }
      SerializedEvent s = registry.serialize(event.payload(), event.eventId(), streamId);
      String metadata = registry.serializeMetadata(event.metadata());
      long size = utf8Length(s.json()) + utf8Length(metadata);
      if (size > maxEventSize) {
        throw new EventTooLargeException(streamId, s.type(), size, maxEventSize);
      }
      encoded.add(new EncodedEvent(event.eventId(), s.type(), s.schemaVersion(), s.json(), metadata));
    }
    return encoded;
  }

  /**
   * Decodes a stored row into a {@link RecordedEvent}.
   *
   * @throws dev.annals.core.UnknownEventTypeException if the type is unknown
   * @throws dev.annals.core.EventDecodingException if the payload does not decode
   */
  public static RecordedEvent decode(EventRegistry registry, UUID eventId, StreamId streamId,
      long version, long position, String type, int schemaVersion, String payload,
      String metadata, Instant recordedAt) {
    EventRegistry.Decoded decoded = registry.deserialize(
        new SerializedEvent(type, schemaVersion, payload), eventId, streamId, version, position);
    Metadata meta = registry.deserializeMetadata(metadata);
    return new RecordedEvent(eventId, streamId, version, position, decoded.type(), schemaVersion,
        decoded.payload(), meta, recordedAt);
  }

  /** Checks the arguments of a forward or backward stream read. */
  public static void checkStreamRead(StreamId streamId, long fromVersion, int limit) {
    Objects.requireNonNull(streamId, "stream id must not be null");
    if (fromVersion < 1) {
      throw new IllegalArgumentException("fromVersion must be 1 or more (the first event is version 1), was "
          + fromVersion);
    }
    checkLimit(limit);
  }

  /** Checks the arguments of a log read. */
  public static void checkLogRead(long afterPosition, int limit) {
    if (afterPosition < 0) {
      throw new IllegalArgumentException("afterPosition must be 0 or more (0 reads from the start), was "
          + afterPosition);
    }
    checkLimit(limit);
  }

  private static void checkLimit(int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be 1 or more, was " + limit);
    }
  }

  private static long utf8Length(String s) {
    // Exact UTF-8 length without allocating a copy for ASCII-only strings.
    long n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n++;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c)) {
        n += 4;
        i++;
      } else {
        n += 3;
      }
    }
    return n;
  }

}
