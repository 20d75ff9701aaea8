package dev.annals.opentelemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import dev.annals.core.AggregateRepository;
import dev.annals.core.AggregateType;
import dev.annals.core.ConcurrencyConflictException;
import dev.annals.core.Decider;
import dev.annals.core.EventRegistry;
import dev.annals.core.EventStore;
import dev.annals.core.ExpectedVersion;
import dev.annals.core.LogFilter;
import dev.annals.core.Metadata;
import dev.annals.core.NewEvent;
import dev.annals.core.RecordedEvent;
import dev.annals.core.StreamId;
import dev.annals.messaging.CloudEventMapper;
import dev.annals.messaging.MessageSink;
import dev.annals.messaging.Publisher;
import dev.annals.messaging.inbox.Inbox;
import dev.annals.messaging.rabbitmq.RabbitMqConsumer;
import dev.annals.messaging.rabbitmq.RabbitMqSink;
import dev.annals.postgres.LogCursor;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.projections.ProjectionRunner;
import dev.annals.projections.Projector;
import dev.annals.testkit.Await;
import dev.annals.testkit.PostgresTestDatabase;
import io.cloudevents.CloudEvent;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Spans and trace propagation with the OpenTelemetry SDK's in-memory exporter, against the real
 * PostgreSQL and RabbitMQ.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class TracingIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  record Deposited(long cents) {}

  record Wallet(long cents) {}

  static final AggregateType<Long, Wallet, Deposited> WALLET = AggregateType.builder("wallet",
      Deposited.class, Decider.<Long, Wallet, Deposited>of(() -> new Wallet(0),
          (w, e) -> new Wallet(w.cents() + e.cents()), (cents, w) -> List.of(new Deposited(cents))))
      .snapshots(Wallet.class, 1).snapshotEvery(2).build();

  final InMemorySpanExporter exporter = InMemorySpanExporter.create();
  final SdkTracerProvider provider = SdkTracerProvider.builder()
      .addSpanProcessor(SimpleSpanProcessor.create(exporter)).build();
  final OpenTelemetrySdk otel = OpenTelemetrySdk.builder().setTracerProvider(provider).build();
  final AnnalsTracing tracing = AnnalsTracing.create(otel);
  PostgresEventStore store;

  static EventRegistry events() {
    return EventRegistry.builder().register(Deposited.class, "Deposited").register(Wallet.class, "Wallet").build();
  }

  @BeforeEach
  void newStore() {
    store = PostgresEventStore.builder(events()).jdbcUrl(db.jdbcUrl()).poolSize(4).schema(db.newSchema())
        .installSchema(true).connectionTimeout(Duration.ofSeconds(30)).build();
  }

  @AfterEach
  void close() {
    store.close();
    otel.close();
  }

  ProjectionRunner.Builder runner(Projector projector) {
    return ProjectionRunner.builder(store).nodeId("t").installSchema(true).leaseDuration(Duration.ofSeconds(2))
        .pollInterval(Duration.ofMillis(5), Duration.ofMillis(50)).projector(projector)
        .batchScope(tracing.batchScope());
  }

  List<SpanData> spans(String name) {
    return exporter.getFinishedSpanItems().stream().filter(s -> s.getName().equals(name)).toList();
  }

  SpanData span(String name) {
    List<SpanData> found = spans(name);
    assertThat(found).as("spans named " + name + " among " + exporter.getFinishedSpanItems()).hasSize(1);
    return found.get(0);
  }

  /** The W3C traceparent of a span: version, trace id, span id, flags. */
  static String traceparent(SpanData s) {
    return "00-" + s.getTraceId() + "-" + s.getSpanId() + "-" + s.getSpanContext().getTraceFlags().asHex();
  }

  static <T> T attr(SpanData s, AttributeKey<T> key) {
    return s.getAttributes().get(key);
  }

  @Test
  void one_trace_runs_from_the_command_through_append_projector_publisher_and_inbox() throws Exception {
    requireListening("RabbitMQ", 5672);
    String base = "annals.tracing." + UUID.randomUUID().toString().substring(0, 8);
    ConnectionFactory factory = new ConnectionFactory();
    factory.setHost("127.0.0.1");
    factory.setUsername("guest");
    factory.setPassword("guest");
    MessagingTracing messaging = MessagingTracing.create(otel);
    List<String> traceIdsInHandler = new CopyOnWriteArrayList<>();
    List<CloudEvent> received = new CopyOnWriteArrayList<>();
    try (Connection admin = factory.newConnection("annals-tracing-test");
        Channel ch = admin.createChannel();
        MessageSink rabbit = RabbitMqSink.builder(factory).exchange(base).confirmTimeout(Duration.ofSeconds(10)).build()) {
      ch.exchangeDeclare(base, BuiltinExchangeType.DIRECT, false, true, null);
      ch.queueDeclare(base + ".wallet", false, false, true, null);
      ch.queueBind(base + ".wallet", base, "wallet");

      Span command = otel.getTracer("test").spanBuilder("POST /wallets/w1/deposits").startSpan();
      try (Scope ignored = command.makeCurrent();
          AggregateRepository<Long, Wallet, Deposited> wallets = AggregateRepository
              .builder(WALLET, tracing.tracedStore(store)).observer(tracing.repositoryObserver()).build()) {
        wallets.handle("w1", 5L);
      } finally {
        command.end();
      }
      String traceId = command.getSpanContext().getTraceId();

      SpanData append = span("annals.append wallet");
      assertThat(append.getTraceId()).isEqualTo(traceId);
      assertThat(append.getParentSpanId()).isEqualTo(command.getSpanContext().getSpanId());
      assertThat(attr(append, Attributes.STREAM)).isEqualTo("wallet-w1");
      assertThat(attr(append, Attributes.VERSION)).isEqualTo(1L);
      assertThat(attr(append, Attributes.POSITION)).isPositive();
      SpanData load = span("annals.load wallet");
      assertThat(load.getParentSpanId()).isEqualTo(command.getSpanContext().getSpanId());
      assertThat(attr(load, Attributes.FROM_SNAPSHOT)).isFalse();
      assertThat(attr(load, Attributes.VERSION)).isZero();

      RecordedEvent stored = store.readStream(StreamId.of("wallet", "w1")).get(0);
      assertThat(stored.metadata().extra().get(Metadata.TRACEPARENT)).as("the append's context, captured")
          .isEqualTo(traceparent(append));

      Projector ledger = Projector.builder("ledger").handler((event, ctx) -> { }).build();
      Projector publisher = Publisher.builder("to_rabbit", messaging.tracingSink("to_rabbit", rabbit))
          .mapper(CloudEventMapper.builder(events()).source("urn:annals:test").build())
          .filter(LogFilter.categories("wallet")).build();
      Inbox inbox = Inbox.install(store);
      try (ProjectionRunner r = runner(ledger).projector(publisher).build();
          RabbitMqConsumer consumer = RabbitMqConsumer.builder(factory, base + ".wallet", "payments", inbox,
              messaging.tracingHandler("payments", (event, h) -> {
                traceIdsInHandler.add(Span.current().getSpanContext().getTraceId());
                received.add(event);
              })).build()) {
        consumer.start();
        r.start();
        Await.until("the event reached the inbox", Duration.ofMinutes(3), () -> !received.isEmpty());
        Await.until("the projector's span", Duration.ofMinutes(3),
            () -> spans("annals.projector.batch ledger").size() == 1);
      }

      SpanData batch = span("annals.projector.batch ledger");
      assertThat(batch.getTraceId()).as("a batch of one event continues its trace").isEqualTo(traceId);
      assertThat(batch.getParentSpanId()).isEqualTo(append.getSpanId());
      assertThat(batch.getKind()).isEqualTo(SpanKind.CONSUMER);
      assertThat(batch.getLinks()).extracting(l -> l.getSpanContext().getSpanId()).containsExactly(append.getSpanId());
      assertThat(attr(batch, Attributes.PROJECTOR)).isEqualTo("ledger");
      assertThat(attr(batch, Attributes.STREAM)).isEqualTo("wallet-w1");
      assertThat(attr(batch, Attributes.POSITION)).isEqualTo(stored.position());
      assertThat(attr(batch, Attributes.HANDLED)).isEqualTo(1L);

      SpanData publish = span("annals.publish to_rabbit");
      assertThat(publish.getTraceId()).isEqualTo(traceId);
      assertThat(publish.getKind()).isEqualTo(SpanKind.PRODUCER);
      assertThat(received.get(0).getExtension("traceparent")).as("the CloudEvents distributed-tracing extension")
          .isEqualTo(traceparent(append));

      SpanData inboxSpan = span("annals.inbox payments");
      assertThat(inboxSpan.getTraceId()).isEqualTo(traceId);
      assertThat(inboxSpan.getParentSpanId()).isEqualTo(append.getSpanId());
      assertThat(inboxSpan.getKind()).isEqualTo(SpanKind.CONSUMER);
      assertThat(attr(inboxSpan, Attributes.MESSAGE_ID)).isEqualTo(stored.eventId().toString());
      assertThat(attr(inboxSpan, Attributes.VERSION)).isEqualTo(1L);
      assertThat(traceIdsInHandler).as("the handler runs inside the inbox span").containsExactly(traceId);
    }
  }

  @Test
  @SuppressWarnings("try") // the scopes make spans current; their variables are not used
  void a_batch_of_events_from_several_traces_is_a_new_trace_linked_to_each() {
    EventStore traced = tracing.tracedStore(store);
    List<SpanContext> appends = new CopyOnWriteArrayList<>();
    for (int i = 1; i <= 3; i++) {
      Span request = otel.getTracer("test").spanBuilder("request " + i).startSpan();
      try (Scope ignored = request.makeCurrent()) {
        traced.append(StreamId.of("wallet", "w" + i), ExpectedVersion.any(), NewEvent.of(new Deposited(i)));
      } finally {
        request.end();
      }
    }
    exporter.getFinishedSpanItems().stream().filter(s -> s.getName().startsWith("annals.append"))
        .forEach(s -> appends.add(s.getSpanContext()));
    assertThat(appends).hasSize(3).extracting(SpanContext::getTraceId).doesNotHaveDuplicates();

    awaitReadable(store, 3);
    List<SpanContext> currentInHandler = new CopyOnWriteArrayList<>();
    Projector ledger = Projector.builder("ledger").batchSize(10)
        .handler((event, ctx) -> currentInHandler.add(Span.current().getSpanContext())).build();
    Span caller = otel.getTracer("test").spanBuilder("catch-up caller").startSpan();
    try (Scope ignored = caller.makeCurrent(); ProjectionRunner r = runner(ledger).build()) {
      assertThat(r.catchUp("ledger")).isEqualTo(3);
      assertThat(Span.current()).as("the caller's span is current again").isSameAs(caller);
    } finally {
      caller.end();
    }
    SpanData batch = span("annals.projector.batch ledger");
    assertThat(batch.getParentSpanContext().isValid()).as("no one parent, not even the catch-up's caller").isFalse();
    assertThat(currentInHandler).as("the batch's span, current for every event's handler")
        .containsExactly(batch.getSpanContext(), batch.getSpanContext(), batch.getSpanContext());
    assertThat(appends).doesNotContain(batch.getSpanContext());
    assertThat(batch.getLinks()).extracting(l -> l.getSpanContext().getSpanId())
        .containsExactlyElementsOf(appends.stream().map(SpanContext::getSpanId).toList());
    assertThat(attr(batch, Attributes.EVENTS)).isEqualTo(3L);
    assertThat(attr(batch, Attributes.FIRST_POSITION)).isLessThan(attr(batch, Attributes.POSITION));
  }

  @Test
  @SuppressWarnings("try") // the scopes make spans current; their variables are not used
  void a_projector_handler_runs_on_the_partition_thread_inside_its_batch_span_in_the_trace_of_the_append() {
    Span request = otel.getTracer("test").spanBuilder("POST /wallets/w1/deposits").startSpan();
    try (Scope ignored = request.makeCurrent()) {
      tracing.tracedStore(store).append(StreamId.of("wallet", "w1"), ExpectedVersion.any(), NewEvent.of(new Deposited(5)));
    } finally {
      request.end();
    }
    RecordedEvent stored = store.readStream(StreamId.of("wallet", "w1")).get(0);
    String appendedTraceId = TraceContext.parse(stored.metadata().extra().get(Metadata.TRACEPARENT), null)
        .orElseThrow().getTraceId();
    assertThat(appendedTraceId).isEqualTo(request.getSpanContext().getTraceId());

    List<SpanContext> currentInHandler = new CopyOnWriteArrayList<>();
    List<String> handlerThreads = new CopyOnWriteArrayList<>();
    Projector ledger = Projector.builder("ledger").handler((event, ctx) -> {
      currentInHandler.add(Span.current().getSpanContext());
      handlerThreads.add(Thread.currentThread().getName());
      // A span of the handler's own is a child of the batch's.
      otel.getTracer("test").spanBuilder("handler work").startSpan().end();
    }).build();
    try (ProjectionRunner r = runner(ledger).build()) {
      r.start();
      Await.until("the projector's span", Duration.ofMinutes(3),
          () -> spans("annals.projector.batch ledger").size() == 1);
    }

    SpanData batch = span("annals.projector.batch ledger");
    assertThat(handlerThreads).singleElement().asString().startsWith("projector-ledger-");
    assertThat(currentInHandler).as("Span.current() in the handler").singleElement().satisfies(current -> {
      assertThat(current).isEqualTo(batch.getSpanContext());
      assertThat(current.getTraceId()).as("the trace of the appended event's context").isEqualTo(appendedTraceId);
    });
    assertThat(span("handler work").getParentSpanId()).isEqualTo(batch.getSpanId());
    assertThat(attr(batch, Attributes.HANDLED)).isEqualTo(1L);
    assertThat(batch.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
  }

  @Test
  void a_batch_that_fails_ends_its_span_as_an_error_and_leaves_nothing_current() {
    store.append(StreamId.of("wallet", "w1"), ExpectedVersion.any(), NewEvent.of(new Deposited(1)));
    awaitReadable(store, 1);
    Projector ledger = Projector.builder("ledger").handler((event, ctx) -> {
      throw new AssertionError("a handler's Error rolls its batch back and propagates");
    }).build();
    try (ProjectionRunner r = runner(ledger).build()) {
      assertThatThrownBy(() -> r.catchUp("ledger")).isInstanceOf(AssertionError.class);
    }
    assertThat(Span.current().getSpanContext().isValid()).as("no span left current on the catch-up's thread").isFalse();
    SpanData batch = span("annals.projector.batch ledger");
    assertThat(batch.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(batch.getEvents()).extracting(e -> e.getName()).contains("exception");
    assertThat(attr(batch, Attributes.HANDLED)).isZero();
  }

  @Test
  void a_refused_append_is_an_error_span_and_writes_nothing() {
    EventStore traced = tracing.tracedStore(store);
    StreamId w = StreamId.of("wallet", "w1");
    traced.append(w, ExpectedVersion.noStream(), NewEvent.of(new Deposited(1)));
    assertThatThrownBy(() -> traced.append(w, ExpectedVersion.noStream(), NewEvent.of(new Deposited(2))))
        .isInstanceOf(ConcurrencyConflictException.class);
    List<SpanData> appends = spans("annals.append wallet");
    assertThat(appends).hasSize(2);
    assertThat(appends.get(1).getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(appends.get(1).getEvents()).extracting(e -> e.getName()).contains("exception");
    assertThat(store.streamVersion(w)).isEqualTo(1);
  }

  @Test
  void a_broker_failure_is_an_error_span_without_the_credentials_in_its_message() throws Exception {
    // A sink that fails the way a client quoting its URL does; the real brokers' failures run in MetricsIT.
    MessageSink failing = new MessageSink() {
      @Override
      public String describe() {
        return "broker";
      }

      @Override
      public void send(List<dev.annals.messaging.OutgoingMessage> batch) throws IOException {
        throw new IOException("cannot reach amqp://app:s3cret@broker.internal:5672");
      }

      @Override
      public void close() {}
    };
    MessageSink traced = MessagingTracing.create(otel).tracingSink("to_rabbit", failing);
    store.append(StreamId.of("wallet", "w1"), ExpectedVersion.any(), NewEvent.of(new Deposited(1)));
    RecordedEvent e = store.readStream(StreamId.of("wallet", "w1")).get(0);
    CloudEvent ce = CloudEventMapper.builder(events()).source("urn:x").build().toCloudEvent(e);
    assertThatThrownBy(() -> traced.send(List.of(new dev.annals.messaging.OutgoingMessage(ce, "wallet-w1", "wallet"))))
        .isInstanceOf(IOException.class).hasMessageContaining("s3cret");
    SpanData publish = span("annals.publish to_rabbit");
    assertThat(publish.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(publish.getEvents()).singleElement().satisfies(ev -> {
      assertThat(ev.getName()).isEqualTo("exception");
      assertThat(ev.getAttributes().toString()).contains("amqp://app:***@broker.internal").doesNotContain("s3cret");
    });
  }

  @Test
  void a_load_from_a_snapshot_says_so() {
    try (AggregateRepository<Long, Wallet, Deposited> wallets = AggregateRepository
        .builder(WALLET, tracing.tracedStore(store)).snapshotStore(store.snapshotStore())
        .snapshotExecutor(Runnable::run).cacheSize(0).observer(tracing.repositoryObserver()).build()) {
      wallets.handle("w1", 1L);
      wallets.handle("w1", 2L);
      wallets.handle("w1", 4L);
      exporter.reset();
      assertThat(wallets.load("w1").state()).isEqualTo(new Wallet(7));
    }
    SpanData load = span("annals.load wallet");
    assertThat(attr(load, Attributes.FROM_SNAPSHOT)).isTrue();
    assertThat(attr(load, Attributes.VERSION)).isEqualTo(3L);
    assertThat(attr(load, Attributes.EVENTS)).as("one event after the snapshot at 2").isEqualTo(1L);
    assertThat(load.getEndEpochNanos()).isGreaterThanOrEqualTo(load.getStartEpochNanos());
  }

  /**
   * Waits until the gap-safe reader sees all {@code n} events of this test's log: an open
   * transaction anywhere in the shared cluster (another build's test) holds readers back.
   */
  static void awaitReadable(PostgresEventStore store, int n) {
    Await.until(n + " events readable", Duration.ofMinutes(3),
        () -> store.logReader().read(LogCursor.START, n + 1).events().size() == n);
  }

  static void requireListening(String service, int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
    } catch (IOException e) {
      throw new AssertionError(service + " is not answering on 127.0.0.1:" + port + "; these tests need it", e);
    }
  }
}
