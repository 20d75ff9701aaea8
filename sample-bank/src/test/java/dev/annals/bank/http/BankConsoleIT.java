package dev.annals.bank.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.annals.bank.BankStorage;
import dev.annals.bank.views.BalancesProjection;
import dev.annals.console.ConsoleServer;
import dev.annals.testkit.Await;
import dev.annals.testkit.PostgresTestDatabase;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code bank serve --console} against the real database: the bank's API stays open, the console
 * beside it answers only its operator, and steers the bank's own projectors.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class BankConsoleIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  /** How long to wait for something asynchronous (a projector) before failing. */
  private static final Duration PATIENCE = Duration.ofSeconds(60);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String OPERATOR = "Basic " + Base64.getEncoder().encodeToString(
      "ops:ops-pass".getBytes(StandardCharsets.UTF_8));

  private static BankStorage storage;
  private static BankServer server;
  private static URI console;
  private static HttpClient http;

  @BeforeAll
  static void start() {
    storage = BankStorage.postgres(db.jdbcUrl(), db.schema(), false);
    // What bank serve --console sets, with a free port and a known operator instead of the defaults.
    server = BankServer.start(storage.postgres().orElseThrow(), "bank-console-it", Optional.empty(),
        new InetSocketAddress("127.0.0.1", 0), Map.of("annals.console.enabled", "true",
            "annals.console.port", "0", "annals.console.users[0]", "ops:operator:{noop}ops-pass"));
    console = server.context().getBean(ConsoleServer.class).uri();
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(PATIENCE).build();
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
    if (storage != null) {
      storage.close();
    }
  }

  @Test
  void the_banks_api_answers_without_credentials() throws Exception {
    HttpResponse<String> opened = send(HttpRequest.newBuilder(server.uri().resolve("/accounts"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"id\": \"open-1\", \"owner\": \"alice\", \"currency\": \"EUR\"}")));
    assertThat(opened.statusCode()).as(opened.body()).isEqualTo(201);
    HttpResponse<String> read = send(HttpRequest.newBuilder(server.uri().resolve("/accounts/open-1")));
    assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
    assertThat(read.headers().firstValue("WWW-Authenticate")).isEmpty();
    HttpResponse<String> health = send(HttpRequest.newBuilder(server.uri().resolve("/actuator/health")));
    assertThat(health.statusCode()).as(health.body()).isIn(200, 503);
    assertThat(console.getHost()).isEqualTo("127.0.0.1");
    assertThat(console.getPort()).isNotEqualTo(server.uri().getPort());
  }

  @Test
  void the_console_refuses_without_credentials_or_with_wrong_ones() throws Exception {
    assertThat(send(HttpRequest.newBuilder(console.resolve("/api/projectors"))).statusCode()).isEqualTo(401);
    HttpResponse<String> wrong = send(HttpRequest.newBuilder(console.resolve("/api/projectors/"
        + BalancesProjection.NAME + "/pause")).header("Authorization", "Basic " + Base64.getEncoder()
        .encodeToString("ops:nope".getBytes(StandardCharsets.UTF_8))).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"reason\":\"x\"}")));
    assertThat(wrong.statusCode()).isEqualTo(401);
    assertThat(wrong.body()).doesNotContain("nope");
    assertThat(stateOf(BalancesProjection.NAME)).isNotEqualTo("PAUSED");
  }

  @Test
  void the_operator_sees_the_banks_projectors_and_pauses_and_resumes_one_on_the_record() throws Exception {
    List<String> names = new ArrayList<>();
    operator("GET", "/api/projectors", null).forEach(p -> names.add(p.get("projector").asText()));
    assertThat(names).containsAll(dev.annals.bank.Bank.READ_MODELS.keySet());

    operator("POST", "/api/projectors/" + BalancesProjection.NAME + "/pause", "{\"reason\":\"stuck\"}");
    Await.until("balances paused", PATIENCE, () -> stateOf(BalancesProjection.NAME).equals("PAUSED"));
    operator("POST", "/api/projectors/" + BalancesProjection.NAME + "/resume", "{\"reason\":\"fixed\"}");
    Await.until("balances running", PATIENCE, () -> !stateOf(BalancesProjection.NAME).equals("PAUSED"));

    JsonNode audit = operator("GET", "/api/audit", null);
    JsonNode last = audit.get(0).get("action");
    assertThat(last.get("user").asText()).isEqualTo("ops");
    assertThat(last.get("action").asText()).isEqualTo("resume");
    assertThat(last.get("reason").asText()).isEqualTo("fixed");
    assertThat(last.get("outcome").asText()).isEqualTo("done");
    assertThat(audit.get(1).get("action").get("action").asText()).isEqualTo("pause");
  }

  @Test
  void the_console_shows_an_accounts_state_as_of_its_history() throws Exception {
    HttpResponse<String> opened = send(HttpRequest.newBuilder(server.uri().resolve("/accounts"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"id\": \"state-1\", \"owner\": \"dora\", \"currency\": \"EUR\"}")));
    assertThat(opened.statusCode()).as(opened.body()).isEqualTo(201);
    JsonNode streams = operator("GET", "/api/streams?query=account-state-1", null);
    assertThat(streams).isNotEmpty();
    String stream = streams.get(0).get("stream").asText();
    JsonNode state = operator("GET", "/api/streams/" + stream + "/state", null);
    assertThat(state.get("decoded").asBoolean()).as(state.toString()).isTrue();
    assertThat(state.get("version").asLong()).isEqualTo(1);
    assertThat(state.get("state").toString()).contains("dora");
  }

  @Test
  void a_console_that_cannot_take_its_port_stops_the_start_saying_so() {
    assertThatThrownBy(() -> BankServer.start(storage.postgres().orElseThrow(), "bank-console-it-2",
        Optional.empty(), new InetSocketAddress("127.0.0.1", 0), Map.of("annals.console.enabled", "true",
            "annals.console.port", Integer.toString(console.getPort()),
            "annals.console.users[0]", "ops:operator:{noop}ops-pass")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("the console cannot start on 127.0.0.1:" + console.getPort())
        .message().doesNotContain("ops-pass");
  }

  private static String stateOf(String projector) {
    try {
      return stateNow(projector);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static String stateNow(String projector) throws Exception {
    for (JsonNode p : operator("GET", "/api/projectors", null)) {
      if (p.get("projector").asText().equals(projector)) {
        return p.get("state").asText();
      }
    }
    throw new AssertionError("no projector " + projector);
  }

  private static JsonNode operator(String method, String path, String body) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(console.resolve(path)).header("Authorization", OPERATOR)
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      request.header("Content-Type", "application/json");
    }
    HttpResponse<String> reply = send(request);
    assertThat(reply.statusCode()).as(method + " " + path + ": " + reply.body()).isEqualTo(200);
    return JSON.readTree(reply.body());
  }

  private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return http.send(request.timeout(PATIENCE).build(), HttpResponse.BodyHandlers.ofString());
  }
}
