package dev.annals.messaging.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.annals.core.StreamId;
import dev.annals.messaging.CloudEventMapper;
import dev.annals.messaging.OutgoingMessage;
import io.cloudevents.CloudEvent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** What {@link KafkaSink} writes, where, and how it fails. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class KafkaSinkIT {

  @RegisterExtension
  static final KafkaTestBroker kafka = KafkaTestBroker.create();

  private static final StreamId STREAM = Accounts.account(7);

  @Test
  void binary_mode_keys_the_record_by_stream_and_carries_the_attributes_in_headers() throws Exception {
    String topic = topic();
    CloudEvent event = Accounts.event(STREAM, 3, 250);
    try (KafkaSink sink = KafkaSink.builder(kafka.bootstrapServers()).topic(topic).build()) {
      sink.send(List.of(new OutgoingMessage(event, STREAM.toString(), "account")));
    }
    ConsumerRecord<String, byte[]> r = Accounts.read(kafka, topic, 1).get(0);
    assertThat(r.key()).isEqualTo(STREAM.toString());
    assertThat(Accounts.header(r, "ce_id")).isEqualTo(event.getId());
    assertThat(Accounts.header(r, "ce_type")).isEqualTo("bank.Deposited");
    assertThat(Accounts.header(r, "ce_subject")).isEqualTo(STREAM.toString());
    assertThat(Accounts.header(r, "ce_streamversion")).isEqualTo("3");
    assertThat(Accounts.header(r, "content-type")).isEqualTo("application/json");
    assertThat(new String(r.value(), StandardCharsets.UTF_8)).isEqualTo("{\"cents\":250}");
    assertThat(CloudEventRecords.read(r)).isEqualTo(event);
  }

  @Test
  void structured_mode_puts_the_whole_event_as_json_in_the_value() throws Exception {
    String topic = topic();
    CloudEvent event = Accounts.event(STREAM, 1, 5);
    try (KafkaSink sink = KafkaSink.builder(kafka.bootstrapServers()).topic(topic)
        .mode(KafkaSink.Mode.STRUCTURED).build()) {
      sink.send(List.of(new OutgoingMessage(event, STREAM.toString(), "account")));
    }
    ConsumerRecord<String, byte[]> r = Accounts.read(kafka, topic, 1).get(0);
    assertThat(r.key()).isEqualTo(STREAM.toString());
    assertThat(Accounts.header(r, "content-type")).startsWith("application/cloudevents+json");
    assertThat(Accounts.header(r, "ce_id")).isNull();
    assertThat(new String(r.value(), StandardCharsets.UTF_8))
        .contains("\"id\":\"" + event.getId() + "\"").contains("\"data\":{\"cents\":5}");
    CloudEvent read = CloudEventRecords.read(r);
    assertThat(read).as("attributes and extensions read back")
        .usingRecursiveComparison().ignoringFields("data").isEqualTo(event);
    assertThat(CloudEventMapper.dataAsString(read)).isEqualTo("{\"cents\":5}");
  }

  @Test
  void a_topic_per_category_routes_each_category_to_its_own_topic() throws Exception {
    String prefix = "cat-" + UUID.randomUUID().toString().substring(0, 8) + ".";
    kafka.createTopic(prefix + "account", 1);
    kafka.createTopic(prefix + "transfer", 1);
    StreamId transfer = StreamId.of("transfer", "t1");
    try (KafkaSink sink = KafkaSink.builder(kafka.bootstrapServers()).topicPerCategory(prefix).build()) {
      assertThat(sink.describe()).contains(kafka.bootstrapServers()).contains(prefix + "<category>");
      sink.send(List.of(
          new OutgoingMessage(Accounts.event(STREAM, 1, 1), STREAM.toString(), "account"),
          new OutgoingMessage(Accounts.event(transfer, 1, 1), transfer.toString(), "transfer")));
    }
    assertThat(Accounts.read(kafka, prefix + "account", 1)).extracting(ConsumerRecord::key)
        .containsExactly(STREAM.toString());
    assertThat(Accounts.read(kafka, prefix + "transfer", 1)).extracting(ConsumerRecord::key)
        .containsExactly(transfer.toString());
  }

  @Test
  void a_batch_kafka_cannot_take_fails_and_the_same_sink_delivers_once_kafka_can() throws Exception {
    String topic = "late-" + UUID.randomUUID().toString().substring(0, 8);
    OutgoingMessage m = new OutgoingMessage(Accounts.event(STREAM, 1, 1), STREAM.toString(), "account");
    try (KafkaSink sink = KafkaSink.builder(kafka.bootstrapServers()).topic(topic)
        .deliveryTimeout(Duration.ofSeconds(2)).build()) {
      // The topic does not exist yet and the broker does not create topics by itself.
      assertThatThrownBy(() -> sink.send(List.of(m)))
          .isInstanceOf(KafkaPublishException.class)
          .hasMessageContaining(kafka.bootstrapServers())
          .satisfies(e -> assertThat(((KafkaPublishException) e).isRetryable()).isTrue());
      kafka.createTopic(topic, 1);
      sink.send(List.of(m));
    }
    assertThat(Accounts.read(kafka, topic, 1)).extracting(r -> Accounts.header(r, "ce_id"))
        .containsExactly(m.id());
  }

  @Test
  void a_transactional_batch_is_seen_whole_or_not_at_all() throws Exception {
    String there = topic();
    String late = "late-tx-" + UUID.randomUUID().toString().substring(0, 8);
    StreamId other = Accounts.account(8);
    OutgoingMessage first = new OutgoingMessage(Accounts.event(STREAM, 1, 1), STREAM.toString(), "account");
    OutgoingMessage second = new OutgoingMessage(Accounts.event(other, 1, 2), other.toString(), "account");
    try (KafkaSink sink = KafkaSink.builder(kafka.bootstrapServers())
        .topics(m -> m.streamId().equals(STREAM.toString()) ? there : late, "two topics")
        .transactional("sink-it-" + UUID.randomUUID()).deliveryTimeout(Duration.ofSeconds(2)).build()) {
      // The second topic does not exist yet: the transaction fails after the first record went out.
      assertThatThrownBy(() -> sink.send(List.of(first, second)))
          .isInstanceOf(KafkaPublishException.class).hasMessageContaining("none of them is visible");
      kafka.createTopic(late, 1);
      sink.send(List.of(first, second));
    }
    assertThat(Accounts.read(kafka, there, 2)).as("written twice: once aborted, once committed")
        .extracting(r -> Accounts.header(r, "ce_id")).containsExactly(first.id(), first.id());
    assertThat(readCommitted(there, 1)).as("the aborted copy is not seen, the committed one once")
        .extracting(r -> Accounts.header(r, "ce_id")).containsExactly(first.id());
  }

  /** Records of {@code topic} as a read_committed consumer sees them, waiting up to 10 s for {@code count}. */
  private static List<ConsumerRecord<String, byte[]>> readCommitted(String topic, int count) {
    List<ConsumerRecord<String, byte[]>> out = new java.util.ArrayList<>();
    try (var c = new org.apache.kafka.clients.consumer.KafkaConsumer<String, byte[]>(java.util.Map.of(
        "bootstrap.servers", kafka.bootstrapServers(), "group.id", "committed-" + UUID.randomUUID(),
        "auto.offset.reset", "earliest", "enable.auto.commit", false, "isolation.level", "read_committed"),
        new org.apache.kafka.common.serialization.StringDeserializer(),
        new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
      c.subscribe(List.of(topic));
      // Joining the group and the first fetch can take long on a loaded machine: wait for the count
      // with a generous bound, then keep polling a little past it, so that a second copy would show.
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (out.size() < count && System.nanoTime() < deadline) {
        c.poll(Duration.ofMillis(200)).forEach(out::add);
      }
      long past = System.nanoTime() + Duration.ofSeconds(2).toNanos();
      while (System.nanoTime() < past) {
        c.poll(Duration.ofMillis(200)).forEach(out::add);
      }
    }
    return out;
  }

  @Test
  void a_message_larger_than_a_request_fails_the_batch_before_anything_is_sent() throws Exception {
    String topic = topic();
    OutgoingMessage small = new OutgoingMessage(Accounts.event(STREAM, 1, 1), STREAM.toString(), "account");
    CloudEvent big = io.cloudevents.core.builder.CloudEventBuilder.v1(Accounts.event(STREAM, 2, 2))
        .withData(new byte[20_000]).build();
    OutgoingMessage large = new OutgoingMessage(big, STREAM.toString(), "account");
    try (KafkaSink sink = KafkaSink.builder(kafka.bootstrapServers()).topic(topic)
        .property("max.request.size", 10_000).build()) {
      assertThatThrownBy(() -> sink.send(List.of(small, large)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(big.getId()).hasMessageContaining("max.request.size of 10000");
      sink.send(List.of(small));
    }
    assertThat(Accounts.read(kafka, topic, 1)).as("only the later, successful send")
        .extracting(r -> Accounts.header(r, "ce_id")).containsExactly(small.id());
  }

  @Test
  void sending_after_close_is_refused() {
    KafkaSink sink = KafkaSink.builder(kafka.bootstrapServers()).topic("closed").build();
    sink.close();
    assertThatThrownBy(() -> sink.send(List.of(new OutgoingMessage(Accounts.event(STREAM, 1, 1),
        STREAM.toString(), "account")))).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
  }

  private static String topic() {
    String t = "sink-" + UUID.randomUUID().toString().substring(0, 8);
    kafka.createTopic(t, 1);
    return t;
  }
}
