package dev.annals.messaging.kafka;

import dev.annals.core.Backoff;
import dev.annals.core.internal.Redaction;
import dev.annals.messaging.inbox.Inbox;
import dev.annals.messaging.inbox.MessageHandler;
import dev.annals.messaging.internal.Retries;
import io.cloudevents.CloudEvent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

// Over 400 lines: its public Builder and Counts, the dead-letter headers and the consuming loop are one API.
/**
 * Consumes CloudEvents from Kafka topics into the database through an {@link Inbox}: each
 * message's effect and the record of its id commit in one transaction, so a message redelivered
 * by Kafka (after a rebalance, a crash, or a publisher's retry) has its effect exactly once.
 *
 * <pre>{@code
 * KafkaInboxConsumer consumer = KafkaInboxConsumer.builder("kafka-1:9092", "billing")
 *     .topics("bank.account")
 *     .inbox(inbox)
 *     .handler((event, handle) -> handle.execute("INSERT INTO ...", ...))
 *     .deadLetterTopic("billing.dlt")
 *     .build();
 * consumer.start();
 * ...
 * consumer.close();
 * }</pre>
 *
 * <p>How a record is processed, in partition order, on the consumer's own thread:
 * <ol>
 *   <li>It is read as a CloudEvent (binary or structured mode). A record that is not one is sent
 *       to the dead-letter topic at once: trying again will not change it.</li>
 *   <li>The handler runs inside the inbox transaction; a message already recorded is skipped.
 *       A handler that throws is tried again with backoff, up to {@link Builder#retries};
 *       after the last try the record goes to the dead-letter topic with the error in
 *       {@value #ERROR_HEADER}, and the consumer moves on.</li>
 *   <li>Offsets are committed only for records whose transaction committed or whose dead letter
 *       the broker acknowledged, so a crash at any point redelivers rather than loses.</li>
 * </ol>
 *
 * <p>A database that cannot be reached is not the message's fault: the consumer then keeps the
 * record, backs off and tries again, without counting attempts or dead-lettering anything. The
 * same holds when the dead-letter topic cannot be written.
 *
 * <p>Ordering: records of one partition (so, with {@link KafkaSink}, of one stream) are handled
 * one after the other in offset order; a dead-lettered record does not stop its partition.
 *
 * <p>{@link #start()} and {@link #close()} may be called from any thread; the handler is called
 * from the thread {@code kafka-inbox-<group>} only.
 */
public final class KafkaInboxConsumer implements AutoCloseable {

  /** Dead-letter header: the error, as {@code ExceptionClass: message}. */
  public static final String ERROR_HEADER = "annals.dlt.error";
  /** Dead-letter header: why the record was given up: {@code handler-failed} or {@code not-a-cloudevent}. */
  public static final String REASON_HEADER = "annals.dlt.reason";
  /** Dead-letter header: how many times the handler was tried. */
  public static final String ATTEMPTS_HEADER = "annals.dlt.attempts";
  /** Dead-letter header: the topic, partition and offset of the original record, {@code topic/partition/offset}. */
  public static final String ORIGIN_HEADER = "annals.dlt.origin";
  /** Dead-letter header: the consumer group that gave up on it. */
  public static final String GROUP_HEADER = "annals.dlt.group";

  private static final System.Logger LOG = System.getLogger(KafkaInboxConsumer.class.getName());
  private static final Duration POLL = Duration.ofMillis(200);
  private static final int MAX_ERROR_CHARS = 4_000;

  private final String bootstrapServers;
  private final String group;
  private final List<String> topics;
  private final Inbox inbox;
  private final MessageHandler handler;
  private final String deadLetterTopic;
  private final Retries retries;
  private final Map<String, Object> consumerConfig;
  private final Map<String, Object> producerConfig;
  private final Duration deadLetterTimeout;
  private final long maxPollIntervalNanos;

  private final Object lifecycle = new Object();
  private volatile boolean running;
  private Thread thread;
  private volatile KafkaConsumer<String, byte[]> consumer;
  /** Failures in a row of the database, the broker or the client; the consumer thread's own. */
  private int failuresInARow;

  private final AtomicLong handled = new AtomicLong();
  private final AtomicLong duplicates = new AtomicLong();
  private final AtomicLong deadLettered = new AtomicLong();
  private final AtomicReference<String> lastError = new AtomicReference<>();

  private KafkaInboxConsumer(Builder b) {
    this.bootstrapServers = b.bootstrapServers;
    this.group = b.group;
    this.topics = List.copyOf(b.topics);
    this.inbox = b.inbox;
    this.handler = b.handler;
    this.deadLetterTopic = b.deadLetterTopic;
    this.retries = b.retries;
    this.deadLetterTimeout = b.deadLetterTimeout;

    Map<String, Object> c = consumerSettings(b.properties, bootstrapServers);
    c.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    c.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 500);
    c.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "annals-inbox-" + group);
    this.consumerConfig = Map.copyOf(c);
    this.maxPollIntervalNanos = TimeUnit.MILLISECONDS.toNanos(
        new ConsumerConfig(consumerConfig).getInt(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG));

    Map<String, Object> p = new HashMap<>();
    b.properties.forEach((k, v) -> {
      if (ProducerConfig.configNames().contains(k)) {
        p.put(k, v);
      }
    });
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "annals-inbox-" + group + "-dlt");
    long timeout = deadLetterTimeout.toMillis();
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) timeout);
    p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(30_000, timeout));
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, timeout);
    this.producerConfig = Map.copyOf(p);
    new ProducerConfig(producerConfig);
  }

  /**
   * Starts configuring a consumer.
   *
   * @param bootstrapServers Kafka's {@code bootstrap.servers}: {@code host:port[,host:port...]}
   * @param group the consumer group: consumers with the same group share the partitions; it is
   *     also the inbox consumer name under which message ids are recorded
   * @throws IllegalArgumentException if either is blank
   */
  public static Builder builder(String bootstrapServers, String group) {
    String servers = KafkaSettings.bootstrapServers(bootstrapServers);
    return new Builder(servers, KafkaSettings.nonBlank(group, "group"));
  }

  /** The consumer group (and inbox consumer name). */
  public String group() {
    return group;
  }

  /**
   * Starts consuming on a thread of its own.
   *
   * @throws IllegalStateException if it was started before (a closed consumer cannot be restarted;
   *     build a new one)
   */
  public void start() {
    synchronized (lifecycle) {
      if (thread != null) {
        throw new IllegalStateException("KafkaInboxConsumer " + group + " was already started");
      }
      running = true;
      thread = new Thread(this::run, "kafka-inbox-" + group);
      thread.start();
    }
  }

  /**
   * Stops consuming: the record being handled finishes, offsets of finished records are
   * committed, and the consumer leaves its group. Waits for the thread to end.
   */
  @Override
  public void close() {
    Thread t;
    synchronized (lifecycle) {
      running = false;
      t = thread;
    }
    KafkaConsumer<String, byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
    }
    if (t != null && t != Thread.currentThread()) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** What it has done so far, for status pages and tests. */
  public Counts counts() {
    return new Counts(handled.get(), duplicates.get(), deadLettered.get(), Optional.ofNullable(lastError.get()));
  }

  /**
   * Counters since {@link #start()}.
   *
   * @param handled messages whose handler ran and committed
   * @param duplicates messages the inbox had already recorded, skipped
   * @param deadLettered records sent to the dead-letter topic
   * @param lastError the last error seen (a handler's, Kafka's or the database's), if any
   */
  public record Counts(long handled, long duplicates, long deadLettered, Optional<String> lastError) {
    public Counts {
      Objects.requireNonNull(lastError, "lastError");
    }
  }

  // ------------------------------------------------------------------ the consumer thread

  private void run() {
    try (KafkaProducer<String, byte[]> deadLetters = new KafkaProducer<>(producerConfig)) {
      while (running) {
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(consumerConfig)) {
          consumer = c;
          if (!running) {
            break;
          }
          c.subscribe(topics);
          consume(c, deadLetters);
        } catch (WakeupException e) {
          // close() asked us to stop.
        } catch (InterruptException e) {
          Thread.currentThread().interrupt();
          break;
        } catch (KafkaException e) {
          // The client could not go on (for example a fatal error after a long outage): a new
          // one resumes from the committed offsets, and the inbox drops what is seen twice.
          failed("Kafka consumer of group " + group + " failed, starting a new one", e);
          if (!pause()) {
            break;
          }
        } finally {
          consumer = null;
        }
      }
    } catch (InterruptException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException | Error e) {
      failed("Kafka consumer of group " + group + " stopped", e);
      throw e;
    }
  }

  /**
   * Waits the backoff for one more failure in a row of the database, the broker or the client.
   *
   * @return false if the consumer is stopping
   */
  private boolean pause() {
    return Backoff.sleep(retries.backoff().delay(++failuresInARow), () -> running);
  }

  private void consume(KafkaConsumer<String, byte[]> c, KafkaProducer<String, byte[]> deadLetters) {
    while (running) {
      ConsumerRecords<String, byte[]> records = c.poll(POLL);
      long polledAt = System.nanoTime();
      Map<TopicPartition, OffsetAndMetadata> done = new HashMap<>();
      boolean unavailable = false;
      for (TopicPartition tp : records.partitions()) {
        for (ConsumerRecord<String, byte[]> r : records.records(tp)) {
          // Hand the rest back to Kafka instead of going on: stopping, a database or broker that
          // is away, or a poll interval about to run out (the group would drop this member).
          if (!running || unavailable || System.nanoTime() - polledAt > maxPollIntervalNanos / 2) {
            c.seek(tp, r.offset());
            break;
          }
          if (process(r, deadLetters)) {
            done.put(tp, new OffsetAndMetadata(r.offset() + 1));
          } else {
            unavailable = true;
            c.seek(tp, r.offset());
            break;
          }
        }
      }
      if (!done.isEmpty()) {
        commit(c, done);
      }
      if (unavailable) {
        if (!pause()) {
          return;
        }
      } else {
        failuresInARow = 0;
      }
    }
  }

  private void commit(KafkaConsumer<String, byte[]> c, Map<TopicPartition, OffsetAndMetadata> offsets) {
    try {
      c.commitSync(offsets);
    } catch (WakeupException e) {
      // Stopping: commit what was done anyway, briefly, so a restart redelivers less.
      try {
        c.commitSync(offsets, Duration.ofSeconds(5));
      } catch (KafkaException ignored) {
        // Redelivered after a restart and dropped by the inbox.
      }
      throw e;
    } catch (KafkaException e) {
      // A lost partition or an unreachable coordinator: whoever reads the partition next gets
      // these records again, and the inbox drops them.
      failed("committing offsets of group " + group + " failed; the records will be redelivered", e);
    }
  }

  /**
   * Handles one record to the end: effect committed, duplicate skipped or dead letter written.
   *
   * @return false if it could not be finished because the database or the broker is away; the
   *     record is to be tried again later
   */
  private boolean process(ConsumerRecord<String, byte[]> r, KafkaProducer<String, byte[]> deadLetters) {
    CloudEvent event;
    try {
      event = CloudEventRecords.read(r);
    } catch (CloudEventRecords.NotACloudEventException e) {
      return deadLetter(deadLetters, r, "not-a-cloudevent", 0, e);
    }
    for (int attempt = 1; ; attempt++) {
      HandlerFailure failure = new HandlerFailure();
      try {
        boolean fresh = inbox.process(group, event, (e, h) -> {
          try {
            handler.handle(e, h);
          } catch (Exception ex) {
            failure.set(ex);
            throw ex;
          }
        });
        (fresh ? handled : duplicates).incrementAndGet();
        return true;
      } catch (Exception e) {
        Throwable cause = failure.get() != null ? failure.get() : e;
        if (Unavailable.isDatabaseUnavailable(cause)) {
          failed("the database is unavailable; message " + event.getId() + " from " + origin(r)
              + " will be tried again", cause);
          return false;
        }
        if (failure.get() == null) {
          // The inbox itself failed (not the handler, not a lost connection): not the message's
          // fault either, so it is tried again rather than dead-lettered.
          failed("the inbox failed for message " + event.getId() + " from " + origin(r), e);
          return false;
        }
        if (attempt >= retries.maxAttempts()) {
          return deadLetter(deadLetters, r, "handler-failed", attempt, cause);
        }
        LOG.log(System.Logger.Level.DEBUG, "handler of group " + group + " failed on message " + event.getId()
            + " (attempt " + attempt + " of " + retries.maxAttempts() + ")", Redaction.redacted(cause));
        if (!Backoff.sleep(retries.backoff().delay(attempt), () -> running)) {
          return false;
        }
      }
    }
  }

  private boolean deadLetter(KafkaProducer<String, byte[]> producer, ConsumerRecord<String, byte[]> r,
      String reason, int attempts, Throwable error) {
    Headers headers = new RecordHeaders(r.headers().toArray());
    put(headers, ERROR_HEADER, describe(error));
    put(headers, REASON_HEADER, reason);
    put(headers, ATTEMPTS_HEADER, Integer.toString(attempts));
    put(headers, ORIGIN_HEADER, origin(r));
    put(headers, GROUP_HEADER, group);
    try {
      producer.send(new ProducerRecord<>(deadLetterTopic, null, null, r.key(), r.value(), headers))
          .get(deadLetterTimeout.toMillis() + 1_000, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (ExecutionException | TimeoutException | KafkaException e) {
      failed("cannot write the dead letter of " + origin(r) + " to " + deadLetterTopic
          + "; it will be tried again", e instanceof ExecutionException ? e.getCause() : e);
      return false;
    }
    deadLettered.incrementAndGet();
    LOG.log(System.Logger.Level.WARNING, "group " + group + " sent " + origin(r) + " to dead-letter topic "
        + deadLetterTopic + " (" + reason + (attempts > 0 ? " after " + attempts + " attempt(s)" : "")
        + "): " + describe(error));
    return true;
  }

  private void failed(String what, Throwable e) {
    lastError.set(what + ": " + describe(e));
    LOG.log(System.Logger.Level.WARNING, what, Redaction.redacted(e));
  }

  private static String origin(ConsumerRecord<?, ?> r) {
    return r.topic() + "/" + r.partition() + "/" + r.offset();
  }

  private static String describe(Throwable e) {
    String s = Redaction.describe(e);
    return s.length() > MAX_ERROR_CHARS ? s.substring(0, MAX_ERROR_CHARS) + "..." : s;
  }

  private static void put(Headers headers, String key, String value) {
    headers.remove(key);
    headers.add(key, value.getBytes(StandardCharsets.UTF_8));
  }

  /** The handler's own exception, kept apart from what the inbox wraps it in. */
  private static final class HandlerFailure {
    private Exception failure;

    void set(Exception e) {
      failure = e;
    }

    Exception get() {
      return failure;
    }
  }

  /**
   * Configures a {@link KafkaInboxConsumer}. Each setter checks its value and names it in its
   * message; topics, an inbox, a handler and a dead-letter topic are required.
   */
  public static final class Builder {

    private static final Map<String, String> OWNED = Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "it is the builder's argument",
        ConsumerConfig.GROUP_ID_CONFIG, "it is the builder's argument",
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "offsets are committed after the inbox transaction",
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "the consumer reads committed records only",
        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, "records are read as CloudEvents",
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, "records are read as CloudEvents",
        ProducerConfig.ACKS_CONFIG, "dead letters are written with acks=all",
        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "dead letters are written by the idempotent producer",
        ProducerConfig.TRANSACTIONAL_ID_CONFIG, "the consumer does not use Kafka transactions");

    private final String bootstrapServers;
    private final String group;
    private final Set<String> topics = new LinkedHashSet<>();
    private Inbox inbox;
    private MessageHandler handler;
    private String deadLetterTopic;
    private Retries retries = Retries.of(3, Duration.ofMillis(100), Duration.ofSeconds(5));
    private Duration deadLetterTimeout = Duration.ofSeconds(30);
    private final Map<String, Object> properties = new HashMap<>();

    private Builder(String bootstrapServers, String group) {
      this.bootstrapServers = bootstrapServers;
      this.group = group;
    }

    /**
     * The topics to consume. Required.
     *
     * @throws IllegalArgumentException if a name is not a valid topic name or given twice
     */
    public Builder topics(String... topics) {
      Objects.requireNonNull(topics, "topics must not be null");
      for (String t : topics) {
        Topics.require(t, "topic");
        if (!this.topics.add(t)) {
          throw new IllegalArgumentException("topic '" + t + "' was already given");
        }
      }
      return this;
    }

    /** The inbox that records message ids in the handler's transaction. Required. */
    public Builder inbox(Inbox inbox) {
      Objects.requireNonNull(inbox, "inbox must not be null");
      if (this.inbox != null) {
        throw new IllegalStateException("the inbox was already set");
      }
      this.inbox = inbox;
      return this;
    }

    /** What each new message does, in the inbox transaction. Required. */
    public Builder handler(MessageHandler handler) {
      Objects.requireNonNull(handler, "handler must not be null");
      if (this.handler != null) {
        throw new IllegalStateException("the handler was already set");
      }
      this.handler = handler;
      return this;
    }

    /**
     * Where records go that are not CloudEvents or whose handler failed on every try. Required;
     * the topic must exist (or the broker must create topics on first use).
     *
     * @throws IllegalArgumentException if it is not a valid topic name
     */
    public Builder deadLetterTopic(String topic) {
      this.deadLetterTopic = Topics.require(topic, "dead-letter topic");
      return this;
    }

    /**
     * How often a failing handler is tried before its record is dead-lettered, and the wait in
     * between: {@code first}, doubled per try up to {@code max}. By default 3 tries, 100 ms
     * doubling to 5 s. The same backoff paces retries while the database or broker is away.
     *
     * @param maxAttempts 1 to 100 (1: no retry)
     * @throws IllegalArgumentException if {@code maxAttempts} is out of range, {@code first} is
     *     not positive or {@code max} is shorter
     */
    public Builder retries(int maxAttempts, Duration first, Duration max) {
      this.retries = Retries.of(maxAttempts, first, max);
      return this;
    }

    /**
     * How long writing a dead letter may take before the record is kept and tried again later;
     * 30 s by default.
     *
     * @throws IllegalArgumentException if below one second
     */
    public Builder deadLetterTimeout(Duration timeout) {
      this.deadLetterTimeout = KafkaSettings.timeout(timeout, "deadLetterTimeout", "must be at least 1s");
      return this;
    }

    /**
     * Any other client setting, for example {@code security.protocol}, {@code sasl.jaas.config},
     * {@code auto.offset.reset} ({@code earliest} by default: a new group reads from the start),
     * {@code max.poll.records} or {@code session.timeout.ms}. Settings the producer also knows
     * (security, for instance) apply to the dead-letter producer too.
     *
     * @throws IllegalArgumentException for settings the consumer decides itself, naming why
     */
    public Builder property(String name, Object value) {
      KafkaSettings.refuseOwned(name, value, OWNED, "property", "KafkaInboxConsumer");
      if (!ConsumerConfig.configNames().contains(name) && !ProducerConfig.configNames().contains(name)) {
        throw new IllegalArgumentException("property " + name + " is neither a Kafka consumer nor a producer setting");
      }
      properties.put(name, value);
      return this;
    }

    /**
     * @throws IllegalStateException naming what is missing
     * @throws org.apache.kafka.common.config.ConfigException if Kafka rejects a property
     */
    public KafkaInboxConsumer build() {
      List<String> missing = new ArrayList<>();
      if (topics.isEmpty()) {
        missing.add("topics(...)");
      }
      if (inbox == null) {
        missing.add("inbox(...)");
      }
      if (handler == null) {
        missing.add("handler(...)");
      }
      if (deadLetterTopic == null) {
        missing.add("deadLetterTopic(...)");
      }
      if (!missing.isEmpty()) {
        throw new IllegalStateException("KafkaInboxConsumer " + group + " needs " + String.join(", ", missing));
      }
      if (topics.contains(deadLetterTopic)) {
        throw new IllegalStateException("dead-letter topic " + deadLetterTopic + " is also one of the consumed "
            + "topics " + topics + "; a poison message would come back forever");
      }
      new ConsumerConfig(consumerSettings(properties, bootstrapServers));
      return new KafkaInboxConsumer(this);
    }
  }

  /**
   * The consumer settings among {@code properties}, with the servers and the deserializers of
   * records read as CloudEvents.
   */
  private static Map<String, Object> consumerSettings(Map<String, Object> properties, String bootstrapServers) {
    Map<String, Object> m = new HashMap<>();
    properties.forEach((k, v) -> {
      if (ConsumerConfig.configNames().contains(k)) {
        m.put(k, v);
      }
    });
    m.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    m.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    m.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    return m;
  }
}
