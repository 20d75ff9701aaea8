package dev.annals.messaging;

import java.util.List;

/**
 * Where a {@link Publisher} sends events: a broker binding (RabbitMQ, NATS JetStream, Kafka) or
 * any other system that can confirm what it received.
 *
 * <p>The contract that makes publishing at-least-once and keeps each stream in order:
 * <ul>
 *   <li>{@link #send} returns only after the broker confirmed every message of the batch; it
 *       throws if any was not confirmed, and the publisher then sends the whole batch again
 *       after a backoff. Duplicates are therefore possible; consumers drop them by CloudEvent id.</li>
 *   <li>Messages of one {@link OutgoingMessage#streamId()} reach the broker in batch order, and a
 *       message is never delivered after an earlier message of its stream failed within the same
 *       call (a sink that pipelines must not let a later message slip past a lost one, for
 *       instance over a reconnected connection).</li>
 *   <li>A failure of the broker or the network is thrown as any exception; the publisher treats
 *       every exception from {@code send} as "the broker is unavailable" and never parks an event
 *       for it.</li>
 * </ul>
 *
 * <p>A publisher with one partition calls {@code send} from one thread at a time; with more,
 * from one thread per partition concurrently, so an implementation must then be thread-safe.
 * {@link #close()} is called by the application, not by the publisher.
 */
public interface MessageSink extends AutoCloseable {

  /** A short description for logs and status: the broker address and destination, no secrets. */
  String describe();

  /**
   * Sends a batch and waits until the broker confirmed all of it.
   *
   * @param batch one or more messages, in log order
   * @throws Exception if any message was not confirmed (the batch is sent again later)
   */
  void send(List<OutgoingMessage> batch) throws Exception;

  /**
   * Hands a batch to the broker without waiting for any confirmation, for a publisher that
   * delivers at most once ({@link Publisher.Builder#atMostOnce()}). It must not block on a broker
   * that is down and must not retry: it returns once the messages are written to the connection,
   * or throws if there is no connection, and the publisher then drops the batch. Messages of one
   * stream still leave in batch order.
   *
   * <p>The default sends with confirmation ({@link #send}), which waits for the broker up to the
   * sink's own timeouts; the publisher still never sends a batch twice.
   *
   * @param batch one or more messages, in log order
   * @throws Exception if the batch could not be handed over (it is not sent again)
   */
  default void sendAtMostOnce(List<OutgoingMessage> batch) throws Exception {
    send(batch);
  }
}
