package dev.annals.messaging.nats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

/** What the sink says about itself and its configuration, without a server. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class NatsSinkTest {

  @Test
  void describes_its_server_without_the_password() {
    try (NatsSink sink = NatsSink.builder("nats://alice:s3cret-pw@127.0.0.1:4222").subjectPrefix("bank.events")
        .stream("BANK_EVENTS").build()) {
      assertThat(sink.describe()).doesNotContain("s3cret-pw")
          .isEqualTo("NATS JetStream nats://alice:***@127.0.0.1:4222 subjects 'bank.events.<category>' stream BANK_EVENTS");
    }
  }

  @Test
  void describes_a_server_reached_with_a_bare_token_without_the_token() {
    try (NatsSink sink = NatsSink.builder("nats://s3cret-token@127.0.0.1:4222").subjectPrefix("bank.events").build()) {
      assertThat(sink.describe()).doesNotContain("s3cret-token")
          .isEqualTo("NATS JetStream nats://***@127.0.0.1:4222 subjects 'bank.events.<category>'");
    }
  }

  @Test
  void a_refused_url_is_named_without_its_password() {
    assertThatThrownBy(() -> NatsSink.builder("http://alice:s3cret-pw@127.0.0.1:4222"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("server url 'http://alice:***@127.0.0.1:4222' must start with nats:// or tls://");
    assertThatThrownBy(() -> NatsConsumer.builder("http://alice:s3cret-pw@127.0.0.1:4222", "S", "c", null, null))
        .hasMessageNotContaining("s3cret-pw");
  }
}
