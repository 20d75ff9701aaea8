package dev.annals.messaging.docs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.annals.messaging.CloudEventMapper;
import dev.annals.messaging.Fixtures;
import dev.annals.messaging.webhooks.WebhookSignature;
import dev.annals.testkit.internal.Snippets;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Keeps the Java of docs/messaging.md true: every {@code ```java} block there is marked
 * {@code <!-- snippet: NAME -->} and equals the region tagged NAME in the compiling examples of
 * this package or of the {@code docs} packages of es-messaging-kafka, sample-bank-streams,
 * es-messaging-sqs and es-web (read here as text; those modules compile them).
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class MessagingGuideTest {

  static final String GUIDE = "docs/messaging.md";
  static final List<String> SOURCES = List.of("es-messaging/src/test/java/dev/annals/messaging/docs",
      "es-messaging-kafka/src/test/java/dev/annals/messaging/kafka/docs",
      "sample-bank-streams/src/test/java/dev/annals/bank/streams/docs",
      "es-messaging-sqs/src/test/java/dev/annals/messaging/sqs/docs",
      "es-web/src/test/java/dev/annals/web/docs");

  static Path guide() {
    return Snippets.root().resolve(GUIDE);
  }

  @TestFactory
  Stream<DynamicTest> every_snippet_of_the_guide_equals_its_tagged_region() {
    Map<String, Snippets.Region> regions = Snippets.regions(SOURCES.toArray(String[]::new));
    return Snippets.blocks(guide(), "snippet").stream().map(block -> dynamicTest(block.name(),
        () -> Snippets.mismatch(block, regions).ifPresent(problem -> fail(problem))));
  }

  @Test
  void every_java_block_of_the_guide_is_a_checked_snippet() {
    assertThat(Snippets.unmarkedJavaBlocks(guide()))
        .as("lines of %s with a ```java block not preceded by <!-- snippet: NAME -->", GUIDE)
        .isEmpty();
    // Guards against a wrong path or marker format making the checks above pass vacuously.
    assertThat(Snippets.blocks(guide(), "snippet")).hasSizeGreaterThanOrEqualTo(11);
  }

  @Test
  void the_mapper_of_the_guide_builds() {
    CloudEventMapper mapper = MessagingGuideExamples.mapper(Fixtures.registry());
    assertThat(mapper.source()).hasToString("urn:bank:accounts");
  }

  @Test
  void the_receivers_verifier_of_the_guide_accepts_what_webhooks_sign_and_nothing_else() throws Exception {
    String secret = WebhookSignature.newSecret();
    byte[] body = "{\"id\":\"e-1\"}".getBytes(StandardCharsets.UTF_8);
    long now = Instant.now().getEpochSecond();
    String signature = WebhookSignature.sign(secret, "e-1", now, body);

    assertThat(WebhookVerifier.verify(secret, "e-1", Long.toString(now), signature, body)).isTrue();
    assertThat(WebhookVerifier.verify(secret, "e-2", Long.toString(now), signature, body)).as("other id").isFalse();
    assertThat(WebhookVerifier.verify(WebhookSignature.newSecret(), "e-1", Long.toString(now), signature, body))
        .as("other secret").isFalse();
    long stale = now - 3600;
    assertThat(WebhookVerifier.verify(secret, "e-1", Long.toString(stale),
        WebhookSignature.sign(secret, "e-1", stale, body), body)).as("an hour old").isFalse();
  }
}
