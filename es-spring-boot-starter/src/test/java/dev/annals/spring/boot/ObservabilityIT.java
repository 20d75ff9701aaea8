package dev.annals.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.annals.core.AggregateRepository;
import dev.annals.core.AggregateType;
import dev.annals.core.EventRegistry;
import dev.annals.core.EventStore;
import dev.annals.core.Metadata;
import dev.annals.core.RecordedEvent;
import dev.annals.core.StreamId;
import dev.annals.micrometer.AnnalsMetrics;
import dev.annals.opentelemetry.AnnalsTracing;
import dev.annals.projections.ProjectionRunner;
import dev.annals.projections.Projector;
import dev.annals.spring.boot.Wallets.Deposit;
import dev.annals.testkit.Await;
import dev.annals.testkit.PostgresTestDatabase;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.context.ApplicationContext;

/**
 * The metrics and tracing auto-configurations: on when the application has a MeterRegistry or
 * an OpenTelemetry bean, off without, backing off to the application's own AnnalsMetrics.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ObservabilityIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  static final Duration LONG = Duration.ofSeconds(60);

  @SuppressWarnings("unchecked")
  static AggregateRepository<Wallets.WalletCommand, Wallets.Wallet, Wallets.WalletEvent> wallets(
      ApplicationContext context) {
    return context.getBean("walletRepository", AggregateRepository.class);
  }

  @Test
  void a_meter_registry_bean_gets_the_repository_and_projector_meters() {
    StarterContexts.on(db, db.newSchema())
        .withConfiguration(org.springframework.boot.autoconfigure.AutoConfigurations.of(
            AnnalsMetricsAutoConfiguration.class, AnnalsTracingAutoConfiguration.class))
        .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
        .withBean(EventRegistry.class, () -> Wallets.REGISTRY)
        .withBean("wallet", AggregateType.class, () -> Wallets.walletType(100))
        .withBean("balances", Projector.class, Wallets::balances)
        .run(context -> {
          assertThat(context).hasSingleBean(AnnalsMetrics.class).doesNotHaveBean(AnnalsTracing.class);
          wallets(context).handle("w-1", new Deposit(5));
          wallets(context).handle("w-1", new Deposit(6));
          assertThat(context.getBean(ProjectionRunner.class).awaitCaughtUp("balances", LONG)).isTrue();
          MeterRegistry registry = context.getBean(MeterRegistry.class);
          assertThat(registry.get("annals.append").tag("aggregate.type", "wallet").timer().count()).isEqualTo(2);
          assertThat(registry.get("annals.append.events").counter().count()).isEqualTo(2.0);
          Await.until("the projector's batches counted", LONG,
              () -> registry.find("annals.projector.events").tag("projector", "balances").counter() != null
                  && registry.find("annals.projector.events").tag("projector", "balances").counter().count() >= 2);
          assertThat(registry.get("annals.projector.lag").tag("projector", "balances").gauge().value())
              .as("the lag gauge is bound to the runner").isNotNaN();
          assertThat(registry.find("annals.projector.batch").timer()).isNotNull();
        });
  }

  @Test
  void an_application_metrics_bean_is_used_instead_of_the_starters() {
    SimpleMeterRegistry own = new SimpleMeterRegistry();
    StarterContexts.on(db, db.newSchema())
        .withConfiguration(org.springframework.boot.autoconfigure.AutoConfigurations.of(
            AnnalsMetricsAutoConfiguration.class))
        .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
        .withBean(AnnalsMetrics.class, () -> AnnalsMetrics.create(own))
        .withBean(EventRegistry.class, () -> Wallets.REGISTRY)
        .withBean("wallet", AggregateType.class, () -> Wallets.walletType(100))
        .run(context -> {
          assertThat(context.getBean(AnnalsMetrics.class).registry()).isSameAs(own);
          wallets(context).handle("w-1", new Deposit(5));
          assertThat(own.get("annals.append").timer().count()).isEqualTo(1);
          assertThat(context.getBean(MeterRegistry.class).find("annals.append").timer()).isNull();
        });
  }

  @Test
  void without_a_meter_registry_or_open_telemetry_bean_nothing_is_observed() {
    StarterContexts.on(db, db.newSchema())
        .withConfiguration(org.springframework.boot.autoconfigure.AutoConfigurations.of(
            AnnalsMetricsAutoConfiguration.class, AnnalsTracingAutoConfiguration.class))
        .withBean(EventRegistry.class, () -> Wallets.REGISTRY)
        .withBean("wallet", AggregateType.class, () -> Wallets.walletType(100))
        .run(context -> {
          assertThat(context).doesNotHaveBean(AnnalsMetrics.class).doesNotHaveBean(AnnalsTracing.class);
          wallets(context).handle("w-1", new Deposit(5));
          RecordedEvent event = context.getBean(EventStore.class).readStream(StreamId.of("wallet", "w-1"), 1, 10).get(0);
          assertThat(event.metadata().extra()).doesNotContainKey(Metadata.TRACEPARENT);
        });
  }

  @Test
  void an_open_telemetry_bean_traces_appends_into_the_events_metadata_and_projector_batches() {
    InMemorySpanExporter spans = InMemorySpanExporter.create();
    List<SpanContext> currentInHandler = new CopyOnWriteArrayList<>();
    OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
        .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
        .build();
    try {
      StarterContexts.on(db, db.newSchema())
          .withConfiguration(org.springframework.boot.autoconfigure.AutoConfigurations.of(
              AnnalsMetricsAutoConfiguration.class, AnnalsTracingAutoConfiguration.class))
          .withBean(OpenTelemetry.class, () -> sdk)
          .withBean(EventRegistry.class, () -> Wallets.REGISTRY)
          .withBean("wallet", AggregateType.class, () -> Wallets.walletType(100))
          .withBean("balances", Projector.class, Wallets::balances)
          .withBean("seen", Projector.class, () -> Projector.builder("seen")
              .handler((event, ctx) -> currentInHandler.add(Span.current().getSpanContext())).build())
          .run(context -> {
            assertThat(context).hasSingleBean(AnnalsTracing.class).doesNotHaveBean(AnnalsMetrics.class);
            Span command = sdk.getTracer("test").spanBuilder("command").startSpan();
            try (Scope ignored = command.makeCurrent()) {
              wallets(context).handle("w-1", new Deposit(5));
            } finally {
              command.end();
            }
            String traceId = command.getSpanContext().getTraceId();
            RecordedEvent event = context.getBean(EventStore.class).readStream(StreamId.of("wallet", "w-1"), 1, 10)
                .get(0);
            assertThat(event.metadata().extra().get(Metadata.TRACEPARENT)).contains(traceId);
            Await.until("the projector's batch span in the command's trace", LONG, () -> spans.getFinishedSpanItems()
                .stream().anyMatch(s -> s.getName().equals("annals.projector.batch balances")
                    && s.getTraceId().equals(traceId)));
            List<String> names = spans.getFinishedSpanItems().stream().filter(s -> s.getTraceId().equals(traceId))
                .map(SpanData::getName).toList();
            assertThat(names).contains("command", "annals.append wallet", "annals.projector.batch balances");
            Await.until("the seen projector's batch span", LONG, () -> spans.getFinishedSpanItems().stream()
                .anyMatch(s -> s.getName().equals("annals.projector.batch seen")));
            SpanData seen = spans.getFinishedSpanItems().stream()
                .filter(s -> s.getName().equals("annals.projector.batch seen")).findFirst().orElseThrow();
            assertThat(currentInHandler).as("the handler runs inside its batch's span, in the command's trace")
                .containsExactly(seen.getSpanContext())
                .allMatch(c -> c.getTraceId().equals(traceId));
          });
    } finally {
      sdk.close();
    }
  }
}
