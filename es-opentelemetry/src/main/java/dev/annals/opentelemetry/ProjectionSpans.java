package dev.annals.opentelemetry;

import dev.annals.postgres.StoredEvent;
import dev.annals.projections.ProjectionObserver;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A span per projector batch, made from the runner's observation after the batch, with a link to
 * each event's captured context. A batch of one event continues that event's trace: its span is
 * a child of the append's span, so one trace runs from the command to the projector.
 */
final class ProjectionSpans implements ProjectionObserver {

  /** OpenTelemetry's default span link limit: more would be dropped by the SDK anyway. */
  static final int MAX_LINKS = 128;

  private final Tracer tracer;

  ProjectionSpans(Tracer tracer) {
    this.tracer = tracer;
  }

  @Override
  public void observe(Observation o) {
    if (!(o instanceof Batch b) || b.events().isEmpty()) {
      return;
    }
    List<StoredEvent> events = b.events();
    List<SpanContext> contexts = new ArrayList<>();
    for (StoredEvent e : events) {
      if (contexts.size() == MAX_LINKS) {
        break;
      }
      TraceContext.fromMetadataJson(e.metadata()).ifPresent(contexts::add);
    }
    Instant end = Instant.now();
    StoredEvent first = events.get(0);
    StoredEvent last = events.get(events.size() - 1);
    SpanBuilder builder = tracer.spanBuilder("annals.projector.batch " + b.projector())
        .setSpanKind(SpanKind.CONSUMER)
        .setStartTimestamp(end.minus(b.took()))
        .setAttribute(Attributes.PROJECTOR, b.projector())
        .setAttribute(Attributes.PARTITION, (long) b.partition())
        .setAttribute(Attributes.EVENTS, (long) events.size())
        .setAttribute(Attributes.HANDLED, (long) b.handled())
        .setAttribute(Attributes.FIRST_POSITION, first.position())
        .setAttribute(Attributes.POSITION, last.position());
    if (events.size() == 1) {
      builder.setAttribute(Attributes.STREAM, first.streamId().toString())
          .setAttribute(Attributes.VERSION, first.version());
    }
    Optional<SpanContext> parent = events.size() == 1 && contexts.size() == 1
        ? Optional.of(contexts.get(0)) : Optional.empty();
    // A batch of many events belongs to no one trace: a root span, linked to each of them.
    builder.setParent(parent.map(p -> Context.root().with(Span.wrap(p))).orElse(Context.root()));
    for (SpanContext c : contexts) {
      builder.addLink(c);
    }
    builder.startSpan().end(end);
  }
}
