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
 * {@code java -jar es-console.jar} opens. It shows the events as stored, verifies and records.
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
    ConsoleMain.Options options = ConsoleMain.Options.parse(new String[] {"--url=" + db.jdbcUrl(),
        "--schema=" + db.schema(), "--port=0", "--user=ann:operator:{noop}ann-pass"}, Map.of());
    try (PostgresEventStore store = PostgresEventStore.builder(EventRegistry.builder().build())
            .jdbcUrl(options.url()).schema(options.schema()).poolSize(2).installSchema(false).build();
        ConsoleServer console = ConsoleMain.start(options, store, new PrintStream(new ByteArrayOutputStream(), true,
            StandardCharsets.UTF_8))) {
      HttpClient http = HttpClient.newHttpClient();
      String auth = "Basic " + Base64.getEncoder().encodeToString("ann:ann-pass".getBytes(StandardCharsets.UTF_8));
      Call get = path -> JSON.readTree(http.send(HttpRequest.newBuilder(console.uri().resolve(path))
          .header("Authorization", auth).build(), HttpResponse.BodyHandlers.ofString()).body());

      JsonNode events = get.json("/api/streams/account-s-1/events").get("events");
      assertThat(events.get(0).get("type").asText()).isEqualTo("account.Opened");
      assertThat(events.get(1).get("payload").get("cents").asLong()).isEqualTo(70);
      JsonNode state = get.json("/api/streams/account-s-1/state?version=1");
      assertThat(state.get("decoded").asBoolean()).isFalse();
      assertThat(state.get("version").asLong()).isEqualTo(1);
      assertThat(get.json("/api/projectors").size()).isZero();

      HttpResponse<String> verify = http.send(HttpRequest.newBuilder(console.uri().resolve("/api/integrity/verify"))
          .header("Authorization", auth).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"reason\":\"standalone check\"}")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(verify.statusCode()).as(verify.body()).isEqualTo(200);
      Await.until("the verification", Duration.ofSeconds(60), () -> {
        try {
          return get.json("/api/integrity").hasNonNull("result");
        } catch (Exception e) {
          return false;
        }
      });
      assertThat(get.json("/api/integrity").get("result").get("intact").asBoolean()).isTrue();
      JsonNode audit = get.json("/api/audit").get(0).get("action");
      assertThat(audit.get("user").asText()).isEqualTo("ann");
      assertThat(audit.get("reason").asText()).isEqualTo("standalone check");
    }
  }

  interface Call {
    JsonNode json(String path) throws Exception;
  }
}
