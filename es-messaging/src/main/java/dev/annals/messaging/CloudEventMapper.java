package dev.annals.messaging;

import dev.annals.core.EventRegistry;
import dev.annals.core.Metadata;
import dev.annals.core.RecordedEvent;
import dev.annals.core.SerializedEvent;
import dev.annals.core.StreamId;
import dev.annals.messaging.schemas.PayloadSchema;
import dev.annals.messaging.schemas.PayloadSchemas;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * Turns stored events into CloudEvents (spec 1.0) and reads the framework's attributes back on
 * the consuming side.
 *
 * <table>
 *   <caption>What an event becomes</caption>
 *   <tr><th>CloudEvent attribute</th><th>value</th></tr>
 *   <tr><td>{@code id}</td><td>the event id (a UUID)</td></tr>
 *   <tr><td>{@code source}</td><td>the configured {@link Builder#source source}</td></tr>
 *   <tr><td>{@code type}</td><td>the registered type name, with the configured prefix</td></tr>
 *   <tr><td>{@code subject}</td><td>the stream id, {@code category-id}</td></tr>
 *   <tr><td>{@code time}</td><td>when it occurred (metadata), else when it was recorded</td></tr>
 *   <tr><td>{@code datacontenttype}, {@code data}</td><td>{@code application/json}, the payload
 *       as the registry writes it; or, for a type with a payload schema (see
 *       {@link Builder#payloadSchemas}), {@code application/avro} and the payload in Avro binary
 *       encoding</td></tr>
 *   <tr><td>{@code dataschema}</td><td>for a payload in Avro, the schema version it was written
 *       with ({@link PayloadSchema#dataSchema()}); else none</td></tr>
 *   <tr><td>{@value #STREAM_VERSION}</td><td>version within the stream</td></tr>
 *   <tr><td>{@value #POSITION}</td><td>global position in the log</td></tr>
 *   <tr><td>{@value #SCHEMA_VERSION}</td><td>the payload's schema version</td></tr>
 *   <tr><td>{@value #CORRELATION_ID}, {@value #CAUSATION_ID}</td><td>from the metadata, when
 *       known</td></tr>
 *   <tr><td>{@value #TRACEPARENT}, {@value #TRACESTATE}</td><td>the W3C trace context captured in
 *       the metadata on append ({@link Metadata#TRACEPARENT}), when there is one: the CloudEvents
 *       distributed-tracing extension</td></tr>
 * </table>
 *
 * <p>The numeric extensions are decimal strings: CloudEvents integers are 32-bit and positions
 * are not, and transports that carry attributes as headers deliver strings anyway.
 *
 * <p>Immutable and thread-safe.
 */
public final class CloudEventMapper {

  /** Extension: the event's version within its stream, a decimal string. */
  public static final String STREAM_VERSION = "streamversion";
  /** Extension: the event's global position in the log, a decimal string. */
  public static final String POSITION = "position";
  /** Extension: the schema version of the payload, a decimal string. */
  public static final String SCHEMA_VERSION = "schemaversion";
  /** Extension: the correlation id, when the event has one. */
  public static final String CORRELATION_ID = "correlationid";
  /** Extension: the causation id, when the event has one. */
  public static final String CAUSATION_ID = "causationid";
  /** Extension (distributed tracing): the W3C {@code traceparent} of the event's trace. */
  public static final String TRACEPARENT = "traceparent";
  /** Extension (distributed tracing): the W3C {@code tracestate} that goes with it. */
  public static final String TRACESTATE = "tracestate";

  private static final String JSON = "application/json";

  private final EventRegistry registry;
  private final URI source;
  private final String typePrefix;
  private final PayloadSchemas schemas;

  private CloudEventMapper(Builder b) {
    this.registry = b.registry;
    this.source = b.source;
    this.typePrefix = b.typePrefix;
    this.schemas = b.schemas;
  }

  /** Starts configuring a mapper that writes payloads with {@code registry}. */
  public static Builder builder(EventRegistry registry) {
    return new Builder(Objects.requireNonNull(registry, "registry must not be null"));
  }

  /** The {@code source} attribute of every event. */
  public URI source() {
    return source;
  }

  /**
   * The CloudEvent of a stored event.
   *
   * @throws dev.annals.core.EventSerializationException if the payload cannot be written, or
   *     does not fit its payload schema
   */
  public CloudEvent toCloudEvent(RecordedEvent event) {
    Objects.requireNonNull(event, "event must not be null");
    SerializedEvent data = registry.serialize(event.payload());
    Metadata m = event.metadata();
    Instant time = m.occurredAt() != null ? m.occurredAt() : event.recordedAt();
    CloudEventBuilder b = CloudEventBuilder.v1()
        .withId(event.eventId().toString())
        .withSource(source)
        .withType(typePrefix + event.type())
        .withSubject(event.streamId().toString())
        .withTime(time.atOffset(ZoneOffset.UTC))
        .withExtension(STREAM_VERSION, Long.toString(event.version()))
        .withExtension(POSITION, Long.toString(event.position()))
        .withExtension(SCHEMA_VERSION, Integer.toString(data.schemaVersion()));
    PayloadSchema schema = schemas == null ? null : schemas.latest(event.type()).orElse(null);
    if (schema == null) {
      b.withDataContentType(JSON).withData(data.json().getBytes(StandardCharsets.UTF_8));
    } else {
      b.withDataContentType(PayloadSchemas.AVRO_CONTENT_TYPE)
          .withDataSchema(schema.dataSchema())
          .withData(PayloadSchemas.encode(schema, data.json()));
    }
    if (m.correlationId() != null) {
      b.withExtension(CORRELATION_ID, m.correlationId());
    }
    if (m.causationId() != null) {
      b.withExtension(CAUSATION_ID, m.causationId());
    }
    String traceparent = m.extra().get(Metadata.TRACEPARENT);
    if (traceparent != null) {
      b.withExtension(TRACEPARENT, traceparent);
      String tracestate = m.extra().get(Metadata.TRACESTATE);
      if (tracestate != null && !tracestate.isEmpty()) {
        b.withExtension(TRACESTATE, tracestate);
      }
    }
    return b.build();
  }

  /** The message a sink sends for a stored event: its CloudEvent, keyed by stream. */
  OutgoingMessage toMessage(RecordedEvent event) {
    return new OutgoingMessage(toCloudEvent(event), event.streamId().toString(),
        event.streamId().category());
  }

  // ------------------------------------------------------------------ the consuming side

  /**
   * The event id of a CloudEvent made by this mapper.
   *
   * @throws IllegalArgumentException if the id is not a UUID
   */
  public static UUID eventId(CloudEvent event) {
    String id = event.getId();
    try {
      return UUID.fromString(id);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("CloudEvent id '" + id + "' (source " + event.getSource()
          + ") is not a UUID; it was not made by an Annals publisher", e);
    }
  }

  /**
   * The stream id, from the {@code subject}.
   *
   * @throws IllegalArgumentException if the subject is missing or not a stream id
   */
  public static StreamId streamId(CloudEvent event) {
    String subject = event.getSubject();
    if (subject == null) {
      throw new IllegalArgumentException("CloudEvent " + event.getId() + " has no subject; an "
          + "Annals publisher puts the stream id there");
    }
    return StreamId.parse(subject);
  }

  /**
   * The version within the stream, from {@value #STREAM_VERSION}.
   *
   * @throws IllegalArgumentException if the extension is missing or not a number
   */
  public static long streamVersion(CloudEvent event) {
    return number(event, STREAM_VERSION);
  }

  /**
   * The global position in the publishing service's log, from {@value #POSITION}.
   *
   * @throws IllegalArgumentException if the extension is missing or not a number
   */
  public static long position(CloudEvent event) {
    return number(event, POSITION);
  }

  /** The correlation id, from {@value #CORRELATION_ID}, if present. */
  public static Optional<String> correlationId(CloudEvent event) {
    return text(event, CORRELATION_ID);
  }

  /** The causation id, from {@value #CAUSATION_ID}, if present. */
  public static Optional<String> causationId(CloudEvent event) {
    return text(event, CAUSATION_ID);
  }

  /** The W3C {@code traceparent}, from the distributed-tracing extension, if present. */
  public static Optional<String> traceparent(CloudEvent event) {
    return text(event, TRACEPARENT);
  }

  /** The W3C {@code tracestate}, from the distributed-tracing extension, if present. */
  public static Optional<String> tracestate(CloudEvent event) {
    return text(event, TRACESTATE);
  }

  /**
   * The data as UTF-8 text (the JSON payload), or empty text when there is none. A payload in
   * Avro ({@code application/avro}) is read with {@link PayloadSchemas#decode} instead.
   */
  public static String dataAsString(CloudEvent event) {
    return event.getData() == null ? ""
        : new String(event.getData().toBytes(), StandardCharsets.UTF_8);
  }

  private static Optional<String> text(CloudEvent event, String name) {
    Object value = event.getExtension(name);
    return value == null ? Optional.empty() : Optional.of(value.toString());
  }

  private static long number(CloudEvent event, String name) {
    Object value = event.getExtension(name);
    if (value == null) {
      throw new IllegalArgumentException("CloudEvent " + event.getId() + " has no '" + name
          + "' extension; it was not made by an Annals publisher");
    }
    try {
      return Long.parseLong(value.toString());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("CloudEvent " + event.getId() + " has '" + name + "' = '"
          + value + "', not a whole number", e);
    }
  }

  /** Configures a {@link CloudEventMapper}; each setter checks its value. */
  public static final class Builder {
    private final EventRegistry registry;
    private URI source;
    private String typePrefix = "";
    private PayloadSchemas schemas;

    private Builder(EventRegistry registry) {
      this.registry = registry;
    }

    /**
     * The {@code source} attribute: which service (and, if wanted, which log) the events come
     * from, for example {@code urn:bank:accounts} or {@code https://bank.example/accounts}. Required.
     *
     * @throws IllegalArgumentException if it is empty
     */
    public Builder source(URI source) {
      Objects.requireNonNull(source, "source must not be null");
      if (source.toString().isEmpty()) {
        throw new IllegalArgumentException("source must not be empty; use for example urn:myservice:events");
      }
      this.source = source;
      return this;
    }

    /** {@link #source(URI)} from text. @throws IllegalArgumentException if it is not a URI */
    public Builder source(String source) {
      Objects.requireNonNull(source, "source must not be null");
      return source(URI.create(source));
    }

    /**
     * Text put before every type name, for example {@code com.bank.} to make
     * {@code com.bank.Deposited}; none by default.
     *
     * @throws IllegalArgumentException if it contains whitespace
     */
    public Builder typePrefix(String prefix) {
      Objects.requireNonNull(prefix, "type prefix must not be null (use \"\" for none)");
      if (prefix.chars().anyMatch(Character::isWhitespace)) {
        throw new IllegalArgumentException("type prefix '" + prefix + "' must not contain whitespace");
      }
      this.typePrefix = prefix;
      return this;
    }

    /**
     * Writes the payloads of types with a registered schema in Avro binary encoding with their
     * latest schema version, named in {@code dataschema}; other types stay JSON. Meant for sinks
     * in the Protobuf or Avro {@link CloudEventFormat}, which carry the bytes as they are (JSON
     * structured mode would carry them as base64). None by default.
     */
    public Builder payloadSchemas(PayloadSchemas schemas) {
      this.schemas = Objects.requireNonNull(schemas, "payload schemas must not be null");
      return this;
    }

    /** @throws IllegalStateException if no source was set */
    public CloudEventMapper build() {
      if (source == null) {
        throw new IllegalStateException("a CloudEventMapper needs a source(...), for example "
            + "source(\"urn:myservice:events\")");
      }
      return new CloudEventMapper(this);
    }
  }
}
