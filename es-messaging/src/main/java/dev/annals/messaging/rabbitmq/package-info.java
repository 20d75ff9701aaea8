/**
 * The RabbitMQ binding of messaging: {@link dev.annals.messaging.rabbitmq.RabbitMqSink}
 * publishes with publisher confirms, {@link dev.annals.messaging.rabbitmq.RabbitMqConsumer}
 * consumes a queue through the inbox with a dead-letter queue. Needs
 * {@code com.rabbitmq:amqp-client}.
 */
package dev.annals.messaging.rabbitmq;
