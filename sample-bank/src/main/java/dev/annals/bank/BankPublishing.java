package dev.annals.bank;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import dev.annals.bank.domain.Account;
import dev.annals.core.LogFilter;
import dev.annals.core.internal.Redaction;
import dev.annals.messaging.CloudEventMapper;
import dev.annals.messaging.MessageSink;
import dev.annals.messaging.Publisher;
import dev.annals.messaging.kafka.KafkaSink;
import dev.annals.messaging.nats.NatsSink;
import dev.annals.messaging.rabbitmq.RabbitMqSink;
import dev.annals.projections.Projector;
import java.util.Map;
import java.util.Optional;

/**
 * Publishing the bank's account events to a broker as CloudEvents, off unless the environment
 * variable {@value #VARIABLE} names one:
 *
 * <ul>
 *   <li>{@code amqp://USER:PASSWORD@HOST:5672}: RabbitMQ; the topic exchange {@value #EXCHANGE}
 *       and the durable queue {@value #QUEUE} (bound to the routing key {@code account}) are
 *       declared if missing, so a consumer of that queue sees every account event in order;</li>
 *   <li>{@code nats://HOST:4222}: NATS JetStream; subject {@code bank.events.account} in the
 *       stream {@value #NATS_STREAM}, created if missing;</li>
 *   <li>{@code kafka://HOST:9092[,HOST:9092...]}: Kafka; topic {@code bank.events.account}, record
 *       key the stream id, one transaction per batch.</li>
 * </ul>
 *
 * <p>The publisher is the side-effect projector {@value #PUBLISHER} in the bank's runner, so it
 * resumes where it stopped, and a broker outage delays it without losing or skipping an event.
 */
public final class BankPublishing {

  static final String VARIABLE = "BANK_PUBLISH";
  public static final String PUBLISHER = "account_publisher";
  static final String EXCHANGE = "bank.events";
  static final String QUEUE = "bank.account-events";
  static final String NATS_STREAM = "BANK_EVENTS";
  /** The CloudEvents source of the account events, on the brokers and in the HTTP feeds. */
  public static final String SOURCE = "urn:annals:sample-bank";

  private BankPublishing() {}

  /** The sink {@value #VARIABLE} asks for, or empty when it is unset or blank. */
  public static Optional<MessageSink> fromEnvironment(Map<String, String> environment) {
    String spec = environment.get(VARIABLE);
    return spec == null || spec.isBlank() ? Optional.empty() : Optional.of(sink(spec.trim()));
  }

  /**
   * The sink for a broker URL.
   *
   * @throws IllegalArgumentException if the URL names no supported broker, or RabbitMQ cannot be
   *     reached to declare the exchange and queue
   */
  static MessageSink sink(String url) {
    if (url.startsWith("amqp://") || url.startsWith("amqps://")) {
      ConnectionFactory factory = new ConnectionFactory();
      try {
        factory.setUri(url);
      } catch (Exception e) {
        // The parser's message quotes the URL, password and all.
        throw new IllegalArgumentException(VARIABLE + " is not a valid AMQP URL: " + Redaction.redact(e.getMessage()), e);
      }
      declare(factory);
      return RabbitMqSink.builder(factory).exchange(EXCHANGE).build();
    }
    if (url.startsWith("nats://")) {
      return NatsSink.builder(url).subjectPrefix(EXCHANGE).stream(NATS_STREAM).build();
    }
    if (url.startsWith("kafka://")) {
      // One transaction per batch, so consumers never see a stream's events out of order. Every
      // node uses the same id: only the node that owns the publisher ever sends.
      return KafkaSink.builder(url.substring("kafka://".length())).topicPerCategory(EXCHANGE + ".")
          .transactional("annals-sample-bank-" + PUBLISHER).build();
    }
    throw new IllegalArgumentException(VARIABLE + " must be amqp://USER:PASSWORD@HOST:5672 (RabbitMQ), "
        + "nats://HOST:4222 (NATS JetStream) or kafka://HOST:9092 (Kafka), was '" + Redaction.redact(url)
        + "'; unset it to publish nothing");
  }

  /** The publisher of every account event to {@code sink}. */
  static Projector publisher(MessageSink sink) {
    return Publisher.builder(PUBLISHER, sink)
        .mapper(CloudEventMapper.builder(Account.REGISTRY).source(SOURCE).build())
        .filter(LogFilter.categories(Account.TYPE.category()))
        .build();
  }

  /** Declares the exchange and the queue, so that no account event is unroutable. */
  private static void declare(ConnectionFactory factory) {
    try (Connection connection = factory.newConnection("sample-bank-setup");
        Channel channel = connection.createChannel()) {
      channel.exchangeDeclare(EXCHANGE, "topic", true);
      channel.queueDeclare(QUEUE, true, false, false, null);
      channel.queueBind(QUEUE, EXCHANGE, Account.TYPE.category());
    } catch (Exception e) {
      throw new IllegalArgumentException("cannot reach RabbitMQ at " + factory.getHost() + ":" + factory.getPort()
          + " (from " + VARIABLE + ") to declare exchange " + EXCHANGE + ": " + Redaction.redact(e.getMessage()), e);
    }
  }
}
