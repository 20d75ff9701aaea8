package dev.annals.messaging.nats;

import dev.annals.core.Backoff;
import dev.annals.core.internal.Redaction;
import dev.annals.messaging.inbox.ConsumerCounts;
import dev.annals.messaging.inbox.Inbox;
import dev.annals.messaging.inbox.MessageHandler;
import dev.annals.messaging.internal.CloudEventCodec;
import dev.annals.messaging.internal.InboxDelivery;
import dev.annals.messaging.internal.Retries;
import io.cloudevents.CloudEvent;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.impl.Headers;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Consumes CloudEvents from a NATS JetStream stream into an {@link Inbox}, through a durable
 * pull consumer: each message's effect and its id commit together, and only then is the message
 * acknowledged, so a redelivered message has no second effect. Needs {@code io.nats:jnats}.
 *
 * <pre>{@code
 * NatsConsumer consumer = NatsConsumer.builder("nats://127.0.0.1:4222", "BANK_EVENTS", "payments",
 *         inbox, (event, handle) -> ...)
 *     .filterSubject("bank.events.account")
 *     .build();
 * consumer.start();
 * }</pre>
 *
 * <p>Messages are handled one at a time in stream order on a thread named
 * {@code nats-consumer-<name>}. JetStream has no dead-letter destination, so a message whose
 * handler keeps failing (or that is not a CloudEvent) is recorded in the inbox's dead letters
 * ({@link Inbox#deadLetters}) with the error and then terminated. While the database is
 * unreachable the consumer holds the message (telling the server it is in progress) and waits,
 * so nothing overtakes it.
 *
 * <p>Thread-safe.
 */
public final class NatsConsumer implements AutoCloseable {

  private final String server;
  private final String stream;
  private final String name;
  private final String filterSubject;
  private final int batchSize;
  private final Inbox inbox;
  private final InboxDelivery delivery;
  private final Thread thread;
  private volatile boolean closed;
  private volatile Throwable lastFailure;

  private NatsConsumer(Builder b) {
    this.server = b.server;
    this.stream = b.stream;
    this.name = b.name;
    this.filterSubject = b.filterSubject;
    this.batchSize = b.batchSize;
    this.inbox = b.inbox;
    this.delivery = new InboxDelivery(b.inbox, b.name, b.handler, b.retries);
    this.thread = new Thread(this::run, "nats-consumer-" + b.name);
    thread.setDaemon(true);
  }

  /**
   * Starts configuring a consumer.
   *
   * @param url the server, such as {@code nats://127.0.0.1:4222}
   * @param stream the JetStream stream to read
   * @param name the durable consumer's name on the server and the consumer's name in the inbox
   * @param inbox where ids are recorded
   * @param handler the effect of each message
   */
  public static Builder builder(String url, String stream, String name, Inbox inbox,
      MessageHandler handler) {
    return new Builder(url, stream, name, inbox, handler);
  }

  /**
   * Starts the consuming thread. It creates the durable consumer if needed, and connects again
   * by itself after a failure.
   *
   * @throws IllegalStateException if started twice or closed
   */
  public synchronized void start() {
    if (closed || thread.isAlive()) {
      throw new IllegalStateException("consumer " + name + " on stream " + stream
          + (closed ? " is closed" : " is already started"));
    }
    thread.start();
  }

  /** What it has done since it started. */
  public ConsumerCounts counts() {
    return delivery.counts();
  }

  private void run() {
    int failures = 0;
    while (!closed) {
      Options options = Options.builder().server(server).connectionName("annals-consumer-" + name)
          .connectionTimeout(Duration.ofSeconds(5)).build();
      try (Connection connection = Nats.connect(options)) {
        ConsumerConfiguration.Builder cc = ConsumerConfiguration.builder().durable(name)
            .ackPolicy(AckPolicy.Explicit).deliverPolicy(DeliverPolicy.All)
            .ackWait(Duration.ofSeconds(30)).maxAckPending(batchSize);
        if (filterSubject != null) {
          cc.filterSubject(filterSubject);
        }
        connection.jetStreamManagement().addOrUpdateConsumer(stream, cc.build());
        JetStream js = connection.jetStream();
        JetStreamSubscription sub = js.subscribe(filterSubject,
            PullSubscribeOptions.bind(stream, name));
        failures = 0;
        while (!closed) {
          List<Message> messages = sub.fetch(batchSize, Duration.ofMillis(500));
          for (Message m : messages) {
            if (!handle(m)) {
              break;
            }
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (Exception e) {
        lastFailure = e;
        failures++;
        if (failures == 1 || failures % 10 == 0) {
          InboxDelivery.LOG.log(System.Logger.Level.WARNING, "consumer {0} on {1} stream {2} failed "
              + "({3} in a row), connecting again: {4}", name, Redaction.redact(server), stream, failures,
              Redaction.redact(e.toString()));
        }
        Backoff.sleep(delivery.backoff(failures), () -> !closed);
      }
    }
  }

  /** Returns false when the consumer is closing and the message was left for redelivery. */
  private boolean handle(Message m) throws Exception {
    Map<String, String> headers = headers(m.getHeaders());
    byte[] body = m.getData() == null ? new byte[0] : m.getData();
    String contentType = headers.get("content-type");
    if (contentType == null && !headers.containsKey(NatsSink.HEADER_PREFIX + "specversion")) {
      // The NATS binding's first version: structured events with no headers at all.
      contentType = CloudEventCodec.STRUCTURED_CONTENT_TYPE;
    }
    CloudEvent event;
    try {
      event = CloudEventCodec.decode(headers, contentType, body, NatsSink.HEADER_PREFIX);
    } catch (IllegalArgumentException e) {
      deadLetter(headers.get("Nats-Msg-Id"), headers, body, e, 1);
      m.term();
      return true;
    }
    InboxDelivery.Result r = delivery.deliver(event, () -> closed, m::inProgress);
    switch (r.outcome()) {
      case APPLIED, DUPLICATE -> m.ack();
      case DEAD -> {
        deadLetter(event.getId(), headers, body, r.error(), r.attempts());
        m.term();
      }
      case STOPPED -> {
        return false;
      }
    }
    return true;
  }

  private void deadLetter(String id, Map<String, String> headers, byte[] body, Throwable error, int attempts) {
    inbox.deadLetter(name, id, headers, body, InboxDelivery.describe(error), attempts);
    delivery.countDeadLetter();
    InboxDelivery.LOG.log(System.Logger.Level.WARNING, "consumer {0}: message {1} from stream {2} "
        + "moved to the inbox dead letters after {3} tries: {4}", name, id, stream, attempts,
        InboxDelivery.describe(error));
  }

  private static Map<String, String> headers(Headers headers) {
    Map<String, String> out = new HashMap<>();
    if (headers != null) {
      for (String key : headers.keySet()) {
        String value = headers.getFirst(key);
        if (value != null) {
          out.put(key, value);
        }
      }
    }
    return out;
  }

  /** The last failure of the consuming loop (connecting, fetching), if any; for diagnosis. */
  public java.util.Optional<Throwable> lastFailure() {
    return java.util.Optional.ofNullable(lastFailure);
  }

  /**
   * Stops consuming and waits for the thread to end; a message in progress is left
   * unacknowledged and comes again. The durable consumer stays on the server.
   */
  @Override
  public void close() {
    closed = true;
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Configures a {@link NatsConsumer}; each setter checks its value. */
  public static final class Builder {
    private final String server;
    private final String stream;
    private final String name;
    private final Inbox inbox;
    private final MessageHandler handler;
    private String filterSubject;
    private int batchSize = 100;
    private Retries retries = Retries.of(5, Duration.ofMillis(100), Duration.ofSeconds(10));

    private Builder(String url, String stream, String name, Inbox inbox, MessageHandler handler) {
      this.server = NatsSink.serverUrl(url);
      this.stream = Objects.requireNonNull(stream, "stream must not be null");
      this.name = Objects.requireNonNull(name, "consumer name must not be null");
      if (!name.matches("[A-Za-z0-9_-]+")) {
        throw new IllegalArgumentException("consumer name '" + name + "' must be letters, digits, - or _");
      }
      this.inbox = Objects.requireNonNull(inbox, "inbox must not be null");
      this.handler = Objects.requireNonNull(handler, "handler must not be null");
    }

    /** Only messages of this subject (wildcards allowed); the whole stream by default. */
    public Builder filterSubject(String subject) {
      this.filterSubject = Objects.requireNonNull(subject, "filter subject must not be null");
      return this;
    }

    /**
     * Messages fetched per request, which is also the most unacknowledged messages the server
     * lets this consumer have (so redeliveries come before anything newer); 1 to 10,000, 100 by default.
     */
    public Builder batchSize(int messages) {
      if (messages < 1 || messages > 10_000) {
        throw new IllegalArgumentException("batchSize must be 1 to 10000, was " + messages);
      }
      this.batchSize = messages;
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
    public NatsConsumer build() {
      return new NatsConsumer(this);
    }
  }
}
