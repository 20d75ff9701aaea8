package dev.annals.opentelemetry;

import dev.annals.core.AppendResult;
import dev.annals.core.EventRegistry;
import dev.annals.core.EventStore;
import dev.annals.core.ExpectedVersion;
import dev.annals.core.LogFilter;
import dev.annals.core.NewEvent;
import dev.annals.core.RecordedEvent;
import dev.annals.core.StreamId;
import dev.annals.core.internal.Redaction;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * An event store whose appends are spans, and whose appended events carry that span's W3C
 * context in their metadata, so that whoever reads them later (projectors, publishers, other
 * services) can continue the trace. Reads pass through untouched.
 */
final class TracingEventStore implements EventStore {

  private final EventStore store;
  private final Tracer tracer;

  TracingEventStore(EventStore store, Tracer tracer) {
    this.store = store;
    this.tracer = tracer;
  }

  @Override
  @SuppressWarnings("try") // the scope makes the span current; its variable is not used
  public AppendResult append(StreamId streamId, ExpectedVersion expected, List<NewEvent> events) {
    Span span = tracer.spanBuilder("annals.append " + streamId.category())
        .setAttribute(Attributes.STREAM, streamId.toString())
        .setAttribute(Attributes.AGGREGATE_TYPE, streamId.category())
        .setAttribute(Attributes.EVENTS, (long) events.size())
        .startSpan();
    try (Scope ignored = span.makeCurrent()) {
      Context context = Context.current();
      List<NewEvent> traced = new ArrayList<>(events.size());
      for (NewEvent e : events) {
        traced.add(e.withMetadata(TraceContext.capture(context, e.metadata())));
      }
      AppendResult result = store.append(streamId, expected, traced);
      span.setAttribute(Attributes.VERSION, result.lastVersion());
      span.setAttribute(Attributes.POSITION, result.lastPosition());
      return result;
    } catch (RuntimeException e) {
      // Exported telemetry is output too: no credential from a broker's message in it.
        span.recordException(Redaction.redacted(e));
      span.setStatus(StatusCode.ERROR, e.getClass().getSimpleName());
      throw e;
    } finally {
      span.end();
    }
  }

  @Override
  public EventRegistry registry() {
    return store.registry();
  }

  @Override
  public List<RecordedEvent> readStream(StreamId streamId, long fromVersion, int limit) {
    return store.readStream(streamId, fromVersion, limit);
  }

  @Override
  public List<RecordedEvent> readStreamBackward(StreamId streamId, long fromVersion, int limit) {
    return store.readStreamBackward(streamId, fromVersion, limit);
  }

  @Override
  public List<Object> readPayloads(StreamId streamId, long fromVersion, int limit) {
    return store.readPayloads(streamId, fromVersion, limit);
  }

  @Override
  public List<RecordedEvent> readAll(long afterPosition, int limit, LogFilter filter) {
    return store.readAll(afterPosition, limit, filter);
  }

  @Override
  public Optional<RecordedEvent> readEvent(UUID eventId) {
    return store.readEvent(eventId);
  }

  @Override
  public long headPosition() {
    return store.headPosition();
  }

  @Override
  public long streamVersion(StreamId streamId) {
    return store.streamVersion(streamId);
  }
}
