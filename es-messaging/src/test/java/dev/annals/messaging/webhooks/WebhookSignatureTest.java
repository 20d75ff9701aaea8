package dev.annals.messaging.webhooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class WebhookSignatureTest {

  static final byte[] BODY = "{\"id\":\"1\"}".getBytes(StandardCharsets.UTF_8);
  static final Instant NOW = Instant.parse("2026-01-02T03:04:05Z");
  static final Duration TOLERANCE = Duration.ofMinutes(5);

  final String secret = WebhookSignature.newSecret();
  final String signature = WebhookSignature.sign(secret, "msg-1", NOW.getEpochSecond(), BODY);

  boolean verify(String secret, String id, Instant at, String signature, byte[] body) {
    return WebhookSignature.verify(secret, id, Long.toString(at.getEpochSecond()), signature, body,
        TOLERANCE, NOW);
  }

  @Test
  void verifies_with_the_shared_secret() {
    assertThat(signature).startsWith("v1,");
    assertThat(verify(secret, "msg-1", NOW, signature, BODY)).isTrue();
  }

  @Test
  void fails_with_another_secret_another_id_or_another_body() {
    assertThat(verify(WebhookSignature.newSecret(), "msg-1", NOW, signature, BODY)).isFalse();
    assertThat(verify(secret, "msg-2", NOW, signature, BODY)).isFalse();
    assertThat(verify(secret, "msg-1", NOW, signature, "{\"id\":\"2\"}".getBytes(StandardCharsets.UTF_8))).isFalse();
  }

  @Test
  void fails_when_the_timestamp_is_outside_the_tolerance_even_if_re_signed_for_it() {
    Instant old = NOW.minus(Duration.ofMinutes(6));
    String forOld = WebhookSignature.sign(secret, "msg-1", old.getEpochSecond(), BODY);
    assertThat(verify(secret, "msg-1", old, forOld, BODY)).isFalse();
    Instant recent = NOW.minus(Duration.ofMinutes(4));
    assertThat(verify(secret, "msg-1", recent, WebhookSignature.sign(secret, "msg-1", recent.getEpochSecond(), BODY), BODY))
        .isTrue();
  }

  @Test
  void accepts_any_of_several_signatures_so_secrets_can_be_rotated() {
    String rotated = WebhookSignature.sign("an-older-secret-of-16+", "msg-1", NOW.getEpochSecond(), BODY) + " " + signature;
    assertThat(verify(secret, "msg-1", NOW, rotated, BODY)).isTrue();
  }

  @Test
  void malformed_headers_do_not_verify() {
    assertThat(WebhookSignature.verify(secret, "msg-1", "yesterday", signature, BODY, TOLERANCE, NOW)).isFalse();
    assertThat(verify(secret, "msg-1", NOW, "v1,not base64!", BODY)).isFalse();
    assertThat(verify(secret, "msg-1", NOW, "v2," + signature.substring(3), BODY)).isFalse();
    assertThat(WebhookSignature.verify(secret, null, "1", signature, BODY, TOLERANCE, NOW)).isFalse();
  }

  @Test
  void a_whsec_secret_must_be_base64() {
    assertThatThrownBy(() -> WebhookSignature.sign("whsec_???", "msg-1", 1, BODY))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("base64");
  }
}
