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
