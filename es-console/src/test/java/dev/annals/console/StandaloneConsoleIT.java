package dev.annals.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.annals.core.EventRegistry;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.testkit.Await;
import dev.annals.testkit.PostgresTestDatabase;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The standalone console over a database it has no code for: a store with an empty registry, as
 * {@code java -jar es-console.jar} opens. It shows the events as stored, verifies and records,
 * and shows projectors, versions and dead letters read-only from the projection tables.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class StandaloneConsoleIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void it_shows_streams_as_stored_verifies_and_records_without_the_applications_code() throws Exception {
    try (Shop shop = new Shop(db)) {
      shop.open("s-1", "sam");
      shop.deposit("s-1", 70);
    }
    try (Standalone c = new Standalone()) {
      JsonNode events = c.json("/api/streams/account-s-1/events").get("events");
      assertThat(events.get(0).get("type").asText()).isEqualTo("account.Opened");
      assertThat(events.get(1).get("payload").get("cents").asLong()).isEqualTo(70);
      JsonNode state = c.json("/api/streams/account-s-1/state?version=1");
      assertThat(state.get("decoded").asBoolean()).isFalse();
      assertThat(state.get("version").asLong()).isEqualTo(1);

      HttpResponse<String> verify = c.post("/api/integrity/verify", "{\"reason\":\"standalone check\"}");
      assertThat(verify.statusCode()).as(verify.body()).isEqualTo(200);
      Await.until("the verification", Duration.ofSeconds(60), () -> {
        try {
          return c.json("/api/integrity").hasNonNull("result");
        } catch (Exception e) {
          return false;
        }
      });
      assertThat(c.json("/api/integrity").get("result").get("intact").asBoolean()).isTrue();
      JsonNode audit = c.json("/api/audit").get(0).get("action");
      assertThat(audit.get("user").asText()).isEqualTo("ann");
      assertThat(audit.get("reason").asText()).isEqualTo("standalone check");
    }
  }

  @Test
  void it_shows_projectors_versions_and_dead_letters_read_only_from_the_projection_tables() throws Exception {
    try (Shop shop = new Shop(db)) {
      shop.runner.start();
      shop.open("s-2", "sue");
      shop.deposit("s-2", 40);
      shop.poisoned.add("mars");
      shop.send("p-9", "mars");
      Await.until("a dead letter", Duration.ofSeconds(60), () -> !shop.runner.deadLetters("parcels").isEmpty());
      try (Standalone c = new Standalone()) {
        // The application's runner is live: its partitions, their owner and the head show here.
        Await.until("the webhooks projector caught up and owned", Duration.ofSeconds(60), () -> {
          JsonNode w = c.partition("webhooks", 1);
          return w != null && "shop-1".equals(w.path("owner").asText()) && w.get("lagEvents").asLong() == 0;
        });
        JsonNode balances = c.partition("balances", 1);
        assertThat(balances.get("active").asBoolean()).isTrue();
        assertThat(balances.get("state").asText()).isIn("RUNNING", "CATCHING_UP");
        assertThat(balances.get("position").asLong()).isPositive();
        assertThat(balances.get("headPosition").asLong()).isEqualTo(shop.store.headPosition());
        assertThat(balances.has("lastError")).isTrue();

        JsonNode letters = c.json("/api/dead-letters?projector=parcels&stream=parcel-p-9");
        assertThat(letters.size()).isEqualTo(1);
        assertThat(letters.get(0).get("error").asText()).contains("no route to mars");
        long id = letters.get(0).get("id").asLong();
        assertThat(c.json("/api/dead-letters?projector=balances").size()).isZero();

        Await.until("ledger v1 retired", Duration.ofSeconds(60), () -> "retired".equals(c.version("ledger", 1)));
        assertThat(c.version("ledger", 2)).isEqualTo("active");

        // Acting needs the projectors' code: refused, nothing done, nothing recorded.
        assertThat(c.json("/api/session").get("standalone").asBoolean()).as("the page hides the actions").isTrue();
        int audits = c.json("/api/audit").size();
        for (String action : new String[] {"/api/projectors/balances/pause", "/api/projectors/balances/replay",
            "/api/dead-letters/" + id + "/retry", "/api/projectors/ledger/versions/1/drop-tables"}) {
          HttpResponse<String> refused = c.post(action, "{\"reason\":\"try\",\"position\":\"1\"}");
          assertThat(refused.statusCode()).as(action + ": " + refused.body()).isEqualTo(409);
          assertThat(refused.headers().firstValue("Content-Type")).hasValue("application/problem+json");
          assertThat(JSON.readTree(refused.body()).get("detail").asText()).contains("standalone");
        }
        assertThat(c.post("/api/projectors/nope/pause", "{}").statusCode()).isEqualTo(404);
        assertThat(c.json("/api/audit").size()).as("refusals are not actions").isEqualTo(audits);
        assertThat(shop.runner.status("balances")).extracting(s -> s.health().state().name()).doesNotContain("PAUSED");
        assertThat(shop.runner.deadLetters("parcels")).extracting(d -> d.id()).contains(id);
        assertThat(shop.exists(shop.store.schema() + ".ledger_v1")).isTrue();
      }
    }
  }

  /** The console as {@code java -jar es-console.jar} starts it, with an empty registry, and a client. */
  private static final class Standalone implements AutoCloseable {
    private final PostgresEventStore store;
    private final ConsoleServer console;
    private final HttpClient http = HttpClient.newHttpClient();
    private final String auth = "Basic " + Base64.getEncoder().encodeToString("ann:ann-pass".getBytes(StandardCharsets.UTF_8));

    Standalone() {
      ConsoleMain.Options options = ConsoleMain.Options.parse(new String[] {"--url=" + db.jdbcUrl(),
          "--schema=" + db.schema(), "--port=0", "--user=ann:operator:{noop}ann-pass"}, Map.of());
      store = PostgresEventStore.builder(EventRegistry.builder().build())
          .jdbcUrl(options.url()).schema(options.schema()).poolSize(2).installSchema(false).build();
      console = ConsoleMain.start(options, store, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    }

    JsonNode json(String path) throws Exception {
      return JSON.readTree(http.send(HttpRequest.newBuilder(console.uri().resolve(path)).header("Authorization", auth)
          .build(), HttpResponse.BodyHandlers.ofString()).body());
    }

    HttpResponse<String> post(String path, String body) throws Exception {
      return http.send(HttpRequest.newBuilder(console.uri().resolve(path)).header("Authorization", auth)
          .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
          HttpResponse.BodyHandlers.ofString());
    }

    /** Partition 0 of a projector version in /api/projectors, or null. */
    JsonNode partition(String projector, int version) {
      try {
        for (JsonNode p : json("/api/projectors")) {
          if (p.get("projector").asText().equals(projector) && p.get("version").asInt() == version) {
            return p;
          }
        }
        return null;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }

    /** The state of a projector version in /api/projectors/versions, or null. */
    String version(String projector, int version) {
      try {
        for (JsonNode v : json("/api/projectors/versions")) {
          if (v.get("projector").asText().equals(projector) && v.get("version").asInt() == version) {
            return v.get("state").asText();
          }
        }
        return null;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public void close() {
      console.close();
      store.close();
    }
  }

  interface Call {
    JsonNode json(String path) throws Exception;
  }
}
