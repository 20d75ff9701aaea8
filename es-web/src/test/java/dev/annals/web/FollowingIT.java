package dev.annals.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.annals.core.ExpectedVersion;
import dev.annals.core.NewEvent;
import dev.annals.core.StreamId;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.testkit.Await;
import dev.annals.testkit.PostgresTestDatabase;
import dev.annals.web.docs.FeedApplication;
import dev.annals.web.docs.FeedApplication.Deposited;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The example application of the guide on a random port, against the real PostgreSQL, followed
 * by real clients: java.net.http's HttpClient for long polls and SSE, its WebSocket client for
 * WebSocket. Nothing here waits a fixed time: every wait is for the asserted condition.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class FollowingIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  static final Duration BOUND = Duration.ofSeconds(60);
  static final ObjectMapper JSON = new ObjectMapper();
  static final int MAX_FOLLOWERS = 4;
  static final int BUFFER = 64;

  static ConfigurableApplicationContext app;
  static PostgresEventStore store;
  static EventFollowing following;
  static HttpClient http;
  static String base;

  @BeforeAll
  static void start() {
    app = new SpringApplicationBuilder(FeedApplication.class, SmallBuffers.class)
        .properties("spring.datasource.url=" + db.jdbcUrl(), "annals.store.schema=" + db.schema(),
            "server.port=0", "annals.web.max-followers=" + MAX_FOLLOWERS,
            "annals.web.buffer-size=" + BUFFER, "annals.web.heartbeat=500ms", "annals.web.max-wait=30s")
        .run();
    store = app.getBean(PostgresEventStore.class);
    following = app.getBean(EventFollowing.class);
    http = HttpClient.newHttpClient();
    base = "http://127.0.0.1:" + app.getEnvironment().getProperty("local.server.port");
  }

  @AfterAll
  static void stop() {
    if (app != null) {
      app.close();
    }
  }

  @AfterEach
  void every_follower_is_gone() {
    // Clients closed by a test are noticed at the next heartbeat at the latest.
    Await.until("no follower open", BOUND, () -> following.followers() == 0);
  }

  // ------------------------------------------------------------------------------ helpers

  static List<Long> deposit(String account, int count, int noteSize) {
    String note = "x".repeat(noteSize);
    List<NewEvent> events = IntStream.range(0, count).mapToObj(i -> NewEvent.of(new Deposited(i + 1, note))).toList();
    store.append(StreamId.of("account", account), ExpectedVersion.any(), events);
    long head = store.headPosition();
    return IntStream.range(0, count).mapToObj(i -> head - count + 1 + i).toList();
  }

  static HttpResponse<String> get(String pathAndQuery) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(base + pathAndQuery)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode json(HttpResponse<String> response) throws IOException {
    return JSON.readTree(response.body());
  }

  static List<Long> positions(JsonNode longPoll) {
    List<Long> positions = new ArrayList<>();
    longPoll.get("events").forEach(e -> positions.add(Long.parseLong(e.get("position").asText())));
    return positions;
  }

  static long position(String cloudEventJson) {
    try {
      return Long.parseLong(JSON.readTree(cloudEventJson).get("position").asText());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A WebSocket client that keeps every message and the close; slow ones read nothing until told. */
  static final class Collector implements WebSocket.Listener {
    final List<String> messages = new CopyOnWriteArrayList<>();
    final CompletableFuture<String> closed = new CompletableFuture<>();
    final boolean reading;
    private final StringBuilder partial = new StringBuilder();
    volatile WebSocket socket;

    Collector(boolean reading) {
      this.reading = reading;
    }

    @Override
    public void onOpen(WebSocket webSocket) {
      socket = webSocket;
      if (reading) {
        webSocket.request(1);
      }
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        messages.add(partial.toString());
        partial.setLength(0);
      }
      webSocket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      closed.complete(statusCode + " " + reason);
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      closed.complete("error " + error);
    }

    List<Long> positions() {
      return messages.stream().map(FollowingIT::position).toList();
    }
  }

  static Collector connect(String pathAndQuery, boolean reading) {
    Collector collector = new Collector(reading);
    http.newWebSocketBuilder().buildAsync(URI.create(base.replace("http:", "ws:") + pathAndQuery), collector).join();
    return collector;
  }

  /** An SSE connection read line by line on its own thread. */
  static final class SseReader implements AutoCloseable {
    final List<Long> ids = new CopyOnWriteArrayList<>();
    final List<String> lines = new CopyOnWriteArrayList<>();
    final InputStream body;

    SseReader(String pathAndQuery, String lastEventId, boolean reading) throws Exception {
      HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + pathAndQuery))
          .header("Accept", "text/event-stream");
      if (lastEventId != null) {
        request.header("Last-Event-ID", lastEventId);
      }
      body = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream()).body();
      if (reading) {
        read();
      }
    }

    void read() {
      Thread t = new Thread(() -> {
        try (Stream<String> stream = new java.io.BufferedReader(
            new java.io.InputStreamReader(body, StandardCharsets.UTF_8)).lines()) {
          stream.forEach(line -> {
            lines.add(line);
            if (line.startsWith("id:")) {
              ids.add(Long.parseLong(line.substring(3).trim()));
            }
          });
        } catch (UncheckedIOException e) {
          // closed by the test
        }
      }, "sse-reader");
      t.setDaemon(true);
      t.start();
    }

    @Override
    public void close() throws IOException {
      body.close();
    }
  }

  // -------------------------------------------------------------------------------- tests

  // -------------------------------------------------------------- long polling

  @Test
  void answers_at_once_when_there_are_events_and_resumes_without_loss_or_duplicate() throws Exception {
    List<Long> written = deposit("lp-1", 5, 10);
    long before = written.get(0) - 1;

    JsonNode first = json(get("/events?after=" + before + "&limit=3&wait=30s"));
    assertThat(positions(first)).containsExactlyElementsOf(written.subList(0, 3));
    JsonNode rest = json(get("/events?after=" + first.get("next").asLong() + "&limit=3&wait=30s"));
    assertThat(positions(rest)).containsExactlyElementsOf(written.subList(3, 5));
    assertThat(rest.get("events").get(0).get("type").asText()).isEqualTo("Deposited");
    assertThat(rest.get("events").get(0).get("subject").asText()).isEqualTo("account-lp-1");
  }

  @Test
  void wakes_on_an_append_before_its_deadline() throws Exception {
    long head = deposit("lp-2", 1, 10).get(0);
    CompletableFuture<HttpResponse<String>> waiting = http.sendAsync(HttpRequest.newBuilder(
        URI.create(base + "/events?after=" + head + "&wait=30s")).build(), HttpResponse.BodyHandlers.ofString());
    Await.until("the long poll waits", BOUND, () -> following.followers() == 1);

    List<Long> written = deposit("lp-2", 1, 10);

    JsonNode answer = json(waiting.get());
    assertThat(positions(answer)).as("answered with the event, not empty at the 30 s deadline")
        .containsExactlyElementsOf(written);
    assertThat(answer.get("next").asLong()).isEqualTo(written.get(0));
  }

  @Test
  void answers_empty_at_its_deadline_with_the_position_to_resume_from() throws Exception {
    long head = deposit("lp-3", 1, 10).get(0);

    HttpResponse<String> response = get("/events?after=" + head + "&wait=300ms");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(positions(json(response))).isEmpty();
    assertThat(json(response).get("next").asLong()).isEqualTo(head);
  }

  @Test
  void the_log_path_sends_only_what_its_filter_passes() throws Exception {
    long before = deposit("lp-5", 1, 10).get(0);
    store.append(StreamId.of("ledger", "l-1"), ExpectedVersion.any(), List.of(NewEvent.of(new Deposited(1, "x"))));
    List<Long> account = deposit("lp-5", 1, 10);

    JsonNode answer = json(get("/events?after=" + before + "&wait=30s"));

    assertThat(positions(answer)).as("the ledger event in between is not an account event")
        .containsExactlyElementsOf(account);
  }

  @Test
  void follows_one_stream_from_its_history() throws Exception {
    List<Long> mine = deposit("lp-4", 2, 10);
    deposit("lp-other", 2, 10);
    List<Long> more = deposit("lp-4", 1, 10);

    JsonNode answer = json(get("/accounts/lp-4/events"));
    assertThat(positions(answer)).containsExactly(mine.get(0), mine.get(1), more.get(0));
    JsonNode after = json(get("/accounts/lp-4/events?after=" + mine.get(0)));
    assertThat(positions(after)).containsExactly(mine.get(1), more.get(0));
  }

  // -------------------------------------------------------- server sent events

  @Test
  void resume_after_the_last_event_id_and_follow_live_without_loss_or_duplicate() throws Exception {
    List<Long> earlier = deposit("sse-1", 3, 10);
    try (SseReader sse = new SseReader("/events", Long.toString(earlier.get(0)), true)) {
      List<Long> later = deposit("sse-1", 3, 10);
      List<Long> expected = new ArrayList<>(earlier.subList(1, 3));
      expected.addAll(later);
      Await.until("the SSE client has every event", BOUND, () -> sse.ids.size() >= expected.size());
      assertThat(sse.ids).containsExactlyElementsOf(expected);
    }
  }

  @Test
  void a_slow_client_is_dropped_with_the_reason_while_a_fast_one_keeps_going() throws Exception {
    long dropped = following.droppedFollowers();
    long head = deposit("sse-2", 1, 10).get(0);
    try (SseReader slow = new SseReader("/events?after=" + head, null, false);
        SseReader fast = new SseReader("/events?after=" + head, null, true)) {
      List<Long> written = new ArrayList<>();
      for (int i = 0; i < 1000 && following.droppedFollowers() == dropped; i++) {
        // The fast client is never more than one append behind, so only the slow one can fall
        // behind by the buffer's size, however loaded the machine.
        Await.until("the fast client keeps up", BOUND, () -> fast.ids.size() >= written.size());
        written.addAll(deposit("sse-2", 10, 4000));
      }
      assertThat(following.droppedFollowers()).as("the client that reads nothing is dropped").isEqualTo(dropped + 1);
      Await.until("the fast client has every event", BOUND, () -> fast.ids.size() >= written.size());
      assertThat(fast.ids).containsExactlyElementsOf(written);

      slow.read();
      Await.until("the slow client is told why", BOUND,
          () -> slow.lines.stream().anyMatch(l -> l.startsWith("event:") && l.contains(SseClient.DROPPED)));
      assertThat(slow.lines).anySatisfy(l -> assertThat(l).startsWith("data:").contains("too slow"));
    }
  }

  // ---------------------------------------------------------------- websockets

  @Test
  void resume_from_the_position_in_the_url_or_in_the_first_message() throws Exception {
    List<Long> earlier = deposit("ws-1", 3, 10);
    Collector byUrl = connect("/accounts/ws-1/events?after=" + earlier.get(0), true);
    Collector byMessage = connect("/events", true);
    byMessage.socket.sendText("{\"after\":" + earlier.get(1) + "}", true).join();
    Await.until("both follow", BOUND, () -> following.followers() == 2);

    List<Long> later = deposit("ws-1", 2, 10);

    Await.until("the URL follower has every event", BOUND, () -> byUrl.messages.size() >= 4);
    assertThat(byUrl.positions()).containsExactly(earlier.get(1), earlier.get(2), later.get(0), later.get(1));
    Await.until("the first-message follower has every event", BOUND, () -> byMessage.messages.size() >= 3);
    assertThat(byMessage.positions()).containsExactly(earlier.get(2), later.get(0), later.get(1));
    byUrl.socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").join();
    byMessage.socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").join();
  }

  @Test
  void a_slow_client_is_closed_with_1008_and_the_reason_while_a_fast_one_keeps_going_and_it_resumes_without_loss() throws Exception {
    long dropped = following.droppedFollowers();
    long head = deposit("ws-2", 1, 10).get(0);
    Collector slow = connect("/events?after=" + head, false);
    Collector fast = connect("/events?after=" + head, true);
    Await.until("both follow", BOUND, () -> following.followers() == 2);

    List<Long> written = new ArrayList<>();
    for (int i = 0; i < 1000 && following.droppedFollowers() == dropped; i++) {
      // As for SSE: the fast client is never more than one append behind.
      Await.until("the fast client keeps up", BOUND, () -> fast.messages.size() >= written.size());
      written.addAll(deposit("ws-2", 10, 4000));
    }

    assertThat(following.droppedFollowers()).as("the client that reads nothing is dropped").isEqualTo(dropped + 1);
    Await.until("the fast client has every event", BOUND, () -> fast.messages.size() >= written.size());
    assertThat(fast.positions()).containsExactlyElementsOf(written);
    assertThat(fast.closed).isNotDone();

    slow.socket.request(Long.MAX_VALUE);
    assertThat(slow.closed.get()).startsWith("1008 too slow");
    fast.socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").join();

    // The dropped client resumes from the last position it got, and misses nothing.
    List<Long> got = new ArrayList<>(slow.positions());
    assertThat(written).startsWith(got.toArray(Long[]::new));
    Collector resumed = connect("/events?after=" + (got.isEmpty() ? head : got.get(got.size() - 1)), true);
    Await.until("the resumed client has the rest", BOUND, () -> got.size() + resumed.messages.size() >= written.size());
    got.addAll(resumed.positions());
    assertThat(got).containsExactlyElementsOf(written);
    resumed.socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").join();
  }

  // ------------------------------------------------------ limits and bad input

  @Test
  void the_follower_over_the_cap_is_refused_with_503() throws Exception {
    List<SseReader> open = new ArrayList<>();
    try {
      for (int i = 0; i < MAX_FOLLOWERS; i++) {
        open.add(new SseReader("/events", null, true));
      }
      Await.until("the cap is reached", BOUND, () -> following.followers() == MAX_FOLLOWERS);

      HttpResponse<String> poll = get("/events?wait=1s");
      assertThat(poll.statusCode()).isEqualTo(503);
      assertThat(poll.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
      assertThat(json(poll).get("detail").asText()).contains(MAX_FOLLOWERS + " followers are open");

      CompletionException refused = org.assertj.core.api.Assertions.catchThrowableOfType(CompletionException.class,
          () -> connect("/events", true));
      assertThat(refused.getCause()).isInstanceOf(WebSocketHandshakeException.class);
      assertThat(((WebSocketHandshakeException) refused.getCause()).getResponse().statusCode()).isEqualTo(503);
    } finally {
      for (SseReader sse : open) {
        sse.close();
      }
    }
  }

  @Test
  void crafted_input_gets_a_problem_and_never_a_500() throws Exception {
    long head = deposit("bad-1", 1, 10).get(0);
    String[][] cases = {
        {"/events?after=abc", "400"},
        {"/events?after=-1", "400"},
        {"/events?after=" + (head + 1000), "400"},
        {"/events?after=99999999999999999999999", "400"},
        {"/events?after=0&wait=1h", "400"},
        {"/events?after=0&wait=3600s", "400"},
        {"/events?after=0&wait=soon", "400"},
        {"/events?after=0&limit=0", "400"},
        {"/events?after=0&limit=100000", "400"},
        {"/accounts/nobody/events", "404"},
        {"/accounts/" + "z".repeat(300) + "/events", "400"},
    };
    for (String[] c : cases) {
      HttpResponse<String> response = get(c[0]);
      assertThat(response.statusCode()).as(c[0]).isEqualTo(Integer.parseInt(c[1]));
      assertThat(response.headers().firstValue("Content-Type")).as(c[0])
          .hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
      JsonNode problem = json(response);
      assertThat(problem.get("status").asInt()).as(c[0]).isEqualTo(Integer.parseInt(c[1]));
      assertThat(problem.get("detail").asText()).as(c[0]).isNotBlank().hasSizeLessThan(300);
    }
    CompletionException refused = org.assertj.core.api.Assertions.catchThrowableOfType(CompletionException.class,
        () -> connect("/events?after=abc", true));
    assertThat(((WebSocketHandshakeException) refused.getCause()).getResponse().statusCode()).isEqualTo(400);

    CompletionException foreign = org.assertj.core.api.Assertions.catchThrowableOfType(CompletionException.class,
        () -> http.newWebSocketBuilder().header("Origin", "https://elsewhere.example")
            .buildAsync(URI.create(base.replace("http:", "ws:") + "/events"), new Collector(true)).join());
    assertThat(((WebSocketHandshakeException) foreign.getCause()).getResponse().statusCode())
        .as("a page of another origin may not read the events with its visitor's cookies").isEqualTo(403);

    Collector badStart = connect("/events", true);
    badStart.socket.sendText("{\"after\":\"later\"}", true).join();
    assertThat(badStart.closed.get()).startsWith("1008 after must be a log position");
  }
}
