package dev.annals.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import dev.annals.core.AggregateRepository;
import dev.annals.core.AggregateType;
import dev.annals.core.EventRegistry;
import dev.annals.messaging.MessageSink;
import dev.annals.messaging.rabbitmq.RabbitMqSink;
import dev.annals.spring.boot.Wallets.Deposit;
import dev.annals.testkit.Await;
import dev.annals.testkit.PostgresTestDatabase;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.context.ApplicationContext;

/**
 * Publishers configured under {@code annals.publishers}, each sending to a {@link MessageSink}
 * bean: one to the RabbitMQ on 127.0.0.1:5672, one to a port where no broker listens.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class PublishersIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  static final Duration LONG = Duration.ofSeconds(60);
  static final String BASE = "annals.starter." + UUID.randomUUID().toString().substring(0, 8);
  static final String EXCHANGE = BASE + ".events";
  static final String QUEUE = BASE + ".wallet";

  static Connection admin;
  static Channel channel;

  @BeforeAll
  static void declareTheQueue() throws Exception {
    try (Socket probe = new Socket("127.0.0.1", 5672)) {
      assertThat(probe.isConnected()).as("RabbitMQ on 127.0.0.1:5672 (rabbitmq-server -detached)").isTrue();
    }
    admin = factory(5672).newConnection("annals-starter-test");
    channel = admin.createChannel();
    channel.exchangeDeclare(EXCHANGE, BuiltinExchangeType.DIRECT, false, true, null);
    channel.queueDeclare(QUEUE, false, false, true, null);
    channel.queueBind(QUEUE, EXCHANGE, "wallet");
  }

  @AfterAll
  static void dropTheQueue() throws Exception {
    if (admin != null) {
      channel.queueDelete(QUEUE);
      channel.exchangeDelete(EXCHANGE);
      admin.close();
    }
  }

  static ConnectionFactory factory(int port) {
    ConnectionFactory f = new ConnectionFactory();
    f.setHost("127.0.0.1");
    f.setPort(port);
    f.setUsername("guest");
    f.setPassword("guest");
    f.setConnectionTimeout(2000);
    return f;
  }

  static Health health(ApplicationContext context, String publisher) {
    CompositeHealthContributor annals = context.getBean("annalsHealthContributor", CompositeHealthContributor.class);
    CompositeHealthContributor publishers = (CompositeHealthContributor) annals.getContributor("publishers");
    return ((HealthIndicator) publishers.getContributor(publisher)).health();
  }

  @Test
  void configured_publishers_send_to_their_sinks_and_report_their_health() {
    StarterContexts.on(db, db.newSchema())
        .withPropertyValues("annals.publishers.wallets_out.sink=rabbit",
            "annals.publishers.wallets_out.source=urn:test:wallets",
            "annals.publishers.wallets_out.categories=wallet",
            "annals.publishers.nowhere.sink=unreachable",
            "annals.publishers.nowhere.source=urn:test:nowhere",
            "annals.health.failure-window=10m")
        .withBean(EventRegistry.class, () -> Wallets.REGISTRY)
        .withBean("wallet", AggregateType.class, () -> Wallets.walletType(100))
        .withBean("rabbit", MessageSink.class,
            () -> RabbitMqSink.builder(factory(5672)).exchange(EXCHANGE).confirmTimeout(Duration.ofSeconds(10)).build())
        .withBean("unreachable", MessageSink.class, () -> RabbitMqSink.builder(factory(1)).exchange(EXCHANGE).build())
        .run(context -> {
          assertThat(context).hasNotFailed();
          @SuppressWarnings("unchecked")
          AggregateRepository<Wallets.WalletCommand, Wallets.Wallet, Wallets.WalletEvent> wallets =
              context.getBean("walletRepository", AggregateRepository.class);
          wallets.handle("w-1", new Deposit(250));
          wallets.handle("w-2", new Deposit(40));

          List<String> received = new ArrayList<>();
          Await.until("both events on the queue", LONG, () -> {
            try {
              GetResponse r;
              while ((r = channel.basicGet(QUEUE, true)) != null) {
                received.add(new String(r.getBody(), java.nio.charset.StandardCharsets.UTF_8));
              }
            } catch (java.io.IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
            return received.size() >= 2;
          });
          assertThat(received).hasSize(2).allSatisfy(body -> assertThat(body).contains("\"cents\""));

          Await.until("wallets_out UP", LONG, () -> health(context, "wallets_out").getStatus().equals(Status.UP));
          Await.until("nowhere DOWN, failing", LONG, () -> health(context, "nowhere").getStatus().equals(Status.DOWN)
              && health(context, "nowhere").getDetails().containsKey("lastError"));
          Health failing = health(context, "nowhere");
          assertThat((String) failing.getDetails().get("reason")).startsWith("failing: ");
          assertThat((String) failing.getDetails().get("lastError")).contains("did not confirm");
          assertThat((Long) failing.getDetails().get("lagEvents")).isPositive();
        });
  }

  @Test
  void configured_publishers_are_counted_and_traced_when_a_meter_registry_and_open_telemetry_exist() {
    InMemorySpanExporter spans = InMemorySpanExporter.create();
    OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
        .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
        .build();
    try {
      StarterContexts.on(db, db.newSchema())
          .withConfiguration(AutoConfigurations.of(AnnalsMetricsAutoConfiguration.class,
              AnnalsTracingAutoConfiguration.class))
          .withPropertyValues("annals.publishers.wallets_out.sink=rabbit",
              "annals.publishers.wallets_out.source=urn:test:wallets",
              "annals.publishers.wallets_out.categories=wallet",
              "annals.publishers.nowhere.sink=unreachable",
              "annals.publishers.nowhere.source=urn:test:nowhere")
          .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
          .withBean(OpenTelemetry.class, () -> sdk)
          .withBean(EventRegistry.class, () -> Wallets.REGISTRY)
          .withBean("wallet", AggregateType.class, () -> Wallets.walletType(100))
          .withBean("rabbit", MessageSink.class, () -> RabbitMqSink.builder(factory(5672)).exchange(EXCHANGE)
              .confirmTimeout(Duration.ofSeconds(10)).build())
          .withBean("unreachable", MessageSink.class, () -> RabbitMqSink.builder(factory(1)).exchange(EXCHANGE).build())
          .run(context -> {
            assertThat(context).hasNotFailed();
            @SuppressWarnings("unchecked")
            AggregateRepository<Wallets.WalletCommand, Wallets.Wallet, Wallets.WalletEvent> wallets =
                context.getBean("walletRepository", AggregateRepository.class);
            Span command = sdk.getTracer("test").spanBuilder("command").startSpan();
            try (Scope ignored = command.makeCurrent()) {
              wallets.handle("w-7", new Deposit(70));
            } finally {
              command.end();
            }
            String traceId = command.getSpanContext().getTraceId();

            List<GetResponse> received = new ArrayList<>();
            Await.until("the event on the queue", LONG, () -> {
              try {
                GetResponse r;
                while ((r = channel.basicGet(QUEUE, true)) != null) {
                  received.add(r);
                }
              } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
              return !received.isEmpty();
            });
            GetResponse message = received.get(0);
            assertThat(new String(message.getBody(), java.nio.charset.StandardCharsets.UTF_8)
                + message.getProps().getHeaders()).as("the CloudEvent's traceparent").contains(traceId);
            Await.until("the publish span in the command's trace", LONG, () -> spans.getFinishedSpanItems().stream()
                .anyMatch(s -> s.getName().equals("annals.publish wallets_out")
                    && (s.getTraceId().equals(traceId)
                        || s.getLinks().stream().anyMatch(l -> l.getSpanContext().getTraceId().equals(traceId)))));

            MeterRegistry registry = context.getBean(MeterRegistry.class);
            Await.until("the sent message counted", LONG, () -> registry.get("annals.publisher.sent")
                .tag("publisher", "wallets_out").counter().count() == 1.0);
            Await.until("the unconfirmed batch counted", LONG, () -> registry.get("annals.publisher.failures")
                .tag("publisher", "nowhere").counter().count() >= 1.0);
            Await.until("the lag gauges bound to the runner", LONG,
                () -> registry.get("annals.publisher.lag").tag("publisher", "wallets_out").gauge().value() == 0.0
                    && registry.get("annals.publisher.lag").tag("publisher", "nowhere").gauge().value() >= 1.0);
            assertThat(registry.get("annals.publisher.lag.age").tag("publisher", "nowhere").gauge().value())
                .isNotNaN();
          });
    } finally {
      sdk.close();
    }
  }

  @Test
  void publishers_without_es_messaging_on_the_class_path_stop_the_start_saying_so() {
    StarterContexts.on(db, db.newSchema())
        .withClassLoader(new FilteredClassLoader("dev.annals.messaging"))
        .withPropertyValues("annals.publishers.out.sink=rabbit", "annals.publishers.out.source=urn:test:out")
        .withBean(EventRegistry.class, () -> Wallets.REGISTRY)
        .run(context -> {
          assertThat(context).hasFailed();
          assertThat(context.getStartupFailure()).hasStackTraceContaining("IllegalStateException: annals.publishers "
              + "configures [out], but es-messaging (dev.annals:es-messaging) is not on the class path");
        });
  }

  @Test
  void a_publisher_naming_a_missing_sink_stops_the_start_naming_it() {
    StarterContexts.on(db, db.newSchema())
        .withPropertyValues("annals.publishers.out.sink=kafka", "annals.publishers.out.source=urn:test:out")
        .withBean(EventRegistry.class, () -> Wallets.REGISTRY)
        .run(context -> {
          assertThat(context).hasFailed();
          assertThat(context.getStartupFailure()).hasStackTraceContaining("IllegalStateException: "
              + "annals.publishers.out.sink names 'kafka', but there is no MessageSink bean of that name");
        });
  }
}
