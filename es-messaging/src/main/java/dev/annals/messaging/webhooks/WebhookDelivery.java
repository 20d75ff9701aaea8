package dev.annals.messaging.webhooks;

import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * An event waiting to be delivered to a webhook subscription; for a parked subscription, its
 * dead letters.
 *
 * @param seq its place in the subscription's queue (deliveries go in this order)
 * @param subscriptionId the subscription
 * @param eventId the event id (the CloudEvent id and {@code webhook-id})
 * @param eventType the registered type name
 * @param position the event's position in the log
 * @param body the request body: the CloudEvent in structured JSON
 * @param createdAt when it was queued
 */
public record WebhookDelivery(long seq, UUID subscriptionId, UUID eventId, String eventType,
    long position, String body, Instant createdAt) {

  public WebhookDelivery {
    Objects.requireNonNull(subscriptionId, "subscriptionId");
    Objects.requireNonNull(eventId, "eventId");
    Objects.requireNonNull(eventType, "eventType");
    Objects.requireNonNull(body, "body");
    Objects.requireNonNull(createdAt, "createdAt");
  }
}
