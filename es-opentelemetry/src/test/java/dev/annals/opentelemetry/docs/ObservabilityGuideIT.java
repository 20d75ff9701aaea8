package dev.annals.opentelemetry.docs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.annals.core.AggregateType;
import dev.annals.core.Decider;
import dev.annals.core.EventRegistry;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.projections.ProjectionSchema;
import dev.annals.projections.Projector;
import dev.annals.testkit.PostgresTestDatabase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The guide's wiring, run: one command and one projector give the metrics and spans it promises. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ObservabilityGuideIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  record Opened(String owner) {}

  record Account(String owner) {}

  static final AggregateType<String, Account, Opened> ACCOUNT = AggregateType.builder("account", Opened.class,
      Decider.<String, Account, Opened>of(() -> new Account(null), (a, e) -> new Account(e.owner()),
          (owner, a) -> a.owner() == null ? List.of(new Opened(owner)) : List.of()))
      .snapshots(Account.class, 1).build();

  @Test
  void metrics_and_spans_of_a_command_and_its_projector() {
    EventRegistry registry = EventRegistry.builder().register(Opened.class, "Opened")
        .register(Account.class, "Account").build();
    InMemorySpanExporter spans = InMemorySpanExporter.create();
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    Projector balances = Projector.builder("balances").handler((event, ctx) -> { }).build();
    try (PostgresEventStore store = PostgresEventStore.builder(registry).jdbcUrl(db.jdbcUrl()).poolSize(3)
            .schema(db.newSchema()).installSchema(true).build();
        OpenTelemetrySdk otel = OpenTelemetrySdk.builder().setTracerProvider(SdkTracerProvider.builder()
            .addSpanProcessor(SimpleSpanProcessor.create(spans)).build()).build()) {
      // The guide's runner only checks the projection tables, as a production one does.
      ProjectionSchema.install(store.dataSource(), store.schema());
      var wired = ObservabilityGuideExamples.wiring(store, ACCOUNT, balances, meters, otel);
      try (var accounts = wired.repository(); var runner = wired.runner()) {
        accounts.handle("a1", "ann");
        runner.start();
        dev.annals.testkit.Await.until("the batch is measured and traced", Duration.ofMinutes(3),
            () -> meters.find("annals.projector.events").counter() != null
                && meters.get("annals.projector.events").counter().count() == 1
                && spans.getFinishedSpanItems().stream().anyMatch(s -> s.getName().equals("annals.projector.batch balances")));
      }
      assertThat(meters.get("annals.append").tag("aggregate.type", "account").timer().count()).isEqualTo(1);
      assertThat(meters.get("annals.load").tag("from", "events").timer().count()).isEqualTo(1);
      assertThat(meters.get("annals.projector.lag").tag("projector", "balances").gauge()).isNotNull();
      assertThat(spans.getFinishedSpanItems()).extracting(SpanData::getName)
          .contains("annals.load account", "annals.append account", "annals.projector.batch balances");
    }
  }
}
