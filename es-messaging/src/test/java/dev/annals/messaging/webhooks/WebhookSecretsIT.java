package dev.annals.messaging.webhooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.annals.core.StreamId;
import dev.annals.messaging.Fixtures;
import dev.annals.messaging.MessagingSchema;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.postgres.internal.SchemaScripts;
import dev.annals.projections.ProjectionRunner;
import dev.annals.testkit.PostgresTestDatabase;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Webhook secrets at rest: sealed with the application's key, never in plain text. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class WebhookSecretsIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  static final StreamId ACCOUNT = StreamId.of("account", "s1");

  PostgresEventStore store;
  String schema;
  HttpServer server;
  /** Whether each request's signature verified with the receiver's copy of the secret. */
  final List<Boolean> verified = new CopyOnWriteArrayList<>();
  final String secret = WebhookSignature.newSecret();
  final WebhookSecretKey key = WebhookSecretKey.generate();
  volatile int status = 200;

  @BeforeEach
  void setUp() throws Exception {
    schema = db.newSchema();
    store = Fixtures.store(db, schema);
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", exchange -> {
      byte[] body = exchange.getRequestBody().readAllBytes();
      var h = exchange.getRequestHeaders();
      verified.add(WebhookSignature.verify(secret, h.getFirst(WebhookSignature.ID_HEADER),
          h.getFirst(WebhookSignature.TIMESTAMP_HEADER), h.getFirst(WebhookSignature.SIGNATURE_HEADER), body,
          Duration.ofMinutes(5), Instant.now()));
      exchange.sendResponseHeaders(status, -1);
      exchange.close();
    });
    server.start();
  }

  @AfterEach
  void tearDown() {
    server.stop(0);
    store.close();
  }

  Webhooks.Builder webhooks(WebhookSecretKey key) {
    return Webhooks.builder(store, Fixtures.mapper()).secretKey(key).allowLoopback(true)
        .pollInterval(Duration.ofMillis(10)).retries(Duration.ofMillis(10), Duration.ofMillis(50));
  }

  String url(String userInfo) {
    return "http://" + userInfo + "127.0.0.1:" + server.getAddress().getPort() + "/hooks";
  }

  List<String> stored(String column) {
    return store.jdbi().withHandle(h -> h.createQuery("SELECT " + column + " FROM " + schema
        + ".webhook_subscriptions").mapTo(String.class).list());
  }

  @Test
  void the_stored_secret_is_sealed_and_deliveries_verify_with_the_receivers_secret() {
    try (Webhooks webhooks = webhooks(key).build();
        ProjectionRunner runner = Fixtures.runner(store, "a", webhooks.projector())) {
      webhooks.subscribe(URI.create(url("")), Set.of(), secret);
      assertThat(stored("sealed_secret")).singleElement().asString().startsWith("aes-gcm:").doesNotContain(secret);
      assertThat(stored("sealed_secret || url || event_types::text")).singleElement().asString().doesNotContain(secret);

      Fixtures.append(store, ACCOUNT, new Fixtures.Deposited(1));
      runner.start();
      webhooks.start();
      Fixtures.await("a delivery", Duration.ofSeconds(30), () -> !verified.isEmpty());
      assertThat(verified).containsOnly(true);
    }
  }

  @Test
  void secrets_stored_in_plain_text_before_schema_version_2_are_sealed_when_webhooks_are_built() {
    SchemaScripts.of("messaging tables", MessagingSchema.class::getResourceAsStream,
        MessagingSchema.SCRIPT_DIRECTORY, "messaging_schema_version", List.of("V1__messaging.sql"))
        .install(store.dataSource(), schema);
    UUID id = UUID.randomUUID();
    store.jdbi().useHandle(h -> h.createUpdate("INSERT INTO " + schema + ".webhook_subscriptions "
            + "(id, url, event_types, secret, state) VALUES (:id, :url, '{}', :secret, 'ACTIVE')")
        .bind("id", id).bind("url", url("")).bind("secret", secret).execute());

    try (Webhooks webhooks = webhooks(key).build();
        ProjectionRunner runner = Fixtures.runner(store, "a", webhooks.projector())) {
      assertThat(stored("sealed_secret")).singleElement().asString().startsWith("aes-gcm:").doesNotContain(secret);
      Fixtures.append(store, ACCOUNT, new Fixtures.Deposited(1));
      runner.start();
      webhooks.start();
      Fixtures.await("a delivery", Duration.ofSeconds(30), () -> !verified.isEmpty());
      assertThat(verified).containsOnly(true);
    }
  }

  @Test
  void webhooks_without_a_key_or_with_a_malformed_one_are_refused_with_a_clear_error() {
    assertThatThrownBy(() -> Webhooks.builder(store, Fixtures.mapper()).build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("webhooks need a secretKey(...)");
    assertThatThrownBy(() -> WebhookSecretKey.of(new byte[10]))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("16, 24 or 32 bytes").hasMessageContaining("had 10");
    assertThatThrownBy(() -> WebhookSecretKey.fromBase64("not-base64-s3cret!"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageNotContaining("s3cret");
    assertThat(WebhookSecretKey.fromBase64(key.toBase64()).toBase64()).isEqualTo(key.toBase64());
    assertThat(key.toString()).isEqualTo("WebhookSecretKey[AES-256]").doesNotContain(key.toBase64());
  }

  @Test
  void another_key_than_the_one_that_sealed_the_secrets_is_refused_when_building() {
    try (Webhooks webhooks = webhooks(key).build()) {
      webhooks.subscribe(URI.create(url("")), Set.of(), secret);
    }
    assertThatThrownBy(() -> webhooks(WebhookSecretKey.generate()).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("does not decrypt with this application's webhook secret key");
  }

  @Test
  void a_failing_subscriber_whose_url_carries_a_token_is_recorded_without_it() {
    status = 500;
    try (Webhooks webhooks = webhooks(key).build();
        ProjectionRunner runner = Fixtures.runner(store, "a", webhooks.projector())) {
      assertThatThrownBy(() -> webhooks.subscribe(URI.create(url("hook:pa55word-x@")), Set.of(), secret))
          .as("user information is refused").hasMessageContaining("hook:***@").hasMessageNotContaining("pa55word-x");
      WebhookSubscription s = webhooks.subscribe(URI.create(url("") + "?token=pa55word-x"), Set.of(), secret);
      Fixtures.append(store, ACCOUNT, new Fixtures.Deposited(1));
      runner.start();
      webhooks.start();
      Fixtures.await("a failure recorded", Duration.ofSeconds(30),
          () -> webhooks.find(s.id()).orElseThrow().lastError().isPresent());
      assertThat(stored("last_error")).singleElement().asString()
          .contains("HTTP 500 from http://127.0.0.1").contains("token=***").doesNotContain("pa55word-x");
      assertThat(webhooks.find(s.id()).orElseThrow().lastError()).get().asString().doesNotContain("pa55word-x");
    }
  }
}
