package dev.annals.messaging.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Configuration mistakes surface when building, with a message that names them. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class KafkaBuildersTest {

  @Nested
  class A_sink {

    @Test
    void needs_a_topic() {
      assertThatThrownBy(() -> KafkaSink.builder("localhost:9092").build())
          .isInstanceOf(IllegalStateException.class).hasMessageContaining("topicPerCategory");
    }

    @Test
    void refuses_an_invalid_topic_name() {
      assertThatThrownBy(() -> KafkaSink.builder("localhost:9092").topic("no spaces"))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'no spaces'");
      assertThatThrownBy(() -> KafkaSink.builder("localhost:9092").topicPerCategory("a/b"))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'a/b'");
    }

    @Test
    void describes_its_servers_without_their_password() {
      try (KafkaSink sink = KafkaSink.builder("SASL_SSL://alice:s3cret-pw@kafka-1:9092").topic("t").build()) {
        assertThat(sink.describe()).doesNotContain("s3cret-pw").contains("alice:***@kafka-1:9092", "topic t");
      }
      try (KafkaSink sink = KafkaSink.builder("SASL_SSL://s3cret-token@kafka-1:9092,kafka-2:9092").topic("t")
          .property("sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required "
              + "username=\"alice\" password=\"s3cret-pw\";").build()) {
        assertThat(sink.describe()).doesNotContain("s3cret").contains("SASL_SSL://***@kafka-1:9092,kafka-2:9092");
      }
    }

    @Test
    void takes_one_topic_choice_only() {
      assertThatThrownBy(() -> KafkaSink.builder("localhost:9092").topic("a").topicPerCategory("b."))
          .isInstanceOf(IllegalStateException.class).hasMessageContaining("topic a");
    }

    @Test
    void keeps_the_settings_its_guarantees_rest_on() {
      assertThatThrownBy(() -> KafkaSink.builder("localhost:9092").property("acks", "1"))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("acks=all");
      assertThatThrownBy(() -> KafkaSink.builder("localhost:9092").property("enable.idempotence", false))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("idempotent");
      assertThatThrownBy(() -> KafkaSink.builder("localhost:9092").property("delivery.timeout.ms", 1))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("deliveryTimeout");
    }

    @Test
    void refuses_a_linger_not_below_the_delivery_timeout() {
      assertThatThrownBy(() -> KafkaSink.builder("localhost:9092").topic("t").property("linger.ms", 5_000)
          .deliveryTimeout(Duration.ofSeconds(5)).build())
          .isInstanceOf(IllegalStateException.class).hasMessageContaining("linger.ms (5000)");
    }

    @Test
    void refuses_a_delivery_timeout_below_a_second() {
      assertThatThrownBy(() -> KafkaSink.builder("localhost:9092").deliveryTimeout(Duration.ofMillis(10)))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PT0.01S");
    }
  }

  @Nested
  class A_consumer {

    @Test
    void names_everything_that_is_missing() {
      assertThatThrownBy(() -> KafkaInboxConsumer.builder("localhost:9092", "g").build())
          .isInstanceOf(IllegalStateException.class)
          .hasMessage("KafkaInboxConsumer g needs topics(...), inbox(...), handler(...), deadLetterTopic(...)");
    }

    @Test
    void keeps_offsets_in_its_own_hands() {
      assertThatThrownBy(() -> KafkaInboxConsumer.builder("localhost:9092", "g").property("enable.auto.commit", true))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("after the inbox transaction");
    }

    @Test
    void refuses_unknown_properties() {
      assertThatThrownBy(() -> KafkaInboxConsumer.builder("localhost:9092", "g").property("max.pol.records", 5))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("max.pol.records");
    }

    @Test
    void refuses_a_blank_group() {
      assertThatThrownBy(() -> KafkaInboxConsumer.builder("localhost:9092", " "))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("group");
    }

    @Test
    void refuses_a_bad_retry_policy() {
      assertThatThrownBy(() -> KafkaInboxConsumer.builder("localhost:9092", "g")
          .retries(0, Duration.ofMillis(1), Duration.ofMillis(1)))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxAttempts must be 1 to 100, was 0");
    }
  }
}
