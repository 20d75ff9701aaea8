package dev.annals.messaging.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.annals.core.StreamId;
import dev.annals.messaging.CloudEventFormat;
import dev.annals.messaging.CloudEventMapper;
import dev.annals.messaging.OutgoingMessage;
import dev.annals.messaging.inbox.Inbox;
import dev.annals.messaging.inbox.MessageHandler;
import dev.annals.testkit.PostgresTestDatabase;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.core.format.EventFormat;
import io.cloudevents.jackson.JsonFormat;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** JSON, Protobuf and Avro in structured mode through the in-test Kafka broker, read by content-type. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class KafkaFormatsIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  @RegisterExtension
  static final KafkaTestBroker kafka = KafkaTestBroker.create();

  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final StreamId STREAM = Accounts.account(1);
  private static final String TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

  private String schema;
  private Jdbi jdbi;
  private Inbox inbox;
  private String topic;
  private String dlt;

  @BeforeEach
  void freshSchemaAndTopics() {
    schema = db.newSchema();
    inbox = Inbox.install(db.dataSource(), schema);
    jdbi = inbox.jdbi();
    Accounts.createReceived(jdbi, schema);
    String id = UUID.randomUUID().toString().substring(0, 8);
    topic = "fmt-" + id;
    dlt = "fmt-" + id + "-dlt";
    kafka.createTopic(topic, 1);
    kafka.createTopic(dlt, 1);
  }

  static CloudEvent traced(long version, long cents) {
    return CloudEventBuilder.v1(Accounts.event(STREAM, version, cents))
        .withTime(OffsetDateTime.parse("2026-03-04T05:06:07.123456Z"))
        .withExtension(CloudEventMapper.TRACEPARENT, TRACEPARENT)
        .withExtension(CloudEventMapper.TRACESTATE, "bank=1")
        .withExtension(CloudEventMapper.CORRELATION_ID, "corr-" + version)
        .build();
  }

  @ParameterizedTest
  @EnumSource(CloudEventFormat.class)
  void every_attribute_arrives_in_each_format_and_a_second_copy_has_no_effect(CloudEventFormat format)
      throws Exception {
    List<CloudEvent> events = List.of(traced(1, 100), traced(2, 250));
    List<OutgoingMessage> batch = events.stream()
        .map(e -> new OutgoingMessage(e, e.getSubject(), "account")).toList();
    Map<String, CloudEvent> arrived = new ConcurrentHashMap<>();
    MessageHandler record = Accounts.recordInto(schema);
    try (KafkaSink sink = KafkaSink.builder(kafka.bootstrapServers()).topic(topic)
            .mode(KafkaSink.Mode.STRUCTURED).format(format).build();
        KafkaInboxConsumer consumer = consumer("formats", (e, h) -> {
          arrived.put(e.getId(), e);
          record.handle(e, h);
        })) {
      sink.send(batch);
      sink.send(batch);
      consumer.start();
      Accounts.await("two effects and two duplicates", WAIT,
          () -> consumer.counts().handled() == 2 && consumer.counts().duplicates() == 2);
      assertThat(consumer.counts().deadLettered()).isZero();
    }
    assertThat(Accounts.receivedCount(jdbi, schema)).isEqualTo(2);
    for (CloudEvent sent : events) {
      CloudEvent got = arrived.get(sent.getId());
      assertThat(got).as("event %s", sent.getId()).isNotNull();
      CloudEvent asBytes = CloudEventBuilder.v1(got).withData(got.getData().toBytes()).build();
      assertThat(asBytes).as("event as it arrived in %s", format).isEqualTo(sent);
    }
    ConsumerRecord<String, byte[]> first = Accounts.read(kafka, topic, 1).get(0);
    assertThat(Accounts.header(first, "content-type")).isEqualTo(format.contentType());
    assertThat(first.key()).as("the stream id stays the key").isEqualTo(STREAM.toString());
  }

  @Test
  void crafted_records_go_to_the_dead_letter_topic_with_a_clear_error_and_the_consumer_goes_on()
      throws Exception {
    CloudEvent good = traced(1, 100);
    EventFormat json = new JsonFormat();
    byte[] huge = new byte[512 * 1024];
    new Random(7).nextBytes(huge);
    try (KafkaProducer<String, byte[]> raw = rawProducer()) {
      byte[] protobuf = structured(good, CloudEventFormat.PROTOBUF);
      raw.send(record(CloudEventFormat.PROTOBUF.contentType(), Arrays.copyOf(protobuf, protobuf.length - 9))).get();
      raw.send(record(CloudEventFormat.AVRO.contentType(),
          new byte[] {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x08, 'a', 'b', 'c'})).get();
      raw.send(record(CloudEventFormat.AVRO.contentType(), huge)).get();
      raw.send(record(CloudEventFormat.PROTOBUF.contentType(), json.serialize(good))).get();
      raw.send(record(CloudEventFormat.AVRO.contentType(), structured(good, CloudEventFormat.AVRO))).get();
    }
    try (KafkaInboxConsumer consumer = consumer("crafted", Accounts.recordInto(schema))) {
      consumer.start();
      Accounts.await("the good record handled and four dead", WAIT,
          () -> consumer.counts().handled() == 1 && consumer.counts().deadLettered() == 4);
    }
    List<String> errors = Accounts.read(kafka, dlt, 4).stream()
        .map(r -> Accounts.header(r, KafkaInboxConsumer.ERROR_HEADER)).toList();
    assertThat(errors).hasSize(4);
    assertThat(errors).filteredOn(e -> e.contains("not a structured-mode PROTOBUF event")).hasSize(2);
    assertThat(errors).anySatisfy(e -> assertThat(e).contains("not a structured-mode AVRO event",
        "claims more bytes than the 8 it has"));
    assertThat(errors).allSatisfy(e -> assertThat(e.length()).as("an error about a 512 KiB body")
        .isLessThan(2_000));
    assertThat(Accounts.receivedCount(jdbi, schema)).isEqualTo(1);
  }

  private static byte[] structured(CloudEvent event, CloudEventFormat format) {
    return dev.annals.messaging.internal.CloudEventCodec.eventFormat(format).serialize(event);
  }

  private ProducerRecord<String, byte[]> record(String contentType, byte[] value) {
    ProducerRecord<String, byte[]> r = new ProducerRecord<>(topic, STREAM.toString(), value);
    r.headers().add("content-type", contentType.getBytes(StandardCharsets.UTF_8));
    return r;
  }

  private KafkaInboxConsumer consumer(String group, MessageHandler handler) {
    return KafkaInboxConsumer.builder(kafka.bootstrapServers(), group)
        .topics(topic)
        .inbox(inbox)
        .handler(handler)
        .deadLetterTopic(dlt)
        .retries(3, Duration.ofMillis(20), Duration.ofMillis(100))
        .build();
  }

  private static KafkaProducer<String, byte[]> rawProducer() {
    return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
        new StringSerializer(), new ByteArraySerializer());
  }
}
