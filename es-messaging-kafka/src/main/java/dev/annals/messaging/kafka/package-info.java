/**
 * The Apache Kafka binding of Annals messaging: {@link dev.annals.messaging.kafka.KafkaSink}
 * publishes the event log as CloudEvents (a {@link dev.annals.messaging.MessageSink} for a
 * {@link dev.annals.messaging.Publisher}), and
 * {@link dev.annals.messaging.kafka.KafkaInboxConsumer} consumes them through the idempotent
 * {@link dev.annals.messaging.inbox.Inbox}, with a dead-letter topic for poison messages.
 *
 * <p>See docs/messaging.md, section Kafka. Nothing here accepts null unless its documentation
 * says so; absent values are returned as {@link java.util.Optional}.
 */
package dev.annals.messaging.kafka;
