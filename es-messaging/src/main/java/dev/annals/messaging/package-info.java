/**
 * Annals messaging, the part every transport shares: a {@link dev.annals.messaging.Publisher}
 * publishes the event log (the outbox path) to a {@link dev.annals.messaging.MessageSink} as
 * CloudEvents made by a {@link dev.annals.messaging.CloudEventMapper}, with its status in
 * {@link dev.annals.messaging.PublisherStatus}; {@link dev.annals.messaging.MessagingSchema}
 * installs the tables of the inbox and the webhooks.
 *
 * <p>The transports have packages of their own: {@link dev.annals.messaging.rabbitmq},
 * {@link dev.annals.messaging.nats}, {@link dev.annals.messaging.webhooks}, and Kafka in module
 * {@code es-messaging-kafka}; the consuming side is {@link dev.annals.messaging.inbox}. See
 * docs/messaging.md. Nothing here accepts null unless its documentation says so.
 */
package dev.annals.messaging;
