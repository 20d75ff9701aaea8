package dev.annals.opentelemetry;

import dev.annals.core.internal.Redaction;
import dev.annals.postgres.StoredEvent;
import dev.annals.projections.BatchScope;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.util.ArrayList;
import java.util.List;

/**
 * A span per projector batch, current on the partition's thread while the batch's handlers run,
 * with a link to each event's captured context. A batch of one event continues that event's
 * trace: its span is a child of the append's span, so one trace runs from the command to the
 * projector, and to what its handlers log and trace.
 */
final class ProjectionSpans implements BatchScope {

  /** OpenTelemetry's default span link limit: more would be dropped by the SDK anyway. */
  static final int MAX_LINKS = 128;

  private final Tracer tracer;

  ProjectionSpans(Tracer tracer) {
    this.tracer = tracer;
  }

  @Override
  public Closer open(Start b) {
    List<StoredEvent> events = b.events();
    List<SpanContext> contexts = new ArrayList<>();
    for (StoredEvent e : events) {
      if (contexts.size() == MAX_LINKS) {
        break;
      }
      TraceContext.fromMetadataJson(e.metadata()).ifPresent(contexts::add);
    }
    StoredEvent first = events.get(0);
    StoredEvent last = events.get(events.size() - 1);
    SpanBuilder builder = tracer.spanBuilder("annals.projector.batch " + b.projector())
        .setSpanKind(SpanKind.CONSUMER)
        .setAttribute(Attributes.PROJECTOR, b.projector())
        .setAttribute(Attributes.PARTITION, (long) b.partition())
        .setAttribute(Attributes.EVENTS, (long) events.size())
        .setAttribute(Attributes.FIRST_POSITION, first.position())
        .setAttribute(Attributes.POSITION, last.position());
    if (events.size() == 1) {
      builder.setAttribute(Attributes.STREAM, first.streamId().toString())
          .setAttribute(Attributes.VERSION, first.version());
    }
    // A batch of many events belongs to no one trace: a root span, linked to each of them. Never
    // the thread's current span either: a catch-up runs on its caller's thread.
    builder.setParent(events.size() == 1 && contexts.size() == 1
        ? Context.root().with(Span.wrap(contexts.get(0))) : Context.root());
    for (SpanContext c : contexts) {
      builder.addLink(c);
    }
    Span span = builder.startSpan();
    Scope current = span.makeCurrent();
    return end -> {
      current.close();
      span.setAttribute(Attributes.HANDLED, (long) end.handled());
      end.failure().ifPresent(f -> {
        // Exported telemetry is output too: no credential from a database's message in it.
        span.recordException(Redaction.redacted(f));
        span.setStatus(StatusCode.ERROR, f.getClass().getSimpleName());
      });
      span.end();
    };
  }
}
