package dev.annals.core;

import java.util.Objects;
import java.util.UUID;

/**
 * An event to append: its id, its payload (a registered record) and its metadata.
 *
 * <p>The event id makes appends idempotent: appending events whose ids are already stored, in
 * the same stream and order, returns the original result and writes nothing.
 *
 * @param eventId unique id of the event, never null
 * @param payload the domain event, a record registered in the {@link EventRegistry}; never null
 * @param metadata never null
 */
public record NewEvent(UUID eventId, Object payload, Metadata metadata) {

  public NewEvent {
    Objects.requireNonNull(eventId, "event id must not be null");
    Objects.requireNonNull(payload, "event payload must not be null");
    Objects.requireNonNull(metadata, "event metadata must not be null (use Metadata.empty())");
  }

  /**
   * A new event with a fresh id and empty metadata. Fresh ids are version 7 UUIDs: they begin
   * with the time, so the store's event-id index grows at one edge instead of everywhere.
   */
  public static NewEvent of(Object payload) {
    return new NewEvent(EventIds.timeOrdered(), payload, Metadata.empty());
  }

  /** A new event with a fresh (version 7) id. */
  public static NewEvent of(Object payload, Metadata metadata) {
    return new NewEvent(EventIds.timeOrdered(), payload, metadata);
  }

  public NewEvent withEventId(UUID value) {
    return new NewEvent(value, payload, metadata);
  }

  public NewEvent withMetadata(Metadata value) {
    return new NewEvent(eventId, payload, value);
  }
}
