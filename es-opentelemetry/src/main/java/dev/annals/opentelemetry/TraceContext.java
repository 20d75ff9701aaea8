package dev.annals.opentelemetry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.annals.core.Metadata;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.context.Context;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.TextMapGetter;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The W3C trace context as text, in and out of event metadata and CloudEvents. Always W3C,
 * whatever propagators the application configured: the metadata keys and the CloudEvents
 * extension are named after it.
 */
final class TraceContext {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final W3CTraceContextPropagator W3C = W3CTraceContextPropagator.getInstance();
  private static final TextMapGetter<Map<String, String>> MAP = new TextMapGetter<>() {
    @Override
    @SuppressWarnings("deprecation") // abstract still, though the propagators no longer call it
    public Iterable<String> keys(Map<String, String> carrier) {
      return carrier.keySet();
    }

    @Override
    public String get(Map<String, String> carrier, String key) {
      return carrier == null ? null : carrier.get(key);
    }
  };

  private TraceContext() {}

  /** {@code metadata} with the context of {@code context}'s span, or as it is when none is valid. */
  static Metadata capture(Context context, Metadata metadata) {
    Map<String, String> carrier = new HashMap<>(2);
    W3C.inject(context, carrier, Map::put);
    String traceparent = carrier.get(Metadata.TRACEPARENT);
    if (traceparent == null) {
      return metadata;
    }
    Metadata out = metadata.with(Metadata.TRACEPARENT, traceparent);
    String tracestate = carrier.get(Metadata.TRACESTATE);
    return tracestate == null || tracestate.isEmpty() ? out : out.with(Metadata.TRACESTATE, tracestate);
  }

  /** The span context carried by a {@code traceparent} (and {@code tracestate}); empty if none is valid. */
  static Optional<SpanContext> parse(String traceparent, String tracestate) {
    if (traceparent == null) {
      return Optional.empty();
    }
    Map<String, String> carrier = new HashMap<>(2);
    carrier.put(Metadata.TRACEPARENT, traceparent);
    if (tracestate != null) {
      carrier.put(Metadata.TRACESTATE, tracestate);
    }
    SpanContext found = Span.fromContext(W3C.extract(Context.root(), carrier, MAP)).getSpanContext();
    return found.isValid() ? Optional.of(found) : Optional.empty();
  }

  /**
   * The span context captured in stored metadata JSON (as the log reader returns it); empty when
   * there is none or the JSON is not readable, which must never stop a projector.
   */
  static Optional<SpanContext> fromMetadataJson(String json) {
    if (json == null || !json.contains(Metadata.TRACEPARENT)) {
      return Optional.empty();
    }
    try {
      JsonNode extra = JSON.readTree(json).path("extra");
      JsonNode parent = extra.path(Metadata.TRACEPARENT);
      JsonNode state = extra.path(Metadata.TRACESTATE);
      return parse(parent.isTextual() ? parent.asText() : null, state.isTextual() ? state.asText() : null);
    } catch (Exception unreadable) {
      return Optional.empty();
    }
  }
}
