package dev.annals.messaging.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import dev.annals.core.internal.Redaction;
import dev.annals.messaging.CloudEventFormat;
import dev.annals.messaging.MessageSink;
import dev.annals.messaging.OutgoingMessage;
import dev.annals.messaging.internal.Checks;
import dev.annals.messaging.internal.CloudEventCodec;
import io.cloudevents.core.message.Encoding;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Sends to a RabbitMQ exchange with publisher confirms. Needs {@code com.rabbitmq:amqp-client}.
 *
 * <pre>{@code
 * ConnectionFactory factory = new ConnectionFactory();
 * factory.setUri("amqp://guest:guest@127.0.0.1:5672");
 * MessageSink sink = RabbitMqSink.builder(factory).exchange("bank.events").build();
 * }</pre>
 *
 * <p>Each message is persistent, has the event id as AMQP {@code message-id}, is published as
 * mandatory, and carries the CloudEvent in binary mode (attributes as {@code cloudEvents:}
 * headers, data as body) or structured mode in the {@link CloudEventFormat} of the sink, named
 * by the AMQP content type ({@code application/cloudevents+json}, {@code +protobuf} or
 * {@code +avrocompact}). The routing
 * key is the stream's category (bind one queue per category, with one consumer, to keep each
 * stream's order) or the stream id (for a consistent-hash exchange, which keeps a stream on
 * one queue).
 *
 * <p>A batch is pipelined on one channel and confirmed as a whole. A message the exchange could
 * not route to any queue fails the batch, so that no event is dropped for a missing binding.
 * Automatic connection recovery is switched off on purpose: a channel recovered under a batch
 * could deliver a later message after an earlier one was lost; instead the connection is
 * dropped on any failure and opened again at the next send, when the batch goes again whole.
 *
 * <p><b>Priorities</b>: {@link Builder#priority(String, int)} gives the messages of a category
 * an AMQP priority, so that on a queue declared with {@code x-max-priority} urgent messages
 * (fraud alerts) overtake a backlog of bulk ones (statements). RabbitMQ keeps publish order
 * among messages of equal priority, and a stream's events all share their category's priority,
 * so each stream stays in order.
 *
 * <p><b>At most once</b>: {@link #sendAtMostOnce} publishes on a second channel without
 * confirms and without the mandatory flag, and returns once the messages are written to the
 * socket; with no connection to be had it throws at once (or after the factory's connection
 * timeout if the host does not answer at all).
 *
 * <p>Thread-safe: sends are serialized on one channel.
 */
public final class RabbitMqSink implements MessageSink {

  /** What the routing key of a message is. */
  public enum RoutingKey {
    /** The stream's category: one queue per category keeps every stream's order. */
    CATEGORY,
    /** The stream id, for an {@code x-consistent-hash} exchange spreading streams over queues. */
    STREAM_ID
  }

  static final String HEADER_PREFIX = "cloudEvents:";

  private final ConnectionFactory factory;
  private final String exchange;
  private final RoutingKey routingKey;
  private final Encoding encoding;
  private final CloudEventFormat format;
  private final Duration confirmTimeout;
  private final Map<String, Integer> priorities;
  private final ConcurrentLinkedQueue<String> returned = new ConcurrentLinkedQueue<>();
  private Connection connection;
  private Channel channel;
  private Channel unconfirmed;
  private boolean closed;

  private RabbitMqSink(Builder b) {
    this.factory = b.factory.clone();
    factory.setAutomaticRecoveryEnabled(false);
    factory.setTopologyRecoveryEnabled(false);
    this.exchange = b.exchange;
    this.routingKey = b.routingKey;
    this.encoding = Checks.encoding(b.encoding, b.format);
    this.format = b.format;
    this.confirmTimeout = b.confirmTimeout;
    this.priorities = Map.copyOf(b.priorities);
  }

  /** Starts configuring a sink that connects with (a copy of) {@code factory}. */
  public static Builder builder(ConnectionFactory factory) {
    return new Builder(Objects.requireNonNull(factory, "factory must not be null"));
  }

  /** The broker's address and virtual host, credentials masked, and the exchange. */
  @Override
  public String describe() {
    return Redaction.redact("RabbitMQ amqp://" + factory.getHost() + ":" + factory.getPort()
        + factory.getVirtualHost() + " exchange '" + exchange + "'");
  }

  @Override
  public synchronized void send(List<OutgoingMessage> batch) throws Exception {
    if (closed) {
      throw new IllegalStateException(describe() + ": the sink is closed");
    }
    try {
      Channel ch = channel();
      returned.clear();
      for (OutgoingMessage m : batch) {
        CloudEventCodec.Encoded enc = CloudEventCodec.encode(m.event(), encoding, format, HEADER_PREFIX);
        ch.basicPublish(exchange, key(m), true, properties(m, enc), enc.body());
      }
      // Throws if any message was nacked or the timeout passed; returns precede their acks.
      ch.waitForConfirmsOrDie(confirmTimeout.toMillis());
      if (!returned.isEmpty()) {
        throw new IOException("exchange '" + exchange + "' could not route " + returned.size()
            + " message(s), first: " + returned.peek() + "; bind a queue for that routing key");
      }
    } catch (Exception e) {
      disconnect();
      throw e;
    }
  }

  /**
   * Publishes without confirms and without the mandatory flag (a message no queue is bound for
   * is dropped by the broker), and returns once the batch is written to the connection.
   *
   * @throws Exception if there is no connection; the publisher does not send the batch again
   */
  @Override
  public synchronized void sendAtMostOnce(List<OutgoingMessage> batch) throws Exception {
    if (closed) {
      throw new IllegalStateException(describe() + ": the sink is closed");
    }
    try {
      if (unconfirmed == null || !unconfirmed.isOpen()) {
        unconfirmed = connection().createChannel();
      }
      for (OutgoingMessage m : batch) {
        CloudEventCodec.Encoded enc = CloudEventCodec.encode(m.event(), encoding, format, HEADER_PREFIX);
        unconfirmed.basicPublish(exchange, key(m), false, properties(m, enc), enc.body());
      }
    } catch (Exception e) {
      disconnect();
      throw e;
    }
  }

  private AMQP.BasicProperties properties(OutgoingMessage m, CloudEventCodec.Encoded enc) {
    return new AMQP.BasicProperties.Builder()
        .messageId(m.id())
        .contentType(enc.contentType())
        .deliveryMode(2)
        .priority(priorities.get(m.category()))
        .headers(new HashMap<>(enc.headers()))
        .build();
  }

  private String key(OutgoingMessage m) {
    return routingKey == RoutingKey.CATEGORY ? m.category() : m.streamId();
  }

  private Connection connection() throws Exception {
    if (connection == null || !connection.isOpen()) {
      disconnect();
      connection = factory.newConnection("annals-publisher");
    }
    return connection;
  }

  private Channel channel() throws Exception {
    if (channel != null && channel.isOpen()) {
      return channel;
    }
    Channel ch = connection().createChannel();
    ch.confirmSelect();
    ch.addReturnListener(r -> returned.add(r.getProperties().getMessageId() + " (routing key '"
        + r.getRoutingKey() + "': " + r.getReplyText() + ")"));
    channel = ch;
    return ch;
  }

  private void disconnect() {
    if (connection != null) {
      connection.abort(1000);
    }
    connection = null;
    channel = null;
    unconfirmed = null;
  }

  /** Closes the connection; later sends fail. */
  @Override
  public synchronized void close() {
    closed = true;
    disconnect();
  }

  /** Configures a {@link RabbitMqSink}; each setter checks its value. */
  public static final class Builder {
    private final ConnectionFactory factory;
    private String exchange;
    private RoutingKey routingKey = RoutingKey.CATEGORY;
    private Encoding encoding;
    private CloudEventFormat format = CloudEventFormat.JSON;
    private Duration confirmTimeout = Duration.ofSeconds(30);
    private final Map<String, Integer> priorities = new HashMap<>();

    private Builder(ConnectionFactory factory) {
      this.factory = factory;
    }

    /** The exchange to publish to (declared by the application). Required; "" is the default exchange. */
    public Builder exchange(String exchange) {
      this.exchange = Objects.requireNonNull(exchange, "exchange must not be null");
      return this;
    }

    /** What the routing key is; {@link RoutingKey#CATEGORY} by default. */
    public Builder routingKey(RoutingKey routingKey) {
      this.routingKey = Objects.requireNonNull(routingKey, "routing key must not be null");
      return this;
    }

    /**
     * Binary (the default) or structured content mode. Binary mode sends the attributes as
     * headers; a {@link #format format} other than JSON needs structured mode.
     */
    public Builder encoding(Encoding encoding) {
      this.encoding = Objects.requireNonNull(encoding, "encoding must not be null");
      return this;
    }

    /**
     * The event format of structured mode; JSON by default. Protobuf or Avro send every event in
     * structured mode in that format (no {@link #encoding encoding} needs to be set); consumers
     * read each format by its content type.
     */
    public Builder format(CloudEventFormat format) {
      this.format = Objects.requireNonNull(format, "format must not be null");
      return this;
    }

    /** How long to wait for the broker to confirm a batch; 30 s by default. */
    public Builder confirmTimeout(Duration timeout) {
      this.confirmTimeout = Checks.positive(timeout, "confirm timeout");
      return this;
    }

    /**
     * Sends the events of {@code category} with AMQP priority {@code priority}; those of other
     * categories have none (which counts as 0). Takes effect on queues declared with {@code
     * x-max-priority} of at least {@code priority} (RabbitMQ advises at most 10); the consumer's
     * prefetch bounds how many bulk messages it already holds when an urgent one arrives.
     *
     * @throws IllegalArgumentException if {@code priority} is not 0 to 255, or the category was
     *     given a priority already
     */
    public Builder priority(String category, int priority) {
      Objects.requireNonNull(category, "category must not be null");
      if (priority < 0 || priority > 255) {
        throw new IllegalArgumentException("priority of category '" + category + "' must be 0 to 255, was "
            + priority);
      }
      if (priorities.containsKey(category)) {
        throw new IllegalArgumentException("category '" + category + "' has priority "
            + priorities.get(category) + " already");
      }
      priorities.put(category, priority);
      return this;
    }

    /**
     * @throws IllegalStateException if no exchange was set, or binary mode was set with a
     *     format other than JSON
     */
    public RabbitMqSink build() {
      if (exchange == null) {
        throw new IllegalStateException("a RabbitMqSink needs an exchange(...)");
      }
      return new RabbitMqSink(this);
    }
  }
}
