package dev.annals.messaging.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.Delivery;
import dev.annals.messaging.inbox.ConsumerCounts;
import dev.annals.messaging.inbox.Inbox;
import dev.annals.messaging.inbox.MessageHandler;
import dev.annals.messaging.internal.CloudEventCodec;
import dev.annals.messaging.internal.InboxDelivery;
import dev.annals.messaging.internal.Retries;
import io.cloudevents.CloudEvent;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Consumes CloudEvents from a RabbitMQ queue into an {@link Inbox}: each message's effect and
 * its id commit together, and only then is the message acknowledged, so a redelivered message
 * has no second effect. Needs {@code com.rabbitmq:amqp-client}.
 *
 * <pre>{@code
 * RabbitMqConsumer consumer = RabbitMqConsumer.builder(factory, "payments.accounts", "payments",
 *         inbox, (event, handle) -> ...)
 *     .build();
 * consumer.start();
 * }</pre>
 *
 * <p>Messages are handled one at a time in queue order. A message whose handler keeps failing
 * (or that is not a CloudEvent) goes to the dead-letter queue (by default {@code <queue>.dead})
 * with headers {@code x-annals-error}, {@code x-annals-consumer} and {@code x-annals-attempts},
 * and is then acknowledged. While the database is unreachable the consumer holds the message
 * and waits, so nothing overtakes it. The connection recovers by itself after a network failure;
 * unacknowledged messages come again and the inbox drops those already applied.
 *
 * <p>Thread-safe; the handler runs on the client's consumer thread.
 */
public final class RabbitMqConsumer implements AutoCloseable {

  private final ConnectionFactory factory;
  private final String queue;
  private final String name;
  private final int prefetch;
  private final String deadLetterQueue;
  private final InboxDelivery delivery;
  private Connection connection;
  private Channel channel;
  private Channel deadLetters;
  private volatile boolean closed;

  private RabbitMqConsumer(Builder b) {
    this.factory = b.factory.clone();
    factory.setAutomaticRecoveryEnabled(true);
    this.queue = b.queue;
    this.name = b.name;
    this.prefetch = b.prefetch;
    this.deadLetterQueue = b.deadLetterQueue != null ? b.deadLetterQueue : b.queue + ".dead";
    this.delivery = new InboxDelivery(b.inbox, b.name, b.handler, b.retries);
  }

  /**
   * Starts configuring a consumer.
   *
   * @param factory how to connect (a copy is used, with automatic recovery on)
   * @param queue the queue to consume (declared and bound by the application)
   * @param name the consumer's name in the inbox: ids are deduplicated per name
   * @param inbox where ids are recorded
   * @param handler the effect of each message
   */
  public static Builder builder(ConnectionFactory factory, String queue, String name, Inbox inbox,
      MessageHandler handler) {
    return new Builder(factory, queue, name, inbox, handler);
  }

  /**
   * Connects, declares the dead-letter queue (durable) and starts consuming.
   *
   * @throws IOException if RabbitMQ cannot be reached or the queue does not exist
   * @throws IllegalStateException if started twice or closed
   */
  public synchronized void start() throws IOException {
    if (closed || connection != null) {
      throw new IllegalStateException("consumer " + name + " on queue " + queue
          + (closed ? " is closed" : " is already started"));
    }
    try {
      connection = factory.newConnection("annals-consumer-" + name);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IOException("timed out connecting to RabbitMQ at " + factory.getHost() + ":"
          + factory.getPort(), e);
    }
    deadLetters = connection.createChannel();
    deadLetters.confirmSelect();
    deadLetters.queueDeclare(deadLetterQueue, true, false, false, null);
    channel = connection.createChannel();
    channel.basicQos(prefetch);
    channel.basicConsume(queue, false, "annals-" + name, (tag, message) -> handle(message), tag -> {});
  }

  /** What it has done since it started. */
  public ConsumerCounts counts() {
    return delivery.counts();
  }

  private void handle(Delivery message) throws IOException {
    long tag = message.getEnvelope().getDeliveryTag();
    Map<String, String> headers = headers(message.getProperties());
    byte[] body = message.getBody();
    CloudEvent event;
    try {
      event = CloudEventCodec.decode(headers, message.getProperties().getContentType(), body,
          RabbitMqSink.HEADER_PREFIX);
    } catch (IllegalArgumentException e) {
      deadLetter(message, headers, e, 1);
      channel.basicAck(tag, false);
      return;
    }
    InboxDelivery.Result r = delivery.deliver(event, () -> closed, () -> {});
    switch (r.outcome()) {
      case APPLIED, DUPLICATE -> channel.basicAck(tag, false);
      case DEAD -> {
        deadLetter(message, headers, r.error(), r.attempts());
        channel.basicAck(tag, false);
      }
      case STOPPED -> {
        // Left unacknowledged: it comes again, in its place, once the channel closes.
      }
    }
  }

  private void deadLetter(Delivery message, Map<String, String> headers, Throwable error, int attempts)
      throws IOException {
    Map<String, Object> h = new LinkedHashMap<>(headers);
    h.put("x-annals-error", InboxDelivery.describe(error));
    h.put("x-annals-consumer", name);
    h.put("x-annals-attempts", attempts);
    h.put("x-annals-queue", queue);
    AMQP.BasicProperties props = message.getProperties().builder().headers(h).deliveryMode(2).build();
    synchronized (this) {
      deadLetters.basicPublish("", deadLetterQueue, props, message.getBody());
      try {
        deadLetters.waitForConfirmsOrDie(30_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted waiting for RabbitMQ to confirm a dead letter", e);
      } catch (java.util.concurrent.TimeoutException e) {
        throw new IOException("RabbitMQ did not confirm a dead letter to " + deadLetterQueue, e);
      }
    }
    InboxDelivery.LOG.log(System.Logger.Level.WARNING,
        "consumer {0}: message {1} from queue {2} moved to {3} after {4} tries: {5}", name,
        message.getProperties().getMessageId(), queue, deadLetterQueue, attempts,
        InboxDelivery.describe(error));
    delivery.countDeadLetter();
  }

  private static Map<String, String> headers(AMQP.BasicProperties props) {
    Map<String, String> out = new HashMap<>();
    if (props.getHeaders() != null) {
      props.getHeaders().forEach((k, v) -> {
        if (v != null) {
          out.put(k, v.toString());
        }
      });
    }
    return out;
  }

  /** Stops consuming; a message in progress is left unacknowledged and comes again. */
  @Override
  public synchronized void close() {
    closed = true;
    if (connection != null) {
      connection.abort(5000);
    }
  }

  /** Configures a {@link RabbitMqConsumer}; each setter checks its value. */
  public static final class Builder {
    private final ConnectionFactory factory;
    private final String queue;
    private final String name;
    private final Inbox inbox;
    private final MessageHandler handler;
    private int prefetch = 100;
    private String deadLetterQueue;
    private Retries retries = Retries.of(5, Duration.ofMillis(100), Duration.ofSeconds(10));

    private Builder(ConnectionFactory factory, String queue, String name, Inbox inbox,
        MessageHandler handler) {
      this.factory = Objects.requireNonNull(factory, "factory must not be null");
      this.queue = Objects.requireNonNull(queue, "queue must not be null");
      this.name = Objects.requireNonNull(name, "consumer name must not be null");
      this.inbox = Objects.requireNonNull(inbox, "inbox must not be null");
      this.handler = Objects.requireNonNull(handler, "handler must not be null");
    }

    /** How many unacknowledged messages RabbitMQ may send ahead, 1 to 65535; 100 by default. */
    public Builder prefetch(int count) {
      if (count < 1 || count > 65535) {
        throw new IllegalArgumentException("prefetch must be 1 to 65535, was " + count);
      }
      this.prefetch = count;
      return this;
    }

    /** The queue poison messages go to; {@code <queue>.dead} by default. */
    public Builder deadLetterQueue(String queue) {
      this.deadLetterQueue = Objects.requireNonNull(queue, "dead-letter queue must not be null");
      return this;
    }

    /**
     * How often a failing message is tried before it goes to the dead letters, and the wait in
     * between: {@code first}, doubled per try up to {@code max}. 5 tries, 100 ms to 10 s by default.
     *
     * @throws IllegalArgumentException if {@code maxAttempts} is not 1 to 100, {@code first} is
     *     not positive or {@code max} is shorter
     */
    public Builder retries(int maxAttempts, Duration first, Duration max) {
      this.retries = Retries.of(maxAttempts, first, max);
      return this;
    }

    /** The consumer, not yet started. */
    public RabbitMqConsumer build() {
      return new RabbitMqConsumer(this);
    }
  }
}
