package dev.annals.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import dev.annals.core.AggregateRepository;
import dev.annals.core.AggregateType;
import dev.annals.core.Decider;
import dev.annals.core.EventRegistry;
import dev.annals.core.ExpectedVersion;
import dev.annals.core.LogFilter;
import dev.annals.core.NewEvent;
import dev.annals.core.StreamId;
import dev.annals.messaging.CloudEventMapper;
import dev.annals.messaging.MessageSink;
import dev.annals.messaging.OutgoingMessage;
import dev.annals.messaging.Publisher;
import dev.annals.messaging.inbox.Inbox;
import dev.annals.messaging.rabbitmq.RabbitMqConsumer;
import dev.annals.messaging.rabbitmq.RabbitMqSink;
import dev.annals.postgres.LogCursor;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.projections.FailurePolicy;
import dev.annals.projections.ProjectionRunner;
import dev.annals.projections.Projector;
import dev.annals.testkit.Await;
import dev.annals.testkit.PostgresTestDatabase;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.search.RequiredSearch;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
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

/** Every meter of docs/observability.md, recorded against the real PostgreSQL and RabbitMQ. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class MetricsIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  record Deposited(long cents) {}

  record Frozen(String reason) {}

  record Wallet(long cents) {}

  static final AggregateType<Long, Wallet, Deposited> WALLET = AggregateType.builder("wallet",
      Deposited.class, Decider.<Long, Wallet, Deposited>of(() -> new Wallet(0),
          (w, e) -> new Wallet(w.cents() + e.cents()), (cents, w) -> List.of(new Deposited(cents))))
      .snapshots(Wallet.class, 1).snapshotEvery(3).build();

  final MeterRegistry registry = new SimpleMeterRegistry();
  final AnnalsMetrics metrics = AnnalsMetrics.create(registry);
  PostgresEventStore store;

  static EventRegistry events() {
    return EventRegistry.builder().register(Deposited.class, "Deposited").register(Frozen.class, "Frozen")
        .register(Wallet.class, "Wallet").build();
  }

  @BeforeEach
  void newStore() {
    store = PostgresEventStore.builder(events()).jdbcUrl(db.jdbcUrl()).poolSize(4).schema(db.newSchema())
        .installSchema(true).connectionTimeout(Duration.ofSeconds(30)).build();
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  RequiredSearch meter(String name) {
    return registry.get(name);
  }

  ProjectionRunner.Builder runner(Projector projector) {
    return ProjectionRunner.builder(store).nodeId("m").installSchema(true).leaseDuration(Duration.ofSeconds(2))
        .pollInterval(Duration.ofMillis(5), Duration.ofMillis(50)).projector(projector)
        .observer(metrics.projectionObserver());
  }

  @Test
  void appends_conflicts_loads_and_snapshots_are_counted_by_aggregate_type() {
    try (AggregateRepository<Long, Wallet, Deposited> a = AggregateRepository.builder(WALLET, store)
            .snapshotStore(store.snapshotStore()).snapshotExecutor(Runnable::run)
            .observer(metrics.repositoryObserver()).build();
        AggregateRepository<Long, Wallet, Deposited> b = AggregateRepository.builder(WALLET, store)
            .cacheSize(0).observer(metrics.repositoryObserver()).build()) {
      a.handle("w1", 1L);
      a.handle("w1", 2L);
      // b writes behind a's cached state: a's next append conflicts, reloads and wins.
      b.handle("w1", 4L);
      assertThat(a.handle("w1", 8L).state()).isEqualTo(new Wallet(15));

      assertThat(meter("annals.append").tag("aggregate.type", "wallet").timer().count())
          .as("successful appends of a and b").isEqualTo(4);
      assertThat(meter("annals.append.events").tag("aggregate.type", "wallet").counter().count()).isEqualTo(4);
      assertThat(meter("annals.append.conflicts").tag("aggregate.type", "wallet").counter().count()).isEqualTo(1);
      assertThat(meter("annals.snapshots.written").tag("aggregate.type", "wallet").counter().count())
          .as("a snapshot every 3 events: b, without a snapshot store, wrote version 3; a's append of 4 crossed no multiple")
          .isZero();

      a.handle("w1", 16L);
      a.handle("w1", 32L);
      assertThat(meter("annals.snapshots.written").tag("aggregate.type", "wallet").counter().count())
          .as("version 6").isEqualTo(1);

      a.evict("w1");
      b.handle("w1", 64L);
      a.load("w1");
      assertThat(meter("annals.load").tag("aggregate.type", "wallet").tag("from", "snapshot").timer().count())
          .isEqualTo(1);
      assertThat(meter("annals.load").tag("from", "events").timer().count())
          .as("a's first command, a's reload after the conflict, b's loads (no cache, no snapshots)")
          .isEqualTo(1 + 1 + 2);
      assertThat(meter("annals.load.replayed").tag("aggregate.type", "wallet").summary().totalAmount())
          .as("a: 0, 3 after the conflict, 1 after the snapshot; b: 2, then 6").isEqualTo(12);
    }
  }

  @Test
  void projector_batches_events_lag_and_dead_letters_are_measured() {
    for (int i = 1; i <= 30; i++) {
      store.append(StreamId.of("wallet", "w" + (i % 3)), ExpectedVersion.any(), NewEvent.of(new Deposited(i)));
    }
    store.append(StreamId.of("wallet", "w9"), ExpectedVersion.any(), NewEvent.of(new Frozen("court order")));
    Projector ledger = Projector.builder("ledger").batchSize(10).onFailure(FailurePolicy.CONTINUE)
        .retries(1, Duration.ofMillis(1), Duration.ofMillis(1))
        .handler((event, ctx) -> {
          if (event.payload() instanceof Frozen) {
            throw new IllegalStateException("frozen");
          }
        }).build();
    awaitReadable(store, 31);
    try (ProjectionRunner r = runner(ledger).build()) {
      metrics.bindStatus(r);
      r.start();
      Await.until("31 events handled", Duration.ofMinutes(3),
          () -> {
            // Created with the first batch: absent until then.
            Counter events = registry.find("annals.projector.events").tag("projector", "ledger")
                .tag("partition", "0").counter();
            return events != null && events.count() == 31;
          });
      assertThat(meter("annals.projector.batch").tag("projector", "ledger").timer().count())
          .as("at least 4 batches of at most 10").isGreaterThanOrEqualTo(4);
      Await.until("lag 0 and one dead letter in the gauges", Duration.ofMinutes(3),
          () -> meter("annals.projector.lag").tag("projector", "ledger").gauge().value() == 0
              && meter("annals.projector.dead.letters").tag("projector", "ledger").gauge().value() == 1);
      assertThat(meter("annals.projector.lag.age").tag("projector", "ledger").gauge().value()).isZero();

      r.stop("ledger");
      for (int i = 0; i < 5; i++) {
        store.append(StreamId.of("wallet", "w1"), ExpectedVersion.any(), NewEvent.of(new Deposited(1)));
      }
      Await.until("a stopped projector's lag shows in events and seconds", Duration.ofMinutes(3),
          () -> meter("annals.projector.lag").tag("projector", "ledger").gauge().value() >= 5
              && meter("annals.projector.lag.age").tag("projector", "ledger").gauge().value() > 0);
    }
  }

  @Test
  void publisher_sends_failures_lag_and_inbox_duplicates_are_measured() throws Exception {
    requireListening("RabbitMQ", 5672);
    MessagingMetrics messaging = MessagingMetrics.create(registry);
    String base = "annals.metrics." + UUID.randomUUID().toString().substring(0, 8);
    ConnectionFactory factory = new ConnectionFactory();
    factory.setHost("127.0.0.1");
    factory.setUsername("guest");
    factory.setPassword("guest");
    try (Connection admin = factory.newConnection("annals-metrics-test");
        Channel ch = admin.createChannel();
        MessageSink rabbit = RabbitMqSink.builder(factory).exchange(base).confirmTimeout(Duration.ofSeconds(10)).build()) {
      ch.exchangeDeclare(base, BuiltinExchangeType.DIRECT, false, true, null);
      ch.queueDeclare(base + ".wallet", false, false, true, null);
      ch.queueBind(base + ".wallet", base, "wallet");
      for (int i = 1; i <= 5; i++) {
        store.append(StreamId.of("wallet", "w" + i), ExpectedVersion.any(), NewEvent.of(new Deposited(i)));
      }
      CloudEventMapper mapper = CloudEventMapper.builder(events()).source("urn:annals:test").build();
      Projector publisher = Publisher.builder("to_rabbit", messaging.countingSink("to_rabbit", rabbit))
          .mapper(mapper).filter(LogFilter.categories("wallet")).build();
      Inbox inbox = Inbox.install(store);
      List<String> handled = new CopyOnWriteArrayList<>();
      try (ProjectionRunner r = runner(publisher).build();
          RabbitMqConsumer consumer = RabbitMqConsumer.builder(factory, base + ".wallet", "ledger", inbox,
              (event, h) -> handled.add(event.getId())).build()) {
        messaging.bindPublisher(r, "to_rabbit");
        messaging.bindConsumer("ledger", consumer::counts);
        assertThat(meter("annals.publisher.lag").tag("publisher", "to_rabbit").gauge().value())
            .as("not started: no status yet").isNaN();
        consumer.start();
        r.start();
        Await.until("5 messages applied", Duration.ofMinutes(3),
            () -> meter("annals.inbox.messages").tag("consumer", "ledger").tag("outcome", "applied")
                .functionCounter().count() == 5);
        assertThat(meter("annals.publisher.sent").tag("publisher", "to_rabbit").counter().count()).isEqualTo(5);
        assertThat(meter("annals.publisher.failures").tag("publisher", "to_rabbit").counter().count()).isZero();
        Await.until("publisher lag 0", Duration.ofMinutes(3),
            () -> meter("annals.publisher.lag").tag("publisher", "to_rabbit").gauge().value() == 0);

        // The same CloudEvent once more: the inbox recognises it.
        OutgoingMessage again = new OutgoingMessage(mapper.toCloudEvent(store.readAll(0, 1).get(0)), "wallet-w1",
            "wallet");
        rabbit.send(List.of(again));
        Await.until("one duplicate", Duration.ofMinutes(3),
            () -> meter("annals.inbox.messages").tag("consumer", "ledger").tag("outcome", "duplicate")
                .functionCounter().count() == 1);
        assertThat(handled).hasSize(5);
      }
    }

    // A broker that is not there: nothing confirmed, the failure is counted and passed on.
    int closed;
    try (ServerSocket s = new ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    ConnectionFactory nowhere = new ConnectionFactory();
    nowhere.setHost("127.0.0.1");
    nowhere.setPort(closed);
    nowhere.setConnectionTimeout(2000);
    try (MessageSink down = messaging.countingSink("nowhere",
        RabbitMqSink.builder(nowhere).exchange(base).confirmTimeout(Duration.ofSeconds(2)).build())) {
      OutgoingMessage m = new OutgoingMessage(CloudEventMapper.builder(events()).source("urn:x").build()
          .toCloudEvent(store.readAll(0, 1).get(0)), "wallet-w1", "wallet");
      assertThatThrownBy(() -> down.send(List.of(m))).isInstanceOf(Exception.class);
      assertThat(meter("annals.publisher.failures").tag("publisher", "nowhere").counter().count()).isEqualTo(1);
      assertThat(meter("annals.publisher.sent").tag("publisher", "nowhere").counter().count()).isZero();
    }
  }

  /**
   * Waits until the gap-safe reader sees all {@code n} events of this test's log: an open
   * transaction anywhere in the shared cluster (another build's test) holds readers back.
   */
  static void awaitReadable(PostgresEventStore store, int n) {
    Await.until(n + " events readable", Duration.ofMinutes(3),
        () -> store.logReader().read(LogCursor.START, n + 1).events().size() == n);
  }

  @Test
  void a_publisher_the_runner_does_not_have_is_refused_by_name() {
    Projector p = Projector.builder("ledger").handler((e, c) -> { }).build();
    try (ProjectionRunner r = runner(p).build()) {
      assertThatThrownBy(() -> MessagingMetrics.create(registry).bindPublisher(r, "to_kafka"))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("to_kafka").hasMessageContaining("ledger");
    }
  }

  static void requireListening(String service, int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
    } catch (IOException e) {
      throw new AssertionError(service + " is not answering on 127.0.0.1:" + port + "; these tests need it", e);
    }
  }
}
