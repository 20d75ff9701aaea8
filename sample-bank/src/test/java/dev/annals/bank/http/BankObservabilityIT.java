package dev.annals.bank.http;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import dev.annals.bank.BankStorage;
import dev.annals.bank.domain.Account;
import dev.annals.bank.views.BalancesProjection;
import dev.annals.core.Metadata;
import dev.annals.core.RecordedEvent;
import dev.annals.messaging.rabbitmq.RabbitMqSink;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.testkit.Await;
import dev.annals.testkit.PostgresTestDatabase;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/**
 * The bank on Spring Boot with its metrics and traces: one trace id from an HTTP command (its
 * {@code traceparent}) through the append, the projectors' spans and the CloudEvent published to
 * RabbitMQ, read back from the OpenTelemetry SDK's in-memory exporter; that trace id on the lines a
 * projector's handler logs; and the documented meters in Actuator's Prometheus scrape after some
 * traffic.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class BankObservabilityIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  private static final Duration PATIENCE = Duration.ofSeconds(60);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final InMemorySpanExporter SPANS = InMemorySpanExporter.create();

  private static BankStorage storage;
  private static BankServer server;
  private static Connection rabbit;
  private static Channel channel;
  private static String exchange;
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeAll
  static void start() throws Exception {
    ConnectionFactory factory = new ConnectionFactory();
    factory.setUri("amqp://guest:guest@127.0.0.1:5672");
    rabbit = factory.newConnection("bank-observability-test");
    channel = rabbit.createChannel();
    exchange = "bank-observability-" + UUID.randomUUID();
    channel.exchangeDeclare(exchange, "topic", false, true, null);
    channel.queueDeclare(exchange, false, false, true, null);
    channel.queueBind(exchange, exchange, "account");
    storage = BankStorage.postgres(db.jdbcUrl(), db.schema(), false);
    PostgresEventStore store = storage.postgres().orElseThrow();
    // Boot's OpenTelemetry SDK exports the finished spans to every SpanExporter bean.
    server = BankServer.start(store, "observability-it", Optional.of(RabbitMqSink.builder(factory).exchange(exchange)
            .build()), new InetSocketAddress("127.0.0.1", 0),
        Map.of("management.opentelemetry.tracing.export.schedule-delay", "100ms"), Map.of("testSpans", SPANS));
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
    if (storage != null) {
      storage.close();
    }
    if (rabbit != null) {
      rabbit.close();
    }
  }

  @Test
  void one_trace_id_runs_from_an_http_command_through_the_append_and_the_projectors_to_the_published_cloud_event()
      throws Exception {
    assertThat(post("/accounts", "{\"id\": \"trace-1\", \"owner\": \"tess\", \"currency\": \"EUR\"}", null).statusCode())
        .isEqualTo(201);
    assertThat(server.bank().awaitSettled(PATIENCE)).isTrue();
    String traceId = HexFormat.of().formatHex(randomBytes(16));
    String traceparent = "00-" + traceId + "-" + HexFormat.of().formatHex(randomBytes(8)) + "-01";

    HttpResponse<String> deposit = post("/accounts/trace-1/deposits", "{\"amount\": \"12.50\", \"currency\": \"EUR\"}",
        traceparent);
    assertThat(deposit.statusCode()).as(deposit.body()).isEqualTo(200);

    RecordedEvent deposited = server.bank().store().readStream(Account.TYPE.streamId("trace-1"), 2, 1).get(0);
    assertThat(deposited.metadata().extra().get(Metadata.TRACEPARENT)).as("the append's context, in the event's metadata")
        .startsWith("00-" + traceId + "-");

    Await.until("the server's, the append's and the projectors' spans in the command's trace", PATIENCE, () -> {
      List<String> names = inTrace(traceId).stream().map(SpanData::getName).toList();
      return names.contains("annals.append account") && names.contains("annals.projector.batch balances")
          && names.contains("annals.publish " + dev.annals.bank.BankPublishing.PUBLISHER);
    });
    List<SpanData> spans = inTrace(traceId);
    assertThat(spans).as("the HTTP request's server span continues the caller's trace")
        .anyMatch(s -> s.getKind() == SpanKind.SERVER);
    SpanData append = spans.stream().filter(s -> s.getName().equals("annals.append account")).findFirst().orElseThrow();
    assertThat(deposited.metadata().extra().get(Metadata.TRACEPARENT)).contains(append.getSpanId());

    String published = null;
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    while (published == null && System.nanoTime() < deadline) {
      GetResponse message = channel.basicGet(exchange, true);
      if (message == null) {
        Thread.sleep(50);
      } else if (deposited.eventId().toString().equals(message.getProps().getMessageId())) {
        published = String.valueOf(message.getProps().getHeaders().get("cloudEvents:traceparent"));
      }
    }
    assertThat(published).as("the CloudEvent's distributed-tracing extension").startsWith("00-" + traceId + "-");
  }

  @Test
  void a_projector_handler_logs_with_the_trace_id_of_the_http_command_it_projects() throws Exception {
    ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(BalancesProjection.class);
    ListAppender<ILoggingEvent> lines = new ListAppender<>() {
      @Override
      protected void append(ILoggingEvent line) {
        // The MDC is read lazily, from whichever thread asks: take it on the handler's thread.
        line.prepareForDeferredProcessing();
        super.append(line);
      }
    };
    lines.start();
    Level level = logger.getLevel();
    logger.setLevel(Level.DEBUG);
    logger.addAppender(lines);
    try {
      assertThat(post("/accounts", "{\"id\": \"log-1\", \"owner\": \"lou\", \"currency\": \"EUR\"}", null)
          .statusCode()).isEqualTo(201);
      // Projected first, so that the deposit comes alone: a batch of one event continues its trace.
      assertThat(server.bank().awaitSettled(PATIENCE)).isTrue();
      String traceId = HexFormat.of().formatHex(randomBytes(16));
      HttpResponse<String> deposit = post("/accounts/log-1/deposits", "{\"amount\": \"3\", \"currency\": \"EUR\"}",
          "00-" + traceId + "-" + HexFormat.of().formatHex(randomBytes(8)) + "-01");
      assertThat(deposit.statusCode()).as(deposit.body()).isEqualTo(200);
      RecordedEvent deposited = server.bank().store().readStream(Account.TYPE.streamId("log-1"), 2, 1).get(0);
      String position = "at position " + deposited.position();

      Await.until("the balances handler's line about the deposit", PATIENCE,
          () -> linesOf(lines).stream().anyMatch(l -> l.getFormattedMessage().endsWith(position)));
      ILoggingEvent line = linesOf(lines).stream().filter(l -> l.getFormattedMessage().endsWith(position))
          .findFirst().orElseThrow();
      assertThat(line.getThreadName()).startsWith("projector-balances-");
      assertThat(line.getMDCPropertyMap()).as(line.getFormattedMessage()).containsEntry("traceId", traceId);
      Await.until("the balances batch span", PATIENCE, () -> inTrace(traceId).stream()
          .anyMatch(s -> s.getName().equals("annals.projector.batch balances")));
      SpanData batch = inTrace(traceId).stream().filter(s -> s.getName().equals("annals.projector.batch balances"))
          .findFirst().orElseThrow();
      assertThat(line.getMDCPropertyMap()).as("the line was logged inside the batch's span")
          .containsEntry("spanId", batch.getSpanId());
    } finally {
      logger.detachAppender(lines);
      logger.setLevel(level);
    }
  }

  private static List<ILoggingEvent> linesOf(ListAppender<ILoggingEvent> appender) {
    // The appender adds under its own lock, on the projector's thread.
    synchronized (appender) {
      return new ArrayList<>(appender.list);
    }
  }

  @Test
  void the_prometheus_scrape_lists_the_documented_meters_after_some_traffic() throws Exception {
    post("/accounts", "{\"id\": \"prom-1\", \"owner\": \"pia\", \"currency\": \"EUR\"}", null);
    for (int i = 0; i < 3; i++) {
      post("/accounts/prom-1/deposits", "{\"amount\": \"1\", \"currency\": \"EUR\"}", null);
    }
    get("/accounts/prom-1");
    assertThat(server.bank().awaitSettled(PATIENCE)).isTrue();
    List<String> documented = List.of("annals.append", "annals.append.events", "annals.load", "annals.load.replayed",
        "annals.projector.batch", "annals.projector.events", "annals.projector.lag", "annals.projector.lag.age",
        "annals.projector.dead.letters", "annals.publisher.sent", "annals.publisher.lag", "annals.publisher.lag.age");
    // The lag gauges read the runner's status at most once a second: wait for a scrape with all.
    List<String> missing = documented;
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    while (!missing.isEmpty() && System.nanoTime() < deadline) {
      String body = get("/actuator/prometheus").body();
      missing = documented.stream().filter(name -> !body.contains(name.replace('.', '_') + "_")
          && !body.contains(name.replace('.', '_') + "{")).toList();
      if (!missing.isEmpty()) {
        Thread.sleep(100);
      }
    }
    HttpResponse<String> scrape = get("/actuator/prometheus");
    assertThat(missing).as("documented meters missing from the scrape:%n%s", scrape.body().lines()
        .filter(l -> l.startsWith("annals")).toList()).isEmpty();
    assertThat(scrape.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
    assertThat(scrape.body()).contains("annals_append_seconds_count{aggregate_type=\"account\"")
        .contains("projector=\"balances\"");

    JsonNode health = JSON.readTree(get("/actuator/health").body());
    assertThat(health.path("components").path("annals").path("components").path("projectors").path("components")
        .path("balances").path("status").asText()).as(health.toString()).isIn("UP", "OUT_OF_SERVICE");
  }

  private static List<SpanData> inTrace(String traceId) {
    return new ArrayList<>(SPANS.getFinishedSpanItems()).stream().filter(s -> s.getTraceId().equals(traceId)
        || s.getLinks().stream().anyMatch(l -> l.getSpanContext().getTraceId().equals(traceId))).toList();
  }

  private static byte[] randomBytes(int n) {
    byte[] bytes = new byte[n];
    ThreadLocalRandom.current().nextBytes(bytes);
    bytes[0] |= 1;
    return bytes;
  }

  private static HttpResponse<String> post(String path, String body, String traceparent) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(server.uri().resolve(path)).timeout(PATIENCE)
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
    if (traceparent != null) {
      request.header("traceparent", traceparent);
    }
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> get(String path) {
    try {
      return HTTP.send(HttpRequest.newBuilder(URI.create(server.uri() + path.substring(1))).timeout(PATIENCE).build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
