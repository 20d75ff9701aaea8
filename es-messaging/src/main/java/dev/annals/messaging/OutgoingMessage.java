package dev.annals.messaging;

import io.cloudevents.CloudEvent;
import java.util.Objects;

/**
 * One event on its way to a broker: the CloudEvent to send and what a sink needs to route it.
 *
 * @param event the CloudEvent, as made by a {@link CloudEventMapper}
 * @param streamId the stream it belongs to, as text ({@code category-id}); the ordering key: a
 *     sink keeps the events of one stream in order (one partition, queue or subject per key)
 * @param category the stream's category, for routing (a subject, routing key or topic per category)
 */
public record OutgoingMessage(CloudEvent event, String streamId, String category) {

  public OutgoingMessage {
    Objects.requireNonNull(event, "event");
    Objects.requireNonNull(streamId, "streamId");
    Objects.requireNonNull(category, "category");
  }

  /** The CloudEvent's id (the event id): the key a broker or consumer deduplicates with. */
  public String id() {
    return event.getId();
  }
}
