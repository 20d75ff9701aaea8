package dev.annals.messaging.schemas;

import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.apache.avro.Schema;

/**
 * One registered version of an event type's payload schema.
 *
 * @param eventType the registered type name, as the event registry writes it
 * @param version 1 for the first schema of the type, one more for each compatible change
 * @param schema the Avro schema (a record)
 */
public record PayloadSchema(String eventType, int version, Schema schema) {

  private static final String URN = "urn:annals:payload-schema:";

  public PayloadSchema {
    Objects.requireNonNull(eventType, "eventType");
    Objects.requireNonNull(schema, "schema");
    if (version < 1) {
      throw new IllegalArgumentException("version of the payload schema of " + eventType
          + " must be at least 1, was " + version);
    }
  }

  /**
   * The CloudEvents {@code dataschema} that names this version:
   * {@code urn:annals:payload-schema:<type>:<version>}, the type URL-encoded.
   */
  public URI dataSchema() {
    return URI.create(URN + URLEncoder.encode(eventType, StandardCharsets.UTF_8) + ":" + version);
  }

  /**
   * The type and version a {@code dataschema} made by {@link #dataSchema()} names.
   *
   * @throws IllegalArgumentException if {@code dataSchema} is not such a URI
   */
  static Key parse(URI dataSchema) {
    String text = dataSchema == null ? "" : dataSchema.toString();
    int colon = text.lastIndexOf(':');
    if (!text.startsWith(URN) || colon <= URN.length()) {
      throw new IllegalArgumentException("dataschema '" + text + "' does not name a payload schema ("
          + URN + "<type>:<version>)");
    }
    try {
      return new Key(URLDecoder.decode(text.substring(URN.length(), colon), StandardCharsets.UTF_8),
          Integer.parseInt(text.substring(colon + 1)));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("dataschema '" + text + "' does not name a payload schema ("
          + URN + "<type>:<version>)", e);
    }
  }

  record Key(String eventType, int version) {}
}
