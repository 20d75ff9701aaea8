package dev.annals.postgres.archive;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamWriteConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.annals.core.StreamId;
import dev.annals.core.internal.Printable;
import java.io.IOException;
import java.io.StringWriter;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.Set;
import java.util.UUID;

/**
 * One stored event as one line of an archive or export file: a CloudEvent in the JSON format
 * (structured mode), with what the hash chain needs as extensions, so that the line proves itself
 * and can be put back exactly.
 *
 * <p>Written and read with Jackson's streaming API rather than the CloudEvents SDK: the payload
 * must come back with every number exactly as stored (the content digest covers it), and the
 * SDK re-encodes {@code data} through its own mapper. Numbers are read as {@code BigDecimal}.
 *
 * @param streamId the stream id as stored
 * @param version its version in the stream
 * @param position its position in the log it was read from
 * @param eventId the event id
 * @param type the stored type name
 * @param schemaVersion the payload's schema version
 * @param payload the payload as JSON text
 * @param metadata the metadata as JSON text
 * @param recordedAt when it was stored, to the microsecond (PostgreSQL's precision)
 * @param hash its link hash (32 bytes)
 */
record EventLine(String streamId, long version, long position, UUID eventId, String type, int schemaVersion,
    String payload, String metadata, Instant recordedAt, byte[] hash) {

  /** The columns {@link #of} reads, in order. */
  static final String COLUMNS = "stream_id, version, position, event_id, type, schema_version, payload::text, "
      + "metadata::text, recorded_at, hash";

  private static final HexFormat HEX = HexFormat.of();
  private static final Set<String> ATTRIBUTES = Set.of("specversion", "id", "source", "type", "subject", "time",
      "datacontenttype", "data", "streamversion", "position", "schemaversion", "metadata", "linkhash");
  // jsonb takes any depth and number length: what the store holds must be readable back.
  private static final JsonFactory FACTORY = JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(Integer.MAX_VALUE)
          .maxNumberLength(Integer.MAX_VALUE).maxStringLength(Integer.MAX_VALUE).build())
      .streamWriteConstraints(StreamWriteConstraints.builder().maxNestingDepth(Integer.MAX_VALUE).build())
      .build();
  private static final ObjectMapper MAPPER = JsonMapper.builder(FACTORY)
      .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
      .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS)
      // 12.50 stays 12.50: jsonb keeps a number's spelling, and an import must give back what was stored.
      .disable(com.fasterxml.jackson.databind.cfg.JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
      .enable(com.fasterxml.jackson.core.JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN)
      .build();

  /** The current row of {@code rs}, selected with {@link #COLUMNS}. */
  static EventLine of(ResultSet rs) throws SQLException {
    return new EventLine(rs.getString(1), rs.getLong(2), rs.getLong(3), rs.getObject(4, UUID.class),
        rs.getString(5), rs.getInt(6), rs.getString(7), rs.getString(8),
        rs.getObject(9, OffsetDateTime.class).toInstant(), rs.getBytes(10));
  }

  /** The line, without its line feed. {@code source} is the log it came from. */
  String toJson(String source) {
    StringWriter out = new StringWriter(payload.length() + metadata.length() + 400);
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField("specversion", "1.0");
      g.writeStringField("id", eventId.toString());
      g.writeStringField("source", source);
      g.writeStringField("type", type);
      g.writeStringField("subject", streamId);
      g.writeStringField("time", DateTimeFormatter.ISO_INSTANT.format(recordedAt));
      g.writeStringField("datacontenttype", "application/json");
      g.writeFieldName("data");
      g.writeRawValue(payload);
      // Decimal strings, as CloudEventMapper writes them: CloudEvents integers are 32-bit.
      g.writeStringField("streamversion", Long.toString(version));
      g.writeStringField("position", Long.toString(position));
      g.writeStringField("schemaversion", Integer.toString(schemaVersion));
      g.writeStringField("metadata", metadata);
      g.writeStringField("linkhash", HEX.formatHex(hash));
      g.writeEndObject();
    } catch (IOException e) {
      throw new IllegalStateException("writing to a string cannot fail", e);
    }
    return out.toString();
  }

  /**
   * Parses one line.
   *
   * @param where the file and line, for the message
   * @throws ArchiveException naming {@code where} and what is wrong
   */
  static EventLine parse(String line, String where) {
    JsonNode node;
    try {
      node = MAPPER.readTree(line);
    } catch (JsonProcessingException e) {
      throw new ArchiveException(where + ": not a JSON object (" + Printable.cut(e.getOriginalMessage(), 120) + ")");
    } catch (StackOverflowError e) {
      throw new ArchiveException(where + ": JSON nested too deeply");
    }
    if (node == null || !node.isObject()) {
      throw new ArchiveException(where + ": not a JSON object");
    }
    for (var names = node.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!ATTRIBUTES.contains(name)) {
        throw new ArchiveException(where + ": unexpected attribute '" + Printable.cut(name, 40) + "'");
      }
    }
    if (!"1.0".equals(text(node, "specversion", where))) {
      throw new ArchiveException(where + ": specversion must be 1.0");
    }
    if (!"application/json".equals(text(node, "datacontenttype", where))) {
      throw new ArchiveException(where + ": datacontenttype must be application/json");
    }
    try {
      String subject = text(node, "subject", where);
      StreamId.parse(subject);
      JsonNode data = node.get("data");
      if (data == null) {
        throw new ArchiveException(where + ": missing attribute 'data'");
      }
      String metadata = text(node, "metadata", where);
      if (!MAPPER.readTree(metadata).isObject()) {
        throw new ArchiveException(where + ": metadata must be a JSON object");
      }
      byte[] hash = HEX.parseHex(text(node, "linkhash", where));
      if (hash.length != 32) {
        throw new ArchiveException(where + ": linkhash must be 32 bytes in hexadecimal");
      }
      Instant time = Instant.parse(text(node, "time", where));
      if (!time.truncatedTo(ChronoUnit.MICROS).equals(time)) {
        throw new ArchiveException(where + ": time has more than microsecond precision");
      }
      int schemaVersion = Integer.parseInt(text(node, "schemaversion", where));
      long version = Long.parseLong(text(node, "streamversion", where));
      if (version < 1 || schemaVersion < 1) {
        throw new ArchiveException(where + ": streamversion and schemaversion must be 1 or more");
      }
      return new EventLine(subject, version, Long.parseLong(text(node, "position", where)),
          UUID.fromString(text(node, "id", where)), text(node, "type", where), schemaVersion,
          MAPPER.writeValueAsString(data), metadata, time, hash);
    } catch (IllegalArgumentException | DateTimeParseException | JsonProcessingException e) {
      // NumberFormatException and bad UUIDs, hex and stream ids are IllegalArgumentExceptions.
      throw new ArchiveException(where + ": " + Printable.cut(String.valueOf(e.getMessage()), 160));
    }
  }

  private static String text(JsonNode node, String name, String where) {
    JsonNode value = node.get(name);
    if (value == null || !value.isTextual()) {
      throw new ArchiveException(where + ": attribute '" + name + "' must be a string");
    }
    return value.textValue();
  }
}
