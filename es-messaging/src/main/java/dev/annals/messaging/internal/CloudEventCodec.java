package dev.annals.messaging.internal;

import dev.annals.messaging.CloudEventFormat;
import io.cloudevents.CloudEvent;
import io.cloudevents.SpecVersion;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.core.format.EventFormat;
import io.cloudevents.core.message.Encoding;
import io.cloudevents.jackson.JsonFormat;
import io.cloudevents.protobuf.ProtobufFormat;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * CloudEvents on a transport with headers and a body (AMQP, NATS, Kafka): structured mode (the
 * whole event in the body, in one of the {@link CloudEventFormat}s) or binary mode (attributes as prefixed headers, the data as the
 * body), as the protocol bindings describe. Shared by the transports of this framework; not an
 * API for applications. Stateless and thread-safe.
 */
public final class CloudEventCodec {

  /** The content type of a structured-mode event in JSON: {@code application/cloudevents+json}. */
  public static final String STRUCTURED_CONTENT_TYPE = JsonFormat.CONTENT_TYPE;

  private static final String STRUCTURED_CONTENT_TYPES = String.join(", ",
      Arrays.stream(CloudEventFormat.values()).map(CloudEventFormat::contentType).toList());

  private static final Map<CloudEventFormat, EventFormat> FORMATS = Map.of(
      CloudEventFormat.JSON, new JsonFormat(),
      CloudEventFormat.PROTOBUF, new ProtobufFormat(),
      CloudEventFormat.AVRO, new AvroCompactFormat());

  private CloudEventCodec() {}

  /** The SDK's implementation of {@code format}. */
  public static EventFormat eventFormat(CloudEventFormat format) {
    return FORMATS.get(format);
  }

  /**
   * The structured-mode format a content type names, if it names one (parameters such as
   * {@code ; charset=utf-8} ignored).
   */
  public static Optional<CloudEventFormat> structuredFormat(String contentType) {
    if (contentType == null) {
      return Optional.empty();
    }
    String type = contentType.toLowerCase(Locale.ROOT);
    int semicolon = type.indexOf(';');
    type = (semicolon < 0 ? type : type.substring(0, semicolon)).strip();
    for (CloudEventFormat f : CloudEventFormat.values()) {
      if (f.contentType().equals(type)) {
        return Optional.of(f);
      }
    }
    return Optional.empty();
  }

  /**
   * Reads a structured-mode body in {@code format}.
   *
   * @throws IllegalArgumentException naming the format and what is wrong
   */
  public static CloudEvent readStructured(CloudEventFormat format, byte[] body) {
    if (body == null || body.length == 0) {
      throw new IllegalArgumentException("not a CloudEvent: content type " + format.contentType()
          + " but an empty body");
    }
    try {
      return FORMATS.get(format).deserialize(body);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("not a CloudEvent: the body is not a structured-mode "
          + format + " event (" + rootMessage(e) + ")", e);
    }
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getClass().getSimpleName() + ": " + t.getMessage();
  }

  /**
   * A message ready for a transport.
   *
   * @param headers the attributes as prefixed headers (binary mode), else none
   * @param contentType the content type to send the body with; null if the event has none
   * @param body the data (binary mode) or the whole event as JSON (structured mode)
   */
  public record Encoded(Map<String, String> headers, String contentType, byte[] body) {}

  /** {@code event} in {@code encoding}, with attribute headers named {@code headerPrefix + name}. */
  public static Encoded encode(CloudEvent event, Encoding encoding, String headerPrefix) {
    return encode(event, encoding, CloudEventFormat.JSON, headerPrefix);
  }

  /**
   * {@code event} in {@code encoding}: structured in {@code format}, or binary with attribute
   * headers named {@code headerPrefix + name} (the format then plays no part).
   */
  public static Encoded encode(CloudEvent event, Encoding encoding, CloudEventFormat format,
      String headerPrefix) {
    if (encoding == Encoding.STRUCTURED) {
      return new Encoded(Map.of(), format.contentType(), FORMATS.get(format).serialize(event));
    }
    Map<String, String> headers = new LinkedHashMap<>();
    for (String name : event.getAttributeNames()) {
      Object value = event.getAttribute(name);
      if (value != null && !name.equals("datacontenttype")) {
        headers.put(headerPrefix + name, text(value));
      }
    }
    for (String name : event.getExtensionNames()) {
      headers.put(headerPrefix + name, text(event.getExtension(name)));
    }
    byte[] body = event.getData() == null ? new byte[0] : event.getData().toBytes();
    return new Encoded(headers, event.getDataContentType(), body);
  }

  /**
   * Reads a CloudEvent from a transport message: structured if the content type names one of
   * the {@link CloudEventFormat}s, else binary (which needs a specversion header).
   *
   * @throws IllegalArgumentException naming what is wrong with the message
   */
  public static CloudEvent decode(Map<String, String> headers, String contentType, byte[] body,
      String headerPrefix) {
    Optional<CloudEventFormat> structured = structuredFormat(contentType);
    if (structured.isPresent()) {
      return readStructured(structured.get(), body);
    }
    String version = header(headers, headerPrefix + "specversion");
    if (version == null) {
      throw new IllegalArgumentException("not a CloudEvent: neither a structured-mode content type ("
          + STRUCTURED_CONTENT_TYPES + "; was " + contentType + ") nor a " + headerPrefix
          + "specversion header");
    }
    if (!SpecVersion.V1.toString().equals(version)) {
      throw new IllegalArgumentException("unsupported CloudEvents spec version '" + version + "', expected 1.0");
    }
    try {
      CloudEventBuilder b = CloudEventBuilder.v1();
      for (Map.Entry<String, String> h : headers.entrySet()) {
        String key = h.getKey();
        if (key.regionMatches(true, 0, headerPrefix, 0, headerPrefix.length())) {
          String name = key.substring(headerPrefix.length()).toLowerCase(Locale.ROOT);
          if (!name.equals("specversion")) {
            b.withContextAttribute(name, h.getValue());
          }
        }
      }
      if (contentType != null) {
        b.withDataContentType(contentType);
      }
      if (body.length > 0) {
        b.withData(body);
      }
      return b.build();
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("not a valid binary-mode CloudEvent: " + e.getMessage(), e);
    }
  }

  private static String header(Map<String, String> headers, String name) {
    for (Map.Entry<String, String> h : headers.entrySet()) {
      if (h.getKey().equalsIgnoreCase(name)) {
        return h.getValue();
      }
    }
    return null;
  }

  private static String text(Object value) {
    return value instanceof OffsetDateTime t ? t.format(DateTimeFormatter.ISO_OFFSET_DATE_TIME) : value.toString();
  }
}
