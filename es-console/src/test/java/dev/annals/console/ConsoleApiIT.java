package dev.annals.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.annals.testkit.Await;
import dev.annals.testkit.PostgresTestDatabase;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The console's JSON API over a real store and runner: who gets in, what is refused, what is done and recorded. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ConsoleApiIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  private static final Duration PATIENCE = Duration.ofSeconds(60);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private static Shop shop;
  private static ConsoleServer console;

  @BeforeAll
  static void start() {
    shop = new Shop(db);
    shop.runner.start();
    shop.open("a-1", "alice");
    shop.deposit("a-1", 500);
    console = shop.console();
    assertThat(shop.runner.awaitCaughtUp("balances", PATIENCE)).isTrue();
  }

  @AfterAll
  static void stop() {
    if (console != null) {
      console.close();
    }
    if (shop != null) {
      shop.close();
    }
  }

  record Reply(int status, String contentType, JsonNode body, String raw) {}

  static Reply call(String method, String path, String user, String password, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(console.uri().resolve(path)).timeout(PATIENCE);
    if (user != null) {
      b.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
          (user + ":" + password).getBytes(StandardCharsets.UTF_8)));
    }
    if (method.equals("POST")) {
      b.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body == null ? "{}" : body));
    } else {
      b.GET();
    }
    HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    JsonNode parsed = null;
    try {
      parsed = r.body().isEmpty() ? null : JSON.readTree(r.body());
    } catch (Exception e) {
      // not JSON: the assertion on the body says so
    }
    return new Reply(r.statusCode(), r.headers().firstValue("Content-Type").orElse(""), parsed, r.body());
  }

  static Reply operator(String method, String path, String body) throws Exception {
    return call(method, path, "olga", Shop.OPERATOR_PASSWORD, body);
  }

  static Reply viewer(String method, String path, String body) throws Exception {
    return call(method, path, "vic", Shop.VIEWER_PASSWORD, body);
  }

  static String stateOf(String projector) throws Exception {
    for (JsonNode p : operator("GET", "/api/projectors", null).body()) {
      if (p.get("projector").asText().equals(projector)) {
        return p.get("state").asText();
      }
    }
    throw new AssertionError("no projector " + projector);
  }

  static int auditSize() throws Exception {
    return operator("GET", "/api/audit?limit=200", null).body().size();
  }

  static void assertProblem(Reply r, int status) {
    assertThat(r.status()).as(r.raw()).isEqualTo(status);
    assertThat(r.contentType()).startsWith("application/problem+json");
    assertThat(r.body().get("status").asInt()).isEqualTo(status);
    assertThat(r.body().get("detail").asText()).isNotBlank();
    assertThat(r.raw()).doesNotContain("Exception", "at dev.annals", "at org.");
  }

  @Test
  void without_credentials_nothing_is_shown() throws Exception {
    assertProblem(call("GET", "/api/projectors", null, null, null), 401);
    assertProblem(call("GET", "/api/streams/account-a-1/events", null, null, null), 401);
    HttpResponse<String> page = HTTP.send(HttpRequest.newBuilder(console.uri()).header("Accept", "text/html").build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(page.statusCode()).as("the page sends the browser to the login form").isEqualTo(302);
    assertThat(page.headers().firstValue("Location").orElse("")).endsWith("/login");
    assertThat(page.body()).doesNotContain("projectors");
  }

  @Test
  void a_wrong_password_is_refused_and_does_nothing() throws Exception {
    int before = auditSize();
    assertProblem(call("GET", "/api/projectors", "olga", "wrong", null), 401);
    assertProblem(call("POST", "/api/projectors/balances/pause", "olga", "wrong", "{\"reason\":\"x\"}"), 401);
    assertThat(stateOf("balances")).isNotEqualTo("PAUSED");
    assertThat(auditSize()).isEqualTo(before);
  }

  @Test
  void a_viewer_sees_but_may_not_act() throws Exception {
    int before = auditSize();
    assertThat(viewer("GET", "/api/projectors", null).status()).isEqualTo(200);
    Reply pause = viewer("POST", "/api/projectors/balances/pause", "{\"reason\":\"try\"}");
    assertProblem(pause, 403);
    assertThat(pause.raw()).doesNotContain(Shop.VIEWER_PASSWORD);
    assertProblem(viewer("POST", "/api/projectors/balances/replay", "{\"position\":\"1\"}"), 403);
    assertThat(stateOf("balances")).isNotEqualTo("PAUSED");
    assertThat(auditSize()).as("a refusal is not an action").isEqualTo(before);
  }

  @Test
  void a_session_tells_who_is_logged_in_and_never_a_password() throws Exception {
    Reply r = viewer("GET", "/api/session", null);
    assertThat(r.body().get("user").asText()).isEqualTo("vic");
    assertThat(r.body().get("role").asText()).isEqualTo("viewer");
    assertThat(r.body().get("standalone").asBoolean()).isFalse();
    assertThat(r.raw()).doesNotContain(Shop.VIEWER_PASSWORD);
  }
  @Test
  void an_unknown_projector_is_not_found() throws Exception {
    assertProblem(operator("POST", "/api/projectors/nope/pause", "{}"), 404);
    assertProblem(operator("GET", "/api/projectors/nope/replay-plan?position=1", null), 404);
  }

  @Test
  void a_position_beyond_the_head_is_refused() throws Exception {
    long head = shop.store.headPosition();
    Reply r = operator("POST", "/api/projectors/balances/replay", "{\"position\":\"" + (head + 1000) + "\"}");
    assertProblem(r, 400);
    assertThat(r.body().get("detail").asText()).contains("beyond the head");
    assertProblem(operator("GET", "/api/projectors/balances/replay-plan?position=abc", null), 400);
    assertProblem(operator("GET", "/api/projectors/balances/replay-plan?position=0", null), 400);
  }

  @Test
  void a_bad_time_is_refused() throws Exception {
    Reply r = operator("GET", "/api/projectors/balances/replay-plan?time=last-tuesday", null);
    assertProblem(r, 400);
    assertThat(r.body().get("detail").asText()).contains("ISO-8601");
    assertProblem(operator("GET", "/api/streams/account-a-1/state?time=yesterday", null), 400);
    assertProblem(operator("GET", "/api/projectors/balances/replay-plan?time=2999-01-01T00:00:00Z", null), 400);
  }

  @Test
  void bad_streams_versions_and_bodies_are_refused() throws Exception {
    assertProblem(operator("GET", "/api/streams/account-nobody/events", null), 404);
    assertProblem(operator("GET", "/api/streams/not%20a%20stream/events", null), 400);
    assertProblem(operator("GET", "/api/streams/account-a-1/state?version=99", null), 400);
    assertProblem(operator("GET", "/api/streams/account-a-1/events?limit=100000", null), 400);
    assertProblem(operator("GET", "/api/streams/account-a-1/events?fromVersion=x", null), 400);
    assertProblem(operator("POST", "/api/projectors/balances/replay", "{not json"), 400);
    assertProblem(operator("POST", "/api/dead-letters/123456/discard", "{\"reason\":\"gone\"}"), 404);
    assertProblem(operator("GET", "/api/no-such-thing", null), 404);
  }
  @Test
  void pause_and_resume_act_on_the_projector_and_are_recorded_with_who_and_why() throws Exception {
    assertThat(operator("POST", "/api/projectors/balances/pause", "{\"reason\":\"maintenance\"}").status()).isEqualTo(200);
    Await.until("balances paused", PATIENCE, () -> call(() -> stateOf("balances")).equals("PAUSED"));
    assertThat(operator("POST", "/api/projectors/balances/resume", "{\"reason\":\"done\"}").status()).isEqualTo(200);
    Await.until("balances running", PATIENCE, () -> !call(() -> stateOf("balances")).equals("PAUSED"));

    JsonNode audit = operator("GET", "/api/audit", null).body();
    JsonNode last = audit.get(0).get("action");
    assertThat(last.get("user").asText()).isEqualTo("olga");
    assertThat(last.get("action").asText()).isEqualTo("resume");
    assertThat(last.get("reason").asText()).isEqualTo("done");
    assertThat(last.get("outcome").asText()).isEqualTo("done");
    assertThat(audit.get(1).get("action").get("action").asText()).isEqualTo("pause");
    assertThat(audit.get(0).get("recordedAt").asText()).isNotBlank();
  }

  @Test
  void a_replay_plan_says_what_it_will_do_and_the_replay_rebuilds_the_read_model() throws Exception {
    Reply plan = operator("GET", "/api/projectors/balances/replay-plan?position=1", null);
    assertThat(plan.status()).as(plan.raw()).isEqualTo(200);
    assertThat(plan.body().get("description").asText()).matches("replay balances v1 from position 1: [0-9,]+ events");
    shop.store.withHandle("spoil the read model", h -> h.execute("UPDATE " + shop.store.schema()
        + ".balances_v1 SET cents = 0"));
    assertThat(shop.balance("a-1")).isZero();
    Reply replay = operator("POST", "/api/projectors/balances/replay", "{\"position\":\"1\",\"reason\":\"rebuild\"}");
    assertThat(replay.status()).as(replay.raw()).isEqualTo(200);
    Await.until("balances rebuilt", PATIENCE, () -> shop.balance("a-1") == 500);
  }

  @Test
  void a_retired_versions_tables_are_dropped_by_an_operator_and_recorded() throws Exception {
    String schema = shop.store.schema();
    Await.until("ledger v1 retired", PATIENCE, () -> version(call(() -> viewer("GET", "/api/projectors/versions", null))
        .body(), "ledger", 1).get("state").asText().equals("retired"));
    JsonNode versions = viewer("GET", "/api/projectors/versions", null).body();
    assertThat(version(versions, "ledger", 1).get("tables").get(0).asText()).isEqualTo(schema + ".ledger_v1");
    assertThat(version(versions, "ledger", 2).get("state").asText()).isEqualTo("active");
    assertThat(version(versions, "balances", 1).get("description").asText()).isEqualTo("serves reads");

    int before = auditSize();
    assertProblem(viewer("POST", "/api/projectors/ledger/versions/1/drop-tables", "{\"reason\":\"x\"}"), 403);
    assertThat(auditSize()).as("a refusal is not an action").isEqualTo(before);
    assertProblem(operator("POST", "/api/projectors/ledger/versions/9/drop-tables", "{}"), 404);
    assertProblem(operator("POST", "/api/projectors/nope/versions/1/drop-tables", "{}"), 404);
    assertProblem(operator("POST", "/api/projectors/ledger/versions/x/drop-tables", "{}"), 400);
    Reply active = operator("POST", "/api/projectors/ledger/versions/2/drop-tables", "{\"reason\":\"oops\"}");
    assertProblem(active, 409);
    assertThat(active.body().get("detail").asText()).contains("active");
    assertThat(shop.exists(schema + ".ledger_v2")).isTrue();

    Reply dropped = operator("POST", "/api/projectors/ledger/versions/1/drop-tables", "{\"reason\":\"v2 is fine\"}");
    assertThat(dropped.status()).as(dropped.raw()).isEqualTo(200);
    assertThat(dropped.body().get("dropped").get(0).asText()).isEqualTo(schema + ".ledger_v1");
    assertThat(shop.exists(schema + ".ledger_v1")).isFalse();
    assertThat(shop.exists(schema + ".ledger_v2")).isTrue();
    JsonNode last = operator("GET", "/api/audit", null).body().get(0).get("action");
    assertThat(last.get("action").asText()).isEqualTo("drop-tables");
    assertThat(last.get("detail").asText()).isEqualTo("drop the tables of ledger v1: " + schema + ".ledger_v1");
    assertThat(last.get("reason").asText()).isEqualTo("v2 is fine");
    assertThat(last.get("outcome").asText()).isEqualTo("done");
    assertProblem(operator("POST", "/api/projectors/ledger/versions/1/drop-tables", "{}"), 409);
  }

  static JsonNode version(JsonNode versions, String projector, int version) {
    for (JsonNode v : versions) {
      if (v.get("projector").asText().equals(projector) && v.get("version").asInt() == version) {
        return v;
      }
    }
    throw new AssertionError("no " + projector + " v" + version + " in " + versions);
  }

  @Test
  void a_dead_letter_is_listed_retried_and_gone() throws Exception {
    shop.poisoned.add("nowhere");
    shop.send("p-1", "nowhere");
    Await.until("a dead letter", PATIENCE, () -> call(() -> operator("GET", "/api/dead-letters?projector=parcels", null))
        .body().size() == 1);
    JsonNode letter = operator("GET", "/api/dead-letters?stream=parcel-p-1", null).body().get(0);
    assertThat(letter.get("error").asText()).contains("no route to nowhere");
    assertThat(letter.get("attempts").asInt()).isEqualTo(1);
    long id = letter.get("id").asLong();

    Reply again = operator("POST", "/api/dead-letters/" + id + "/retry", "{\"reason\":\"try\"}");
    assertThat(again.body().get("stillFailing").asLong()).isEqualTo(id);
    assertProblem(operator("POST", "/api/dead-letters/" + id + "/discard", "{}"), 400);

    shop.poisoned.remove("nowhere");
    Reply fixed = operator("POST", "/api/dead-letters/retry-stream",
        "{\"projector\":\"parcels\",\"stream\":\"parcel-p-1\",\"reason\":\"route added\"}");
    assertThat(fixed.status()).as(fixed.raw()).isEqualTo(200);
    assertThat(fixed.body().get("resolved").get(0).asLong()).isEqualTo(id);
    assertThat(operator("GET", "/api/dead-letters", null).body().size()).isZero();
  }

  @Test
  void a_stream_shows_its_history_its_state_as_of_a_version_and_its_chain() throws Exception {
    JsonNode found = operator("GET", "/api/streams?query=account-a", null).body();
    assertThat(found.get(0).get("stream").asText()).isEqualTo("account-a-1");
    JsonNode page = operator("GET", "/api/streams/account-a-1/events?limit=1", null).body();
    assertThat(page.get("events").size()).isEqualTo(1);
    assertThat(page.get("events").get(0).get("payload").get("owner").asText()).isEqualTo("alice");
    JsonNode state = viewer("GET", "/api/streams/account-a-1/state?version=1", null).body();
    assertThat(state.get("state").get("cents").asLong()).isZero();
    assertThat(viewer("GET", "/api/streams/account-a-1/state", null).body().get("state").get("cents").asLong())
        .isEqualTo(500);
    assertThat(viewer("GET", "/api/streams/account-a-1/integrity", null).body().get("intact").asBoolean()).isTrue();
    JsonNode around = viewer("GET", "/api/log?position=2&before=1&after=0", null).body();
    assertThat(around.get(0).get("position").asLong()).isEqualTo(1);
    assertThat(around.get(1).get("position").asLong()).isEqualTo(2);
    assertThat(around.get(1).get("type").asText()).isEqualTo("account.Deposited");
    assertProblem(viewer("GET", "/api/log?position=zero", null), 400);
  }

  @Test
  void verifying_the_whole_log_reports_its_result_and_an_anchor() throws Exception {
    assertThat(operator("POST", "/api/integrity/verify", "{\"reason\":\"weekly\"}").status()).isEqualTo(200);
    Await.until("the verification to finish", PATIENCE, () -> {
      JsonNode r = call(() -> operator("GET", "/api/integrity", null)).body();
      return !r.get("running").asBoolean() && r.hasNonNull("result");
    });
    JsonNode r = operator("GET", "/api/integrity", null).body();
    assertThat(r.get("result").get("intact").asBoolean()).isTrue();
    assertThat(r.get("lastAnchor").get("digest").asText()).isNotBlank();
  }
  @Test
  void a_parked_webhook_shows_its_waiting_events_without_secrets_and_a_replay_delivers_them() throws Exception {
    java.util.concurrent.atomic.AtomicInteger status = new java.util.concurrent.atomic.AtomicInteger(503);
    com.sun.net.httpserver.HttpServer target = com.sun.net.httpserver.HttpServer.create(
        new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
    target.createContext("/", exchange -> {
      exchange.getRequestBody().readAllBytes();
      exchange.sendResponseHeaders(status.get(), -1);
      exchange.close();
    });
    target.start();
    try {
      URI url = URI.create("http://127.0.0.1:" + target.getAddress().getPort() + "/hooks?token=hook-token-9");
      var subscription = shop.webhooks.subscribe(url, java.util.Set.of("parcel.Sent"), "whsec-secret-value-1234567890");
      shop.webhooks.start();
      shop.send("p-hook", "harbour");
      String id = subscription.id().toString();
      Await.until("the subscription parked with the event waiting", PATIENCE, () -> {
        JsonNode w = find(call(() -> viewer("GET", "/api/webhooks", null)).body(), id);
        return w != null && w.get("state").asText().equals("PARKED") && w.get("pending").asLong() >= 1;
      });
      Reply list = viewer("GET", "/api/webhooks", null);
      assertThat(list.raw()).doesNotContain("hook-token-9", "whsec-secret");
      assertThat(find(list.body(), id).get("url").asText()).endsWith("/hooks");
      JsonNode waiting = viewer("GET", "/api/webhooks/" + id + "/pending", null).body();
      assertThat(waiting.get(0).get("eventType").asText()).isEqualTo("parcel.Sent");
      assertProblem(viewer("POST", "/api/webhooks/" + id + "/replay", "{}"), 403);
      assertProblem(operator("POST", "/api/webhooks/not-a-uuid/replay", "{}"), 400);

      status.set(200);
      assertThat(operator("POST", "/api/webhooks/" + id + "/replay", "{\"reason\":\"receiver fixed\"}").status())
          .isEqualTo(200);
      Await.until("the waiting events delivered", PATIENCE,
          () -> find(call(() -> viewer("GET", "/api/webhooks", null)).body(), id).get("pending").asLong() == 0);
      assertThat(operator("GET", "/api/audit", null).body().get(0).get("action").get("action").asText())
          .isEqualTo("replay-webhook");
    } finally {
      target.stop(0);
    }
  }

  static JsonNode find(JsonNode list, String id) {
    for (JsonNode n : list) {
      if (n.get("id").asText().equals(id)) {
        return n;
      }
    }
    return null;
  }

  @Test
  void without_users_a_generated_password_is_printed_once_and_works() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ConsoleServer own = ConsoleServer.builder(shop.store).port(0).out(new PrintStream(out, true, StandardCharsets.UTF_8))
        .start()) {
      String printed = out.toString(StandardCharsets.UTF_8);
      Matcher m = Pattern.compile("log in as 'operator' with password (\\S+)").matcher(printed);
      assertThat(m.find()).as(printed).isTrue();
      assertThat(own.uri().getHost()).isEqualTo("127.0.0.1");
      String password = m.group(1);
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(own.uri().resolve("/api/session"))
          .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(("operator:" + password)
              .getBytes(StandardCharsets.UTF_8))).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).doesNotContain(password);
      assertThat(printed.lines().filter(l -> l.contains(password)).count()).isEqualTo(1);
    }
  }

  interface Call<T> {
    T get() throws Exception;
  }

  static <T> T call(Call<T> c) {
    try {
      return c.get();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static URI uri(String path) {
    return console.uri().resolve(path);
  }
}
