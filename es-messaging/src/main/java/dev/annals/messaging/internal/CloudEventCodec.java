package dev.annals.messaging.internal;

import io.cloudevents.CloudEvent;
import io.cloudevents.SpecVersion;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.core.message.Encoding;
import io.cloudevents.jackson.JsonFormat;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * CloudEvents on a transport with headers and a body (AMQP, NATS): structured mode (the whole
 * event as JSON in the body) or binary mode (attributes as prefixed headers, the data as the
 * body), as the protocol bindings describe. Shared by the transports of this framework; not an
 * API for applications. Stateless and thread-safe.
 */
public final class CloudEventCodec {

  /** The content type of a structured-mode event: {@code application/cloudevents+json}. */
  public static final String STRUCTURED_CONTENT_TYPE = JsonFormat.CONTENT_TYPE;

  private static final JsonFormat FORMAT = new JsonFormat();

  private CloudEventCodec() {}

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
    if (encoding == Encoding.STRUCTURED) {
      return new Encoded(Map.of(), STRUCTURED_CONTENT_TYPE, FORMAT.serialize(event));
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
   * Reads a CloudEvent from a transport message: structured if the content type says
   * {@code application/cloudevents+json}, else binary (which needs a specversion header).
   *
   * @throws IllegalArgumentException naming what is wrong with the message
   */
  public static CloudEvent decode(Map<String, String> headers, String contentType, byte[] body,
      String headerPrefix) {
    if (contentType != null && contentType.toLowerCase(Locale.ROOT).startsWith(STRUCTURED_CONTENT_TYPE)) {
      try {
        return FORMAT.deserialize(body);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("not a CloudEvent: the body is not structured-mode JSON ("
            + e.getMessage() + ")", e);
      }
    }
    String version = header(headers, headerPrefix + "specversion");
    if (version == null) {
      throw new IllegalArgumentException("not a CloudEvent: neither content type "
          + STRUCTURED_CONTENT_TYPE + " (was " + contentType + ") nor a " + headerPrefix
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
