package dev.annals.core;

import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What travels with every event besides its payload. Every field but {@code extra} may be null,
 * which means "not known"; {@code extra} is never null and is immutable.
 *
 * @param correlationId the id shared by everything one request caused
 * @param causationId the id of the command (or event) that caused this event
 * @param actor who or what caused it: a user, a service, a job
 * @param occurredAt when the event happened in the domain (the store also records when it was stored)
 * @param extra free key/values
 */
public record Metadata(String correlationId, String causationId, String actor, Instant occurredAt,
    Map<String, String> extra) {

  /**
   * Key in {@code extra} of the W3C trace context ({@code traceparent}) current when the event was
   * appended, set by a tracing integration such as es-opentelemetry.
   */
  public static final String TRACEPARENT = "traceparent";
  /** Key in {@code extra} of the W3C {@code tracestate} that went with {@link #TRACEPARENT}. */
  public static final String TRACESTATE = "tracestate";

  private static final Metadata EMPTY = new Metadata(null, null, null, null, Map.of());

  public Metadata {
    extra = extra == null || extra.isEmpty() ? Map.of()
        : Collections.unmodifiableMap(new TreeMap<>(extra));
  }

  /** Metadata with nothing known. */
  public static Metadata empty() {
    return EMPTY;
  }

  public Metadata withCorrelationId(String value) {
    return new Metadata(value, causationId, actor, occurredAt, extra);
  }

  public Metadata withCausationId(String value) {
    return new Metadata(correlationId, value, actor, occurredAt, extra);
  }

  public Metadata withActor(String value) {
    return new Metadata(correlationId, causationId, value, occurredAt, extra);
  }

  public Metadata withOccurredAt(Instant value) {
    return new Metadata(correlationId, causationId, actor, value, extra);
  }

  /** A copy with one more free key/value (replacing an earlier value for the key). */
  public Metadata with(String key, String value) {
    Objects.requireNonNull(key, "metadata key must not be null");
    Objects.requireNonNull(value, "metadata value for '" + key + "' must not be null");
    Map<String, String> copy = new TreeMap<>(extra);
    copy.put(key, value);
    return new Metadata(correlationId, causationId, actor, occurredAt, copy);
  }
}
