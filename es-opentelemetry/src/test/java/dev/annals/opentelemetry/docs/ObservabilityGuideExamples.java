package dev.annals.opentelemetry.docs;

import com.rabbitmq.client.ConnectionFactory;
import dev.annals.core.AggregateRepository;
import dev.annals.core.AggregateType;
import dev.annals.core.EventStore;
import dev.annals.messaging.CloudEventMapper;
import dev.annals.messaging.MessageSink;
import dev.annals.messaging.Publisher;
import dev.annals.messaging.inbox.Inbox;
import dev.annals.messaging.inbox.MessageHandler;
import dev.annals.messaging.rabbitmq.RabbitMqConsumer;
import dev.annals.micrometer.AnnalsMetrics;
import dev.annals.micrometer.MessagingMetrics;
import dev.annals.opentelemetry.AnnalsTracing;
import dev.annals.opentelemetry.MessagingTracing;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.projections.ProjectionRunner;
import dev.annals.projections.Projector;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.OpenTelemetry;

/**
 * The examples of docs/observability.md, through the public API only. They compile with the
 * build, so a change breaking the documented usage fails it; ObservabilityGuideTest checks that
 * the guide shows each tagged region as it is here. ObservabilityGuideIT runs the wiring; the
 * messaging calls run end to end in TracingIT and es-micrometer's MetricsIT.
 */
final class ObservabilityGuideExamples {

  private ObservabilityGuideExamples() {}

  /** A repository and a runner with both metrics and traces; the caller closes them. */
  record Wired<C, S, E>(AggregateRepository<C, S, E> repository, ProjectionRunner runner) {}

  static <C, S, E> Wired<C, S, E> wiring(PostgresEventStore store, AggregateType<C, S, E> accountType,
      Projector balances, MeterRegistry meterRegistry, OpenTelemetry openTelemetry) {
    // tag::wiring[]
    AnnalsMetrics metrics = AnnalsMetrics.create(meterRegistry);
    AnnalsTracing tracing = AnnalsTracing.create(openTelemetry);

    // Appends through the traced store carry the trace context in their metadata.
    EventStore traced = tracing.tracedStore(store);
    AggregateRepository<C, S, E> accounts = AggregateRepository.builder(accountType, traced)
        .snapshotStore(store.snapshotStore())
        .observer(metrics.repositoryObserver().andThen(tracing.repositoryObserver()))
        .build();

    // The runner reads the log itself: it takes the store, not the traced view of it. Each
    // batch's span is current while the projector's handlers run.
    ProjectionRunner runner = ProjectionRunner.builder(store)
        .projector(balances)
        .observer(metrics.projectionObserver())
        .batchScope(tracing.batchScope())
        .build();
    metrics.bindStatus(runner);   // lag and dead-letter gauges of every projector
    // end::wiring[]
    return new Wired<>(accounts, runner);
  }

  /** The consumer is returned unstarted; the runner is the caller's to close, through the builder's store. */
  static RabbitMqConsumer messaging(MessageSink rabbitSink, CloudEventMapper mapper, ProjectionRunner.Builder builder,
      ConnectionFactory factory, Inbox inbox, MessageHandler handler, MeterRegistry meterRegistry,
      OpenTelemetry openTelemetry) {
    // tag::messaging[]
    MessagingMetrics messagingMetrics = MessagingMetrics.create(meterRegistry);
    MessagingTracing messagingTracing = MessagingTracing.create(openTelemetry);

    // Sending side: count what the broker confirmed, and trace each batch.
    MessageSink sink = messagingMetrics.countingSink("accounts_to_rabbit",
        messagingTracing.tracingSink("accounts_to_rabbit", rabbitSink));
    Projector publisher = Publisher.builder("accounts_to_rabbit", sink).mapper(mapper).build();
    ProjectionRunner runner = builder.projector(publisher).build();
    messagingMetrics.bindPublisher(runner, "accounts_to_rabbit");

    // Receiving side: the handler runs in a span continuing the event's trace.
    RabbitMqConsumer consumer = RabbitMqConsumer.builder(factory, "bank.accounts", "payments", inbox,
        messagingTracing.tracingHandler("payments", handler)).build();
    messagingMetrics.bindConsumer("payments", consumer::counts);
    // end::messaging[]
    return consumer;
  }
}
