package dev.annals.opentelemetry;

import dev.annals.core.AggregateRepository;
import dev.annals.core.EventStore;
import dev.annals.core.Metadata;
import dev.annals.core.RepositoryObserver;
import dev.annals.projections.BatchScope;
import dev.annals.projections.ProjectionRunner;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Tracer;
import java.util.Objects;

/**
 * OpenTelemetry tracing of Annals, for any {@link OpenTelemetry} instance; no Spring and no
 * agent needed. docs/observability.md describes the spans and how the context travels.
 *
 * <pre>{@code
 * AnnalsTracing tracing = AnnalsTracing.create(openTelemetry);
 * EventStore traced = tracing.tracedStore(store);           // append spans, context captured
 * AggregateRepository<...> accounts = AggregateRepository.builder(ACCOUNT, traced)
 *     .observer(tracing.repositoryObserver()).build();      // load spans
 * ProjectionRunner runner = ProjectionRunner.builder(store).projector(balances)
 *     .batchScope(tracing.batchScope()).build();            // projector batch spans
 * }</pre>
 *
 * <p>Thread-safe.
 */
public final class AnnalsTracing {

  /** The instrumentation scope name of every span this module makes. */
  public static final String INSTRUMENTATION = "dev.annals";

  private final Tracer tracer;

  private AnnalsTracing(Tracer tracer) {
    this.tracer = tracer;
  }

  /** Tracing with {@code openTelemetry}'s tracer named {@value #INSTRUMENTATION}. */
  public static AnnalsTracing create(OpenTelemetry openTelemetry) {
    Objects.requireNonNull(openTelemetry, "openTelemetry must not be null");
    return new AnnalsTracing(openTelemetry.getTracer(INSTRUMENTATION));
  }

  /**
   * {@code store}, with every append in a span named {@code annals.append <category>} (a child
   * of the current span) whose W3C context is written into each appended event's metadata
   * ({@link Metadata#TRACEPARENT}, {@link Metadata#TRACESTATE}). Reads pass through. Give it to
   * the repositories; projection runners keep the store itself.
   */
  public EventStore tracedStore(EventStore store) {
    return new TracingEventStore(Objects.requireNonNull(store, "store must not be null"), tracer);
  }

  /**
   * The observer to give {@link AggregateRepository.Builder#observer}: a span named
   * {@code annals.load <category>} per load from the store (not from the cache).
   */
  public RepositoryObserver repositoryObserver() {
    return new RepositorySpans(tracer);
  }

  /**
   * The scope to give {@link ProjectionRunner.Builder#batchScope}: a span named
   * {@code annals.projector.batch <projector>} per batch, linked to each event's append and
   * current while the batch's handlers run, so that their log lines and spans join its trace.
   */
  public BatchScope batchScope() {
    return new ProjectionSpans(tracer);
  }
}
