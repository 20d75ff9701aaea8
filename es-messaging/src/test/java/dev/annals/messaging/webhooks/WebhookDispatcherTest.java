package dev.annals.messaging.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class WebhookDispatcherTest {

  @Test
  void a_failure_quoting_a_long_reply_is_stored_cut_short_on_one_line() {
    String reply = "not HTTP: " + "A".repeat(8_000) + "\r\nSet-Cookie: x";
    String stored = WebhookDispatcher.bounded(reply);
    assertThat(stored).hasSizeLessThan(WebhookDispatcher.MAX_ERROR + 30).startsWith("not HTTP: AAA")
        .endsWith("...(" + reply.length() + " chars)").doesNotContain("\r", "\n");
  }

  @Test
  void a_short_failure_keeps_its_text_and_escapes_line_breaks() {
    assertThat(WebhookDispatcher.bounded("HTTP 500\nInjected: line")).isEqualTo("HTTP 500\\u000aInjected: line");
    assertThat(WebhookDispatcher.bounded(null)).isEqualTo("null");
  }
}
