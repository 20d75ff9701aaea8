package dev.annals.messaging.kafka;

import dev.annals.core.EventRegistry;
import dev.annals.core.ExpectedVersion;
import dev.annals.core.NewEvent;
import dev.annals.core.StreamId;
import dev.annals.messaging.CloudEventMapper;
import dev.annals.messaging.inbox.MessageHandler;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.projections.ProjectionRunner;
import dev.annals.testkit.Await;
import dev.annals.testkit.PostgresTestDatabase;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jdbi.v3.core.Jdbi;

/** Events, stores, a received-events table and Kafka helpers shared by the tests. */
final class Accounts {

  /** Money paid into an account (the stream). */
  record Deposited(long cents) {}

  private Accounts() {}

  static EventRegistry registry() {
    return EventRegistry.builder().register(Deposited.class, "Deposited").build();
  }

  static CloudEventMapper mapper() {
    return CloudEventMapper.builder(registry()).source("urn:test:accounts").typePrefix("bank.").build();
  }

  static PostgresEventStore store(PostgresTestDatabase db, String schema) {
    return PostgresEventStore.builder(registry()).jdbcUrl(db.jdbcUrl()).poolSize(4).schema(schema)
        .installSchema(true).connectionTimeout(Duration.ofSeconds(30)).build();
  }

  static StreamId account(int n) {
    return StreamId.of("account", "a" + n);
  }

  /** Appends {@code perStream} deposits to each of {@code streams} accounts, in chunks, streams interleaved. */
  static void deposit(PostgresEventStore store, int streams, int perStream, int chunk) {
    for (int from = 0; from < perStream; from += chunk) {
      for (int s = 0; s < streams; s++) {
        List<NewEvent> events = new ArrayList<>();
        for (int i = from; i < Math.min(perStream, from + chunk); i++) {
          events.add(NewEvent.of(new Deposited(i + 1)));
        }
        store.append(account(s), ExpectedVersion.any(), events);
      }
    }
  }

  /**
   * A runner with fast polling. Its lease stays at the default 10 s: longer than the sinks'
   * delivery timeout, so a publisher waiting for an absent broker keeps its partition.
   */
  static ProjectionRunner.Builder runner(PostgresEventStore store, String node) {
    return ProjectionRunner.builder(store).nodeId(node).installSchema(true)
        .leaseDuration(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(5), Duration.ofMillis(50))
        .rebuildProgress(p -> {}, Duration.ofSeconds(5));
  }

  /**
   * Creates {@code schema.received}: one row per effect, in the order the effects committed
   * ({@code seq}); the event id is unique, so a second effect of one event fails.
   */
  static void createReceived(Jdbi jdbi, String schema) {
    jdbi.useHandle(h -> h.execute("CREATE TABLE " + schema + ".received (seq bigserial PRIMARY KEY, "
        + "stream text NOT NULL, version bigint NOT NULL, event_id uuid NOT NULL UNIQUE)"));
  }

  /** A handler that records each message in {@code schema.received}. */
  static MessageHandler recordInto(String schema) {
    return (event, handle) -> handle.execute("INSERT INTO " + schema + ".received (stream, version, event_id) "
        + "VALUES (?, ?, ?)", CloudEventMapper.streamId(event).toString(), CloudEventMapper.streamVersion(event),
        CloudEventMapper.eventId(event));
  }

  static long receivedCount(Jdbi jdbi, String schema) {
    return jdbi.withHandle(h -> h.createQuery("SELECT count(*) FROM " + schema + ".received")
        .mapTo(Long.class).one());
  }

  /** stream → the versions whose effects committed, in commit order. */
  static Map<String, List<Long>> versionsByStream(Jdbi jdbi, String schema) {
    Map<String, List<Long>> out = new TreeMap<>();
    jdbi.useHandle(h -> h.createQuery("SELECT stream, version FROM " + schema + ".received ORDER BY seq")
        .map((rs, ctx) -> Map.entry(rs.getString(1), rs.getLong(2)))
        .forEach(e -> out.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue())));
    return out;
  }

  /** stream → 1..perStream, what {@link #versionsByStream} must equal after a complete delivery. */
  static Map<String, List<Long>> expectedVersions(int streams, int perStream) {
    Map<String, List<Long>> out = new TreeMap<>();
    for (int s = 0; s < streams; s++) {
      List<Long> versions = new ArrayList<>();
      for (long v = 1; v <= perStream; v++) {
        versions.add(v);
      }
      out.put(account(s).toString(), versions);
    }
    return out;
  }

  /** A CloudEvent as a publisher would make it, for tests that produce by hand. */
  static CloudEvent event(StreamId stream, long version, long cents) {
    return CloudEventBuilder.v1()
        .withId(UUID.randomUUID().toString())
        .withSource(URI.create("urn:test:accounts"))
        .withType("bank.Deposited")
        .withSubject(stream.toString())
        .withDataContentType("application/json")
        .withData(("{\"cents\":" + cents + "}").getBytes(StandardCharsets.UTF_8))
        .withExtension(CloudEventMapper.STREAM_VERSION, Long.toString(version))
        .withExtension(CloudEventMapper.POSITION, Long.toString(version))
        .build();
  }

  /** Reads records from the start of {@code topic} until {@code count} arrived or the time is up. */
  static List<ConsumerRecord<String, byte[]>> read(KafkaTestBroker kafka, String topic, int count) {
    List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, "reader-" + UUID.randomUUID(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false), new StringDeserializer(), new ByteArrayDeserializer())) {
      c.subscribe(List.of(topic));
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (out.size() < count && System.nanoTime() < deadline) {
        c.poll(Duration.ofMillis(200)).forEach(out::add);
      }
    }
    return out;
  }

  static String header(ConsumerRecord<?, ?> r, String name) {
    var h = r.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  /** Waits for a condition, failing with {@code what} after {@code timeout}. */
  static void await(String what, Duration timeout, BooleanSupplier condition) {
    Await.until(what, timeout, condition);
  }
}
