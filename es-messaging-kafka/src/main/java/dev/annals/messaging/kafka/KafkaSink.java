package dev.annals.messaging.kafka;

import dev.annals.core.internal.Redaction;
import dev.annals.messaging.MessageSink;
import dev.annals.messaging.OutgoingMessage;
import dev.annals.messaging.CloudEventFormat;
import dev.annals.messaging.internal.CloudEventCodec;
import io.cloudevents.core.format.EventFormat;
import io.cloudevents.kafka.KafkaMessageFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.function.Function;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

// Over 400 lines: its public Builder, with the producer settings the sink owns and why, is part of its API.
/**
 * A {@link MessageSink} that writes each event as a CloudEvent to Apache Kafka.
 *
 * <pre>{@code
 * KafkaSink sink = KafkaSink.builder("kafka-1:9092,kafka-2:9092")
 *     .topicPerCategory("bank.")          // account events go to bank.account
 *     .build();
 * Projector publisher = Publisher.builder("to_kafka", sink).mapper(mapper).build();
 * }</pre>
 *
 * <p>What it guarantees, and how:
 * <ul>
 *   <li><b>Nothing confirmed is lost.</b> The producer runs with {@code acks=all} and
 *       {@code enable.idempotence=true}; {@link #send} flushes and then waits for the
 *       acknowledgement of every record of the batch, and throws if any failed, so the
 *       publisher's checkpoint only moves past events the broker has written to all in-sync
 *       replicas.</li>
 *   <li><b>Per-stream order.</b> The record key is the stream id, so all events of a stream go
 *       to one partition. A batch goes out in rounds holding at most one event per stream, each
 *       round only after the broker acknowledged the previous one, so no event is written while
 *       an earlier event of its stream may still fail (Kafka can fail a record that timed out and
 *       still write a later one of the same partition). After a failed batch the producer is
 *       replaced and the whole batch is sent again, so the partition may hold an event twice;
 *       the first copy of each event is in stream order, which is what a deduplicating consumer
 *       sees. A batch with many events of one stream costs one round trip per event;
 *       {@linkplain Builder#transactional transactions} send it in one.</li>
 *   <li><b>Duplicates are possible</b> (a retried batch, a publisher that died before its
 *       checkpoint): consumers drop them by CloudEvent id, as the inbox does.</li>
 * </ul>
 *
 * <p>Records are written in {@linkplain Mode#BINARY binary mode} (attributes in {@code ce_}
 * headers, the data as the value) unless {@linkplain Builder#mode structured mode} (the whole
 * event in the value) is chosen, in the {@linkplain Builder#format format} of the sink: JSON,
 * Protobuf or Avro, named by the record's {@code content-type} header.
 *
 * <p>Thread-safe: {@link #send} may be called from several publisher partitions at once.
 */
public final class KafkaSink implements MessageSink {

  /** How a CloudEvent is laid out in a Kafka record (the CloudEvents Kafka protocol binding). */
  public enum Mode {
    /** Attributes as {@code ce_*} headers, the data as the record value. Smaller, and brokers and
     * tools can route on headers without parsing the value. */
    BINARY,
    /** The whole event in the value, in the sink's {@link CloudEventFormat} (JSON unless chosen
     * otherwise); for consumers that do not read headers. */
    STRUCTURED
  }

  private static final System.Logger LOG = System.getLogger(KafkaSink.class.getName());

  /**
   * Room for the record's framing (lengths, attributes, timestamps) on top of key, value and
   * headers, when checking a record against {@code max.request.size} before anything is sent.
   */
  private static final int RECORD_OVERHEAD = 128;

  /** "kafka" and the servers with any credentials masked, as messages name the broker. */
  private final String broker;
  private final Function<OutgoingMessage, String> topics;
  private final String topicDescription;
  private final Mode mode;
  private final EventFormat format;
  private final Map<String, Object> producerConfig;
  private final int maxRecordBytes;
  private final Duration closeTimeout;
  private final Object lock = new Object();
  private Producer<String, byte[]> producer;
  /** The transactional id, or null when batches are not sent as transactions. */
  private final String transactionalId;
  /** Serializes transactional sends: a producer runs one transaction at a time. */
  private final Object transactionLock = new Object();
  private boolean closed;

  private KafkaSink(Builder b) {
    this.broker = "kafka " + Redaction.redact(b.bootstrapServers);
    this.topics = b.topics;
    this.topicDescription = b.topicDescription;
    this.mode = mode(b);
    this.format = CloudEventCodec.eventFormat(b.format);
    this.producerConfig = producerConfig(b);
    this.transactionalId = b.transactionalId;
    this.maxRecordBytes = new ProducerConfig(producerConfig).getInt(ProducerConfig.MAX_REQUEST_SIZE_CONFIG);
    this.closeTimeout = b.deliveryTimeout;
  }

  /**
   * Starts configuring a sink.
   *
   * @param bootstrapServers Kafka's {@code bootstrap.servers}: {@code host:port[,host:port...]}
   * @throws IllegalArgumentException if it is blank
   */
  public static Builder builder(String bootstrapServers) {
    return new Builder(KafkaSettings.bootstrapServers(bootstrapServers));
  }

  /** The servers with any credentials masked, the topic choice and the mode. */
  @Override
  public String describe() {
    return broker + " " + topicDescription + " (" + mode.name().toLowerCase(java.util.Locale.ROOT) + ")";
  }

  /**
   * Writes the batch and returns once the broker acknowledged every record ({@code acks=all}).
   *
   * @throws KafkaPublishException if any record was not acknowledged within the delivery
   *     timeout, or the batch could not be handed to the producer; some records of the batch may
   *     have been written, and the whole batch is to be sent again
   * @throws IllegalArgumentException if a topic name cannot be made for a message, or a record
   *     is larger than {@code max.request.size} (nothing of the batch was sent)
   * @throws IllegalStateException if the sink was closed
   * @throws org.apache.kafka.common.errors.InterruptException if the thread was interrupted while
   *     waiting (its interrupt flag is set again)
   */
  @Override
  public void send(List<OutgoingMessage> batch) {
    Objects.requireNonNull(batch, "batch must not be null");
    if (batch.isEmpty()) {
      return;
    }
    // Build every record before sending any: a message that cannot be written must not leave
    // the later messages of its stream delivered without it.
    List<ProducerRecord<String, byte[]>> records = new ArrayList<>(batch.size());
    for (OutgoingMessage m : batch) {
      records.add(record(m));
    }
    if (transactionalId != null) {
      sendInTransaction(batch, records);
      return;
    }
    Producer<String, byte[]> p = producer();
    int acknowledged = 0;
    for (List<Integer> round : rounds(batch)) {
      sendRound(p, batch, records, round, acknowledged);
      acknowledged += round.size();
    }
  }

  /**
   * Splits the batch into rounds that each hold at most one message per stream, in batch order:
   * a stream's n-th message of the batch is in round n. A round is handed to the producer only
   * once every record of the previous round was acknowledged, so a record is never written while
   * an earlier record of its stream may still fail. Within one round Kafka may write some records
   * and fail others (a record that expired waiting for the broker, the next one of the partition
   * written when it came back), but those are of different streams.
   */
  static List<List<Integer>> rounds(List<OutgoingMessage> batch) {
    List<List<Integer>> rounds = new ArrayList<>();
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < batch.size(); i++) {
      int round = seen.merge(batch.get(i).streamId(), 1, Integer::sum) - 1;
      if (round == rounds.size()) {
        rounds.add(new ArrayList<>());
      }
      rounds.get(round).add(i);
    }
    return rounds;
  }

  /**
   * Sends the round's records, flushes and waits for every acknowledgement.
   *
   * @param acknowledged how many messages of the batch earlier rounds wrote, for the message
   */
  private void sendRound(Producer<String, byte[]> p, List<OutgoingMessage> batch,
      List<ProducerRecord<String, byte[]>> records, List<Integer> round, int acknowledged) {
    List<Future<RecordMetadata>> acks = new ArrayList<>(round.size());
    try {
      for (int i : round) {
        acks.add(p.send(records.get(i)));
      }
      p.flush();
    } catch (org.apache.kafka.common.errors.InterruptException e) {
      discard(p);
      throw e;
    } catch (KafkaException | IllegalStateException e) {
      // IllegalStateException: another publisher partition's failure closed this producer under us.
      discard(p);
      throw new KafkaPublishException(broker + " refused a batch of " + batch.size()
          + " message(s) after handing over " + (acknowledged + acks.size()) + ": " + Redaction.redact(e.toString()), e);
    }
    int failed = 0;
    int firstFailed = -1;
    Throwable first = null;
    for (int a = 0; a < acks.size(); a++) {
      try {
        acks.get(a).get();
      } catch (ExecutionException e) {
        failed++;
        if (first == null) {
          first = e.getCause();
          firstFailed = round.get(a);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        discard(p);
        throw new org.apache.kafka.common.errors.InterruptException(e);
      }
    }
    if (failed > 0) {
      // A fresh producer for the retry: the old one may hold failed batches whose sequence
      // numbers it would otherwise have to repair, and nothing it still has in flight matters
      // once the whole batch is sent again.
      discard(p);
      int unsent = batch.size() - acknowledged - round.size();
      throw new KafkaPublishException(broker + " did not acknowledge " + failed + " of "
          + batch.size() + " message(s), and did not send the " + unsent + " after them; the first"
          + " was " + batch.get(firstFailed).id() + " of stream " + batch.get(firstFailed).streamId()
          + " to topic " + records.get(firstFailed).topic() + ": " + Redaction.redact(String.valueOf(first)), first);
    }
  }

  /** Closes the producer, waiting up to the delivery timeout for records still in flight. */
  @Override
  public void close() {
    Producer<String, byte[]> p;
    synchronized (lock) {
      closed = true;
      p = producer;
      producer = null;
    }
    if (p != null) {
      p.close(closeTimeout);
    }
  }

  private static Mode mode(Builder b) {
    if (b.format == CloudEventFormat.JSON) {
      return b.mode == null ? Mode.BINARY : b.mode;
    }
    if (b.mode == Mode.BINARY) {
      throw new IllegalStateException("format " + b.format + " is a structured-mode format but "
          + "mode(BINARY) was set: binary mode sends the attributes as ce_ headers and has no "
          + "event format; leave mode(...) out");
    }
    return Mode.STRUCTURED;
  }

  private ProducerRecord<String, byte[]> record(OutgoingMessage m) {
    String topic = topics.apply(m);
    checkTopic(topic, m);
    var writer = KafkaMessageFactory.<String>createWriter(topic, null, null, m.streamId());
    ProducerRecord<String, byte[]> r = mode == Mode.BINARY
        ? writer.writeBinary(m.event())
        : writer.writeStructured(m.event(), format);
    int size = RECORD_OVERHEAD + m.streamId().length() * 3 + (r.value() == null ? 0 : r.value().length);
    for (Header h : r.headers()) {
      size += h.key().length() * 3 + (h.value() == null ? 0 : h.value().length);
    }
    if (size > maxRecordBytes) {
      throw new IllegalArgumentException("message " + m.id() + " of stream " + m.streamId() + " needs about "
          + size + " bytes, more than the producer's max.request.size of " + maxRecordBytes
          + "; raise max.request.size (and the broker's message.max.bytes) with property(...)");
    }
    return r;
  }

  private static void checkTopic(String topic, OutgoingMessage m) {
    if (topic == null || !Topics.isValid(topic)) {
      throw new IllegalArgumentException("topic '" + topic + "' for message " + m.id() + " of stream "
          + m.streamId() + " (category " + m.category() + ") is not a valid Kafka topic name: "
          + Topics.RULE);
    }
  }

  /**
   * Sends the batch as one Kafka transaction: a reader at {@code read_committed} sees all of it
   * or none of it, so a record that failed can never leave a later record of its stream visible
   * before it, and the batch needs no rounds.
   */
  private void sendInTransaction(List<OutgoingMessage> batch, List<ProducerRecord<String, byte[]>> records) {
    synchronized (transactionLock) {
      Producer<String, byte[]> p = producer();
      try {
        p.beginTransaction();
        for (ProducerRecord<String, byte[]> r : records) {
          p.send(r);
        }
        // Flushes, and throws if any record of the transaction failed.
        p.commitTransaction();
      } catch (org.apache.kafka.common.errors.InterruptException e) {
        discard(p);
        throw e;
      } catch (KafkaException | IllegalStateException e) {
        abortQuietly(p);
        discard(p);
        throw new KafkaPublishException(broker + " did not commit the transaction of a "
            + "batch of " + batch.size() + " message(s) (first " + batch.get(0).id() + "); none of them is "
            + "visible to read_committed consumers: " + e, e);
      }
    }
  }

  private void abortQuietly(Producer<String, byte[]> p) {
    try {
      p.abortTransaction();
    } catch (RuntimeException e) {
      // Fenced or broken: the next producer's initTransactions fences this one and ends its
      // transaction on the broker.
      LOG.log(System.Logger.Level.DEBUG, "aborting a failed transaction on " + broker, Redaction.redacted(e));
    }
  }

  private Producer<String, byte[]> producer() {
    synchronized (lock) {
      if (closed) {
        throw new IllegalStateException("KafkaSink for " + broker + " is closed");
      }
      if (producer == null) {
        Producer<String, byte[]> created = new KafkaProducer<>(producerConfig);
        if (transactionalId != null) {
          try {
            // Fences any earlier producer with this id and ends its open transaction.
            created.initTransactions();
          } catch (KafkaException e) {
            created.close(Duration.ZERO);
            throw new KafkaPublishException(broker + " did not start transactions for "
                + "transactional id '" + transactionalId + "': " + e, e);
          }
        }
        producer = created;
      }
      return producer;
    }
  }

  private void discard(Producer<String, byte[]> failed) {
    synchronized (lock) {
      if (producer == failed) {
        producer = null;
      }
    }
    try {
      failed.close(Duration.ZERO);
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.DEBUG, "closing a failed producer for " + broker, Redaction.redacted(e));
    }
  }

  private static Map<String, Object> producerConfig(Builder b) {
    Map<String, Object> c = new HashMap<>();
    c.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    c.putAll(b.properties);
    c.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, b.bootstrapServers);
    c.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    c.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    c.put(ProducerConfig.ACKS_CONFIG, "all");
    c.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    c.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
    c.put(ProducerConfig.RETRIES_CONFIG, Integer.MAX_VALUE);
    long delivery = b.deliveryTimeout.toMillis();
    long linger = Long.parseLong(c.get(ProducerConfig.LINGER_MS_CONFIG).toString());
    if (linger >= delivery) {
      throw new IllegalStateException("linger.ms (" + linger + ") must be below deliveryTimeout ("
          + b.deliveryTimeout + ")");
    }
    // Kafka insists on delivery.timeout.ms >= linger.ms + request.timeout.ms.
    c.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) delivery);
    c.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(30_000, delivery - linger));
    c.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, delivery);
    if (b.clientId != null) {
      c.put(ProducerConfig.CLIENT_ID_CONFIG, b.clientId);
    }
    if (b.transactionalId != null) {
      c.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, b.transactionalId);
      // A transaction left open by a producer that died is aborted by the broker after this.
      c.putIfAbsent(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 60_000);
    }
    return Map.copyOf(c);
  }

  /**
   * Configures a {@link KafkaSink}. Each setter checks its value and names it in its message.
   * A topic choice is required.
   */
  public static final class Builder {

    /**
     * Producer settings the sink decides itself, because its guarantees depend on them.
     */
    private static final Map<String, String> OWNED = Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "it is the builder's argument",
        ProducerConfig.ACKS_CONFIG, "the sink needs acks=all",
        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "the sink needs the idempotent producer",
        ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "the idempotent producer keeps order with at most 5",
        ProducerConfig.RETRIES_CONFIG, "retries are bounded by deliveryTimeout(...)",
        ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "use deliveryTimeout(...)",
        ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "it follows deliveryTimeout(...)",
        ProducerConfig.MAX_BLOCK_MS_CONFIG, "it follows deliveryTimeout(...)",
        ProducerConfig.TRANSACTIONAL_ID_CONFIG, "use transactional(...)",
        ProducerConfig.CLIENT_ID_CONFIG, "use clientId(...)");

    private final String bootstrapServers;
    private Function<OutgoingMessage, String> topics;
    private String topicDescription;
    private Mode mode;
    private CloudEventFormat format = CloudEventFormat.JSON;
    private Duration deliveryTimeout = Duration.ofSeconds(5);
    private String clientId;
    private String transactionalId;
    private final Map<String, Object> properties = new HashMap<>();

    private Builder(String bootstrapServers) {
      this.bootstrapServers = bootstrapServers;
    }

    /**
     * Sends every event to one topic.
     *
     * @throws IllegalArgumentException if it is not a valid topic name
     * @throws IllegalStateException if a topic choice was already made
     */
    public Builder topic(String topic) {
      Topics.require(topic, "topic");
      return topics(m -> topic, "topic " + topic);
    }

    /**
     * Sends each stream category's events to the topic {@code prefix + category}, for example
     * {@code bank.account} with the prefix {@code bank.}.
     *
     * @param prefix text before the category; may be empty
     * @throws IllegalArgumentException if the prefix has characters a topic name cannot have
     * @throws IllegalStateException if a topic choice was already made
     */
    public Builder topicPerCategory(String prefix) {
      Objects.requireNonNull(prefix, "topic prefix must not be null (use \"\" for none)");
      if (!prefix.isEmpty() && !Topics.isValid(prefix)) {
        throw new IllegalArgumentException("topic prefix '" + prefix + "' cannot start a Kafka topic name: "
            + Topics.RULE);
      }
      return topics(m -> prefix + m.category(), "topics " + prefix + "<category>");
    }

    /**
     * Chooses each message's topic with a function of your own. It is called once per message
     * and may not return null; a message's stream must always map to the same topic, or its
     * order is lost.
     *
     * @param description how the choice reads in {@link KafkaSink#describe()}
     * @throws IllegalStateException if a topic choice was already made
     */
    public Builder topics(Function<OutgoingMessage, String> chooser, String description) {
      Objects.requireNonNull(chooser, "topic chooser must not be null");
      Objects.requireNonNull(description, "topic description must not be null");
      if (topics != null) {
        throw new IllegalStateException("the topic was already chosen: " + topicDescription);
      }
      this.topics = chooser;
      this.topicDescription = description;
      return this;
    }

    /**
     * How CloudEvents are laid out in records; {@link Mode#BINARY} by default, structured when a
     * {@link #format format} other than JSON is chosen.
     */
    public Builder mode(Mode mode) {
      this.mode = Objects.requireNonNull(mode, "mode must not be null");
      return this;
    }

    /**
     * The event format of structured mode; JSON by default. Protobuf or Avro write every record
     * in structured mode in that format (no {@link #mode mode} needs to be set); the inbox
     * consumer reads each format by the record's {@code content-type} header.
     */
    public Builder format(CloudEventFormat format) {
      this.format = Objects.requireNonNull(format, "format must not be null");
      return this;
    }

    /**
     * How long {@link KafkaSink#send} waits for the broker before it gives up on a batch
     * (Kafka's {@code delivery.timeout.ms}; also bounds {@code max.block.ms}); 5 s by default.
     * The publisher sends a failed batch again after its backoff, so a short timeout loses
     * nothing. Keep it below the {@code ProjectionRunner}'s lease duration (10 s by default): a
     * publisher that blocks longer than its lease loses its partition while it waits.
     *
     * @throws IllegalArgumentException if below one second
     */
    public Builder deliveryTimeout(Duration timeout) {
      this.deliveryTimeout = KafkaSettings.timeout(timeout, "deliveryTimeout",
          "must be at least 1s (and fit in an int of ms)");
      return this;
    }

    /** The producer's {@code client.id}, as brokers log and meter it; Kafka picks one by default. */
    public Builder clientId(String clientId) {
      this.clientId = KafkaSettings.nonBlank(clientId, "clientId");
      return this;
    }

    /**
     * Sends each batch as one Kafka transaction with this {@code transactional.id}, so that
     * consumers reading at {@code read_committed} (as {@link KafkaInboxConsumer} does) see a batch
     * whole or not at all, and so send a batch in one round trip however many events of one
     * stream it holds (without transactions each stream's events go one round at a time, see
     * docs/messaging.md). The id must be unique among the producers running at once, and stable
     * across restarts of the same publisher: a new producer with the id fences the old one. The
     * brokers need the transaction log (on a single broker: {@code
     * transaction.state.log.replication.factor=1}, {@code transaction.state.log.min.isr=1}).
     */
    public Builder transactional(String transactionalId) {
      this.transactionalId = KafkaSettings.nonBlank(transactionalId, "transactionalId");
      return this;
    }

    /**
     * Any other producer setting, for example {@code security.protocol}, {@code sasl.jaas.config},
     * {@code compression.type}, {@code linger.ms} or {@code max.request.size}.
     *
     * @throws IllegalArgumentException for settings the sink decides itself ({@code acks},
     *     {@code enable.idempotence}, the timeouts, ...), naming why
     */
    public Builder property(String name, Object value) {
      KafkaSettings.refuseOwned(name, value, OWNED, "producer property", "KafkaSink");
      if (name.equals(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG)
          || name.equals(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG)) {
        throw new IllegalArgumentException("producer property " + name
            + " is set by KafkaSink: records are CloudEvents keyed by stream id");
      }
      if (name.equals(ProducerConfig.LINGER_MS_CONFIG)) {
        try {
          Long.parseLong(value.toString());
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("producer property linger.ms must be a whole number of "
              + "milliseconds, was '" + value + "'", e);
        }
      }
      properties.put(name, value);
      return this;
    }

    /**
     * @throws IllegalStateException if no topic choice was made, {@code linger.ms} is not
     *     below the delivery timeout, or binary mode was set with a format other than JSON
     * @throws org.apache.kafka.common.config.ConfigException if Kafka rejects a property
     */
    public KafkaSink build() {
      if (topics == null) {
        throw new IllegalStateException("a KafkaSink needs a topic: topic(\"events\"), "
            + "topicPerCategory(\"prefix.\") or topics(chooser, description)");
      }
      // The sink's constructor parses the settings, so Kafka rejects a bad one here, not at the
      // first send.
      return new KafkaSink(this);
    }
  }
}
