package dev.annals.messaging.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.annals.core.StreamId;
import dev.annals.messaging.OutgoingMessage;
import dev.annals.messaging.inbox.Inbox;
import dev.annals.messaging.inbox.MessageHandler;
import dev.annals.testkit.PostgresTestDatabase;
import io.cloudevents.CloudEvent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
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

/** The consuming side on its own: deduplication, dead letters, retries and committed offsets. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class KafkaInboxConsumerIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  @RegisterExtension
  static final KafkaTestBroker kafka = KafkaTestBroker.create();

  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final StreamId STREAM = Accounts.account(1);

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
    topic = "in-" + id;
    dlt = "in-" + id + "-dlt";
    kafka.createTopic(topic, 2);
    kafka.createTopic(dlt, 1);
  }

  @Test
  void a_redelivered_message_is_ignored_by_the_inbox() throws Exception {
    CloudEvent event = Accounts.event(STREAM, 1, 100);
    AtomicInteger calls = new AtomicInteger();
    MessageHandler record = Accounts.recordInto(schema);
    try (KafkaSink sink = sink(KafkaSink.Mode.BINARY);
        KafkaInboxConsumer consumer = consumer("dedupe", (e, h) -> {
          calls.incrementAndGet();
          record.handle(e, h);
        })) {
      sink.send(List.of(message(event)));
      sink.send(List.of(message(event)));
      consumer.start();
      Accounts.await("both copies consumed", WAIT,
          () -> consumer.counts().handled() + consumer.counts().duplicates() == 2);
      assertThat(consumer.counts().handled()).isEqualTo(1);
      assertThat(consumer.counts().duplicates()).isEqualTo(1);
    }
    assertThat(calls.get()).as("handler calls").isEqualTo(1);
    assertThat(Accounts.receivedCount(jdbi, schema)).isEqualTo(1);
    assertThat(inbox.seen("dedupe", event.getId())).isTrue();
  }

  @Test
  void a_record_that_is_not_a_cloudevent_goes_to_the_dead_letter_topic_and_the_consumer_moves_on() throws Exception {
    byte[] garbage = "definitely not a CloudEvent".getBytes(StandardCharsets.UTF_8);
    try (KafkaProducer<String, byte[]> raw = rawProducer()) {
      raw.send(new ProducerRecord<>(topic, STREAM.toString(), garbage)).get();
    }
    try (KafkaSink sink = sink(KafkaSink.Mode.BINARY);
        KafkaInboxConsumer consumer = consumer("garbage", Accounts.recordInto(schema))) {
      sink.send(List.of(message(Accounts.event(STREAM, 1, 100))));
      consumer.start();
      Accounts.await("the good message handled", WAIT, () -> consumer.counts().handled() == 1);
      assertThat(consumer.counts().deadLettered()).isEqualTo(1);
    }
    List<ConsumerRecord<String, byte[]>> dead = Accounts.read(kafka, dlt, 1);
    assertThat(dead).hasSize(1);
    ConsumerRecord<String, byte[]> d = dead.get(0);
    assertThat(d.key()).isEqualTo(STREAM.toString());
    assertThat(d.value()).isEqualTo(garbage);
    assertThat(Accounts.header(d, KafkaInboxConsumer.REASON_HEADER)).isEqualTo("not-a-cloudevent");
    assertThat(Accounts.header(d, KafkaInboxConsumer.ERROR_HEADER)).contains("ce_specversion");
    assertThat(Accounts.header(d, KafkaInboxConsumer.ORIGIN_HEADER)).startsWith(topic + "/");
    assertThat(Accounts.header(d, KafkaInboxConsumer.GROUP_HEADER)).isEqualTo("garbage");
    assertThat(Accounts.receivedCount(jdbi, schema)).isEqualTo(1);
  }

  @Test
  void a_message_whose_handler_keeps_failing_goes_to_the_dead_letter_topic_with_the_error_and_its_stream_goes_on()
      throws Exception {
    CloudEvent poison = Accounts.event(STREAM, 1, -5);
    CloudEvent next = Accounts.event(STREAM, 2, 100);
    AtomicInteger poisonCalls = new AtomicInteger();
    MessageHandler record = Accounts.recordInto(schema);
    try (KafkaSink sink = sink(KafkaSink.Mode.BINARY);
        KafkaInboxConsumer consumer = consumer("poison", (e, h) -> {
          record.handle(e, h);
          if (e.getId().equals(poison.getId())) {
            poisonCalls.incrementAndGet();
            throw new IllegalArgumentException("negative deposit of -5 cents (ledger "
                + "jdbc:postgresql://ledger/bank?user=app&password=ledger-pa55)");
          }
        })) {
      sink.send(List.of(message(poison), message(next)));
      consumer.start();
      Accounts.await("the next message handled", WAIT, () -> consumer.counts().handled() == 1);
      assertThat(consumer.counts().deadLettered()).isEqualTo(1);
      assertThat(consumer.counts().lastError()).isEmpty();
    }
    assertThat(poisonCalls.get()).as("tries of the poison message").isEqualTo(3);
    assertThat(Accounts.versionsByStream(jdbi, schema))
        .as("the poison message's effect rolled back, the next one committed")
        .isEqualTo(Map.of(STREAM.toString(), List.of(2L)));
    assertThat(inbox.seen("poison", poison.getId())).as("the poison message is not marked as seen").isFalse();

    List<ConsumerRecord<String, byte[]>> dead = Accounts.read(kafka, dlt, 1);
    assertThat(dead).hasSize(1);
    ConsumerRecord<String, byte[]> d = dead.get(0);
    assertThat(Accounts.header(d, "ce_id")).as("the dead letter is still the CloudEvent").isEqualTo(poison.getId());
    assertThat(Accounts.header(d, KafkaInboxConsumer.REASON_HEADER)).isEqualTo("handler-failed");
    assertThat(Accounts.header(d, KafkaInboxConsumer.ATTEMPTS_HEADER)).isEqualTo("3");
    assertThat(Accounts.header(d, KafkaInboxConsumer.ERROR_HEADER))
        .as("the error header, its password hidden (with the rest of the value: a password may hold ')')")
        .isEqualTo("java.lang.IllegalArgumentException: negative deposit of -5 cents (ledger "
            + "jdbc:postgresql://ledger/bank?user=app&password=***");
    assertThat(CloudEventRecords.read(d).getId()).isEqualTo(poison.getId());
  }

  @Test
  void a_handler_that_fails_and_then_succeeds_takes_effect_once_without_a_dead_letter() throws Exception {
    Map<String, AtomicInteger> tries = new ConcurrentHashMap<>();
    MessageHandler record = Accounts.recordInto(schema);
    try (KafkaSink sink = sink(KafkaSink.Mode.BINARY);
        KafkaInboxConsumer consumer = consumer("flaky", (e, h) -> {
          record.handle(e, h);
          if (tries.computeIfAbsent(e.getId(), k -> new AtomicInteger()).incrementAndGet() < 3) {
            throw new IllegalStateException("not yet");
          }
        })) {
      sink.send(List.of(message(Accounts.event(STREAM, 1, 1)), message(Accounts.event(STREAM, 2, 2))));
      consumer.start();
      Accounts.await("both handled", WAIT, () -> consumer.counts().handled() == 2);
      assertThat(consumer.counts().deadLettered()).isZero();
    }
    assertThat(Accounts.versionsByStream(jdbi, schema)).isEqualTo(Map.of(STREAM.toString(), List.of(1L, 2L)));
  }

  @Test
  void structured_mode_messages_are_consumed_like_binary_ones() throws Exception {
    try (KafkaSink structured = sink(KafkaSink.Mode.STRUCTURED);
        KafkaSink binary = sink(KafkaSink.Mode.BINARY);
        KafkaInboxConsumer consumer = consumer("modes", Accounts.recordInto(schema))) {
      structured.send(List.of(message(Accounts.event(STREAM, 1, 1))));
      binary.send(List.of(message(Accounts.event(STREAM, 2, 2))));
      structured.send(List.of(message(Accounts.event(STREAM, 3, 3))));
      consumer.start();
      Accounts.await("all handled", WAIT, () -> consumer.counts().handled() == 3);
    }
    assertThat(Accounts.versionsByStream(jdbi, schema)).isEqualTo(Map.of(STREAM.toString(), List.of(1L, 2L, 3L)));
  }

  @Test
  void a_new_consumer_of_the_group_starts_after_what_the_last_one_committed() throws Exception {
    try (KafkaSink sink = sink(KafkaSink.Mode.BINARY)) {
      try (KafkaInboxConsumer first = consumer("resume", Accounts.recordInto(schema))) {
        sink.send(List.of(message(Accounts.event(STREAM, 1, 1)), message(Accounts.event(STREAM, 2, 2))));
        first.start();
        Accounts.await("the first two handled", WAIT, () -> first.counts().handled() == 2);
      }
      sink.send(List.of(message(Accounts.event(STREAM, 3, 3))));
      try (KafkaInboxConsumer second = consumer("resume", Accounts.recordInto(schema))) {
        second.start();
        Accounts.await("the third handled", WAIT, () -> second.counts().handled() == 1);
        assertThat(second.counts().duplicates()).as("records redelivered to the second consumer").isZero();
      }
    }
    assertThat(Accounts.versionsByStream(jdbi, schema)).isEqualTo(Map.of(STREAM.toString(), List.of(1L, 2L, 3L)));
  }

  @Test
  void a_dead_letter_topic_that_is_also_consumed_is_refused() {
    assertThatThrownBy(() -> KafkaInboxConsumer.builder(kafka.bootstrapServers(), "loop")
        .topics(topic).inbox(inbox).handler(Accounts.recordInto(schema)).deadLetterTopic(topic).build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("would come back forever");
  }

  private KafkaSink sink(KafkaSink.Mode mode) {
    return KafkaSink.builder(kafka.bootstrapServers()).topic(topic).mode(mode).build();
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

  private static OutgoingMessage message(CloudEvent event) {
    return new OutgoingMessage(event, event.getSubject(), "account");
  }

  private static KafkaProducer<String, byte[]> rawProducer() {
    return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
        new StringSerializer(), new ByteArraySerializer());
  }
}
