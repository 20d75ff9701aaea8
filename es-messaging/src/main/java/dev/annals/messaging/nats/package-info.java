/**
 * The NATS JetStream binding of messaging: {@link dev.annals.messaging.nats.NatsSink} publishes
 * and awaits the stream's acks, {@link dev.annals.messaging.nats.NatsConsumer} consumes through
 * a durable pull consumer into the inbox. Needs {@code io.nats:jnats}.
 */
package dev.annals.messaging.nats;
