package dev.annals.opentelemetry;

import dev.annals.messaging.CloudEventMapper;
import dev.annals.messaging.MessageSink;
import dev.annals.messaging.OutgoingMessage;
import dev.annals.messaging.inbox.MessageHandler;
import dev.annals.core.internal.Redaction;
import io.cloudevents.CloudEvent;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Tracing of publishers and inbox consumers (es-messaging, which this module needs only for this
 * class). The CloudEvents a publisher sends carry the distributed-tracing extension
 * ({@code traceparent}, {@code tracestate}) of the trace their event was appended in; this class
 * adds a span per batch sent and continues the trace on the receiving side.
 *
 * <pre>{@code
 * MessagingTracing tracing = MessagingTracing.create(openTelemetry);
 * Projector publisher = Publisher.builder("accounts_to_rabbit",
 *     tracing.tracingSink("accounts_to_rabbit", rabbitSink)).mapper(mapper).build();
 * RabbitMqConsumer consumer = RabbitMqConsumer.builder(factory, queue, "payments", inbox,
 *     tracing.tracingHandler("payments", handler)).build();
 * }</pre>
 *
 * <p>Thread-safe.
 */
public final class MessagingTracing {

  private final Tracer tracer;

  private MessagingTracing(Tracer tracer) {
    this.tracer = tracer;
  }

  /** Tracing with {@code openTelemetry}'s tracer named {@value AnnalsTracing#INSTRUMENTATION}. */
  public static MessagingTracing create(OpenTelemetry openTelemetry) {
    Objects.requireNonNull(openTelemetry, "openTelemetry must not be null");
    return new MessagingTracing(openTelemetry.getTracer(AnnalsTracing.INSTRUMENTATION));
  }

  /**
   * {@code sink}, sending each batch in a producer span named {@code annals.publish <publisher>}
   * with a link to the trace of each message's event (up to 128). A batch of one message is a
   * child of its event's trace instead. What {@code sink} throws passes through, recorded on the span.
   */
  @SuppressWarnings("try") // the scope makes the span current; its variable is not used
  public MessageSink tracingSink(String publisher, MessageSink sink) {
    Objects.requireNonNull(publisher, "publisher must not be null");
    Objects.requireNonNull(sink, "sink must not be null");
    return new MessageSink() {
      @Override
      public String describe() {
        return sink.describe();
      }

      @Override
      public void send(List<OutgoingMessage> batch) throws Exception {
        SpanBuilder builder = tracer.spanBuilder("annals.publish " + publisher)
            .setSpanKind(SpanKind.PRODUCER)
            .setAttribute(Attributes.PUBLISHER, publisher)
            .setAttribute(Attributes.BATCH_SIZE, (long) batch.size());
        Context parent = Context.root();
        int links = 0;
        for (OutgoingMessage m : batch) {
          Optional<SpanContext> c = context(m.event());
          if (c.isPresent() && links < ProjectionSpans.MAX_LINKS) {
            builder.addLink(c.get());
            links++;
          }
          if (batch.size() == 1 && c.isPresent()) {
            parent = Context.root().with(Span.wrap(c.get()));
          }
        }
        if (batch.size() == 1) {
          builder.setAttribute(Attributes.MESSAGE_ID, batch.get(0).event().getId());
        }
        Span span = builder.setParent(parent).startSpan();
        try (Scope ignored = span.makeCurrent()) {
          sink.send(batch);
        } catch (Exception e) {
          // Exported telemetry is output too: no credential from a broker's message in it.
        span.recordException(Redaction.redacted(e));
          span.setStatus(StatusCode.ERROR, "not confirmed");
          throw e;
        } finally {
          span.end();
        }
      }

      @Override
      public void close() throws Exception {
        sink.close();
      }
    };
  }

  /**
   * {@code handler}, run in a consumer span named {@code annals.inbox <consumer>} that continues
   * the trace of the CloudEvent's distributed-tracing extension (a new trace when it has none).
   * A message the inbox recognises as a duplicate never reaches the handler, so it makes no span.
   * What {@code handler} throws passes through, recorded on the span.
   */
  @SuppressWarnings("try")
  public MessageHandler tracingHandler(String consumer, MessageHandler handler) {
    Objects.requireNonNull(consumer, "consumer must not be null");
    Objects.requireNonNull(handler, "handler must not be null");
    return (event, handle) -> {
      Context parent = context(event).map(c -> Context.root().with(Span.wrap(c))).orElse(Context.root());
      SpanBuilder builder = tracer.spanBuilder("annals.inbox " + consumer)
          .setSpanKind(SpanKind.CONSUMER)
          .setParent(parent)
          .setAttribute(Attributes.CONSUMER, consumer)
          .setAttribute(Attributes.MESSAGE_ID, event.getId());
      if (event.getSubject() != null) {
        builder.setAttribute(Attributes.STREAM, event.getSubject());
      }
      number(event, CloudEventMapper.STREAM_VERSION).ifPresent(v -> builder.setAttribute(Attributes.VERSION, v));
      number(event, CloudEventMapper.POSITION).ifPresent(p -> builder.setAttribute(Attributes.POSITION, p));
      Span span = builder.startSpan();
      try (Scope ignored = span.makeCurrent()) {
        handler.handle(event, handle);
      } catch (Exception e) {
        // Exported telemetry is output too: no credential from a broker's message in it.
        span.recordException(Redaction.redacted(e));
        span.setStatus(StatusCode.ERROR, "handler failed");
        throw e;
      } finally {
        span.end();
      }
    };
  }

  private static Optional<SpanContext> context(CloudEvent event) {
    return TraceContext.parse(CloudEventMapper.traceparent(event).orElse(null),
        CloudEventMapper.tracestate(event).orElse(null));
  }

  private static Optional<Long> number(CloudEvent event, String extension) {
    Object value = event.getExtension(extension);
    if (value == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(Long.parseLong(value.toString()));
    } catch (NumberFormatException notOurs) {
      return Optional.empty();
    }
  }
}
