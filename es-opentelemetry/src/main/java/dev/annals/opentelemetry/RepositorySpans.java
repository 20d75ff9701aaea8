package dev.annals.opentelemetry;

import dev.annals.core.RepositoryObserver;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import java.time.Instant;

/**
 * Load spans, made from the repository's observation after the load: children of the span
 * current on the command's thread, with the load's own start and end times. Appends are traced
 * by {@link TracingEventStore}, which must see them as they happen to capture the context.
 */
final class RepositorySpans implements RepositoryObserver {

  private final Tracer tracer;

  RepositorySpans(Tracer tracer) {
    this.tracer = tracer;
  }

  @Override
  public void observe(Observation o) {
    if (o instanceof Loaded l) {
      Instant end = Instant.now();
      Span span = tracer.spanBuilder("annals.load " + l.aggregateType())
          .setStartTimestamp(end.minus(l.took()))
          .setAttribute(Attributes.AGGREGATE_TYPE, l.aggregateType())
          .setAttribute(Attributes.STREAM, l.streamId().toString())
          .setAttribute(Attributes.VERSION, l.version())
          .setAttribute(Attributes.FROM_SNAPSHOT, l.fromSnapshot())
          .setAttribute(Attributes.EVENTS, l.eventsReplayed())
          .startSpan();
      span.end(end);
    }
  }
}
