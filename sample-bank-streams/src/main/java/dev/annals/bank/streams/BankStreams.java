package dev.annals.bank.streams;

import dev.annals.bank.streams.MoneyMoved.Sum;
import io.cloudevents.CloudEvent;
import io.cloudevents.kafka.CloudEventDeserializer;
import io.cloudevents.kafka.CloudEventSerializer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KGroupedStream;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.processor.TimestampExtractor;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyWindowStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * The bank's stream processing on Kafka Streams, reading the account events the bank publishes
 * as CloudEvents ({@code BANK_PUBLISH=kafka://...}, topic {@value #INPUT_TOPIC}, keyed by stream
 * id) and working in event time, the CloudEvent's {@code time}:
 *
 * <ul>
 *   <li>money moved per account per hour, in tumbling windows (topic {@value #HOURLY_TOPIC},
 *       store {@value #HOURLY_STORE}) and in hour-long windows advancing every 15 minutes (topic
 *       {@value #HOPPING_TOPIC}, store {@value #HOPPING_STORE}); each update of a window is
 *       written as a {@link MoneyMoved};</li>
 *   <li>{@link Alert}s on topic {@value #ALERTS_TOPIC} when an account shows one of the
 *       {@link Alert.Pattern}s; {@link FreezeOnAlert} feeds them back into the store.</li>
 * </ul>
 *
 * <p>Events up to the grace period late (by event time) still count; later ones are dropped by
 * the windows and ignored by the patterns. Records that are not readable bank CloudEvents are
 * logged and skipped.
 *
 * <pre>{@code
 * BankStreams streams = BankStreams.builder().grace(Duration.ofMinutes(5)).build();
 * KafkaStreams app = new KafkaStreams(streams.topology(),
 *     streams.properties("kafka-1:9092", "bank-streams", stateDir));
 * app.start();
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 */
public final class BankStreams {

  /** Where the bank publishes its account events. */
  public static final String INPUT_TOPIC = "bank.events.account";
  /** Money moved per account, tumbling hour windows. */
  public static final String HOURLY_TOPIC = "bank.money-moved.hourly";
  /** Money moved per account, hour windows every 15 minutes. */
  public static final String HOPPING_TOPIC = "bank.money-moved.hopping";
  /** Alerts, as CloudEvents of type {@value Alert#TYPE}, keyed by the account's stream id. */
  public static final String ALERTS_TOPIC = "bank.alerts";
  /** The queryable window store behind {@link #HOURLY_TOPIC}. */
  public static final String HOURLY_STORE = "money-moved-hourly";
  /** The queryable window store behind {@link #HOPPING_TOPIC}. */
  public static final String HOPPING_STORE = "money-moved-hopping";

  /** The size of the aggregate windows. */
  public static final Duration WINDOW = Duration.ofHours(1);
  /** How far the hopping windows advance. */
  public static final Duration HOP = Duration.ofMinutes(15);
  /** Three refusals this close, first to third, raise an alert. */
  public static final Duration REFUSALS_WITHIN = Duration.ofMinutes(10);
  /** A withdrawal this soon after a deposit... */
  public static final Duration DRAIN_WITHIN = Duration.ofMinutes(1);
  /** ...of at least this share of it, in percent, raises an alert. */
  public static final int DRAIN_PERCENT = 80;

  static final String PATTERN_STORE = "fraud-patterns";

  private static final Serde<Movement> MOVEMENT = Json.serde(Movement.class);
  private static final Serde<Sum> SUM = Json.serde(Sum.class);
  private static final Serde<MoneyMoved> MONEY_MOVED = Json.serde(MoneyMoved.class);
  private static final Serde<PatternDetector.State> PATTERN_STATE = Json.serde(PatternDetector.State.class);

  private final Duration grace;

  private BankStreams(Builder b) {
    this.grace = b.grace;
  }

  /** Starts configuring; by default the grace period is 5 minutes. */
  public static Builder builder() {
    return new Builder();
  }

  /** How late, in event time, an event may arrive and still count. */
  public Duration grace() {
    return grace;
  }

  /** The topics the topology reads and writes; they must exist before it starts. */
  public static List<String> topics() {
    return List.of(INPUT_TOPIC, HOURLY_TOPIC, HOPPING_TOPIC, ALERTS_TOPIC);
  }

  /** A new topology: the windows and the pattern detector over {@value #INPUT_TOPIC}. */
  public Topology topology() {
    StreamsBuilder builder = new StreamsBuilder();
    KStream<String, Movement> movements = builder
        .stream(INPUT_TOPIC, Consumed.with(Serdes.String(), cloudEvents()).withTimestampExtractor(new EventTime()))
        .flatMapValues(Movement::of);

    KGroupedStream<String, Movement> moved = movements
        .filter((account, m) -> m.kind().movesMoney())
        .groupByKey(Grouped.with(Serdes.String(), MOVEMENT));
    window(moved, TimeWindows.ofSizeAndGrace(WINDOW, grace), HOURLY_STORE, HOURLY_TOPIC);
    window(moved, TimeWindows.ofSizeAndGrace(WINDOW, grace).advanceBy(HOP), HOPPING_STORE, HOPPING_TOPIC);

    builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(PATTERN_STORE),
        Serdes.String(), PATTERN_STATE));
    movements
        .process(() -> new PatternDetector(PATTERN_STORE, grace), PATTERN_STORE)
        .mapValues(Alert::toCloudEvent)
        .to(ALERTS_TOPIC, Produced.with(Serdes.String(), cloudEvents()));
    return builder.build();
  }

  private static void window(KGroupedStream<String, Movement> moved, TimeWindows windows, String store,
      String topic) {
    moved.windowedBy(windows)
        .aggregate(() -> Sum.NONE, (account, m, sum) -> sum.plus(m),
            Materialized.<String, Sum, WindowStore<Bytes, byte[]>>as(store)
                .withKeySerde(Serdes.String()).withValueSerde(SUM))
        .toStream()
        .map((window, sum) -> KeyValue.pair(window.key(), new MoneyMoved(window.key(), window.window().startTime(),
            window.window().endTime(), sum.currency(), sum.amount(), sum.movements())))
        .to(topic, Produced.with(Serdes.String(), MONEY_MOVED));
  }

  /**
   * The settings for running {@link #topology()}: exactly-once processing (alerts and window
   * updates are written once per input event, even across crashes), records that are no
   * CloudEvent logged and skipped.
   *
   * @param bootstrapServers Kafka's {@code host:port[,host:port...]}
   * @param applicationId names the consumer group, the internal topics and the state
   * @param stateDirectory where the local state stores live
   */
  public Properties properties(String bootstrapServers, String applicationId, Path stateDirectory) {
    Objects.requireNonNull(bootstrapServers, "bootstrapServers must not be null");
    Objects.requireNonNull(applicationId, "applicationId must not be null");
    Objects.requireNonNull(stateDirectory, "stateDirectory must not be null");
    Properties p = new Properties();
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    p.put(StreamsConfig.STATE_DIR_CONFIG, stateDirectory.toString());
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndContinueExceptionHandler.class);
    return p;
  }

  /**
   * The tumbling hour windows of one account whose start lies in {@code [from, to]}, oldest first,
   * from the running application's store.
   *
   * @param account the account id, without the {@code account-} category
   */
  public static List<MoneyMoved> hourly(KafkaStreams streams, String account, Instant from, Instant to) {
    return read(store(streams, HOURLY_STORE), account, from, to);
  }

  /** {@link #hourly}, for the hopping windows. */
  public static List<MoneyMoved> hopping(KafkaStreams streams, String account, Instant from, Instant to) {
    return read(store(streams, HOPPING_STORE), account, from, to);
  }

  private static ReadOnlyWindowStore<String, Sum> store(KafkaStreams streams, String name) {
    return streams.store(StoreQueryParameters.fromNameAndType(name, QueryableStoreTypes.<String, Sum>windowStore()));
  }

  static List<MoneyMoved> read(ReadOnlyWindowStore<String, Sum> store, String account, Instant from, Instant to) {
    String key = dev.annals.bank.domain.Account.TYPE.streamId(account).toString();
    List<MoneyMoved> windows = new ArrayList<>();
    try (WindowStoreIterator<Sum> it = store.fetch(key, from, to)) {
      while (it.hasNext()) {
        KeyValue<Long, Sum> next = it.next();
        Instant start = Instant.ofEpochMilli(next.key);
        windows.add(new MoneyMoved(key, start, start.plus(WINDOW), next.value.currency(), next.value.amount(),
            next.value.movements()));
      }
    }
    return windows;
  }

  private static Serde<CloudEvent> cloudEvents() {
    return Serdes.serdeFrom(new CloudEventSerializer(), new CloudEventDeserializer());
  }

  /** Event time: the CloudEvent's {@code time}; the record's own timestamp only if it has none. */
  static final class EventTime implements TimestampExtractor {
    @Override
    public long extract(org.apache.kafka.clients.consumer.ConsumerRecord<Object, Object> record, long partitionTime) {
      if (record.value() instanceof CloudEvent event && event.getTime() != null) {
        return event.getTime().toInstant().toEpochMilli();
      }
      return record.timestamp();
    }
  }

  /** Configures {@link BankStreams}; each setter checks its value. */
  public static final class Builder {
    private Duration grace = Duration.ofMinutes(5);

    private Builder() {}

    /**
     * How late, in event time, an event may arrive and still count in its window and patterns.
     *
     * @throws IllegalArgumentException if negative or longer than the window
     */
    public Builder grace(Duration grace) {
      Objects.requireNonNull(grace, "grace must not be null");
      if (grace.isNegative() || grace.compareTo(WINDOW) > 0) {
        throw new IllegalArgumentException("grace must be 0 to " + WINDOW + ", was " + grace);
      }
      this.grace = grace;
      return this;
    }

    /** The configured processing. */
    public BankStreams build() {
      return new BankStreams(this);
    }
  }
}
