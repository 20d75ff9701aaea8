package dev.annals.postgres.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamWriteConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * The digest of one event's content, the part of its hash-chain link that the client computes.
 *
 * <p>It must come out the same from the JSON the application wrote and from the {@code jsonb}
 * text PostgreSQL gives back later, which differ in key order, spacing and number spelling. So it
 * hashes a canonical form: objects with keys sorted by Java string order, no whitespace, strings
 * in JSON's standard escaping, numbers as the plain decimal string of their value without
 * trailing zeros ({@code 1.0E10} is {@code 10000000000}, {@code 12.50} is {@code 12.5}). The form
 * is pinned by {@code ContentDigestTest}: stored digests depend on every character of it. The
 * digest is SHA-256 of the UTF-8 bytes of
 * {@code stream_id LF event_id LF type LF schema_version LF canonical(payload) LF canonical(metadata)}.
 *
 * <p>Thread-safe. For the framework's own modules, not its users.
 */
public final class EventDigest {

  /*
   * jsonb takes any nesting depth and number length (1e1500 comes back as 1501 digits), so the
   * reader and writer must too: Jackson's default limits would make a stored event's digest throw
   * where the hash-chain check must report.
   */
  private static final ObjectMapper READER = JsonMapper.builder(JsonFactory.builder()
          .streamReadConstraints(StreamReadConstraints.builder()
              .maxNestingDepth(Integer.MAX_VALUE)
              .maxNumberLength(Integer.MAX_VALUE)
              .maxStringLength(Integer.MAX_VALUE)
              .build())
          .build())
      .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
      .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS)
      .build();
  private static final JsonFactory FACTORY = JsonFactory.builder()
      .streamWriteConstraints(StreamWriteConstraints.builder().maxNestingDepth(Integer.MAX_VALUE).build())
      .build();
  private static final ThreadLocal<MessageDigest> SHA = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  });

  private EventDigest() {}

  /** The content digest of one event (see the class description). */
  public static byte[] of(String streamId, String eventId, String type, int schemaVersion, String payload,
      String metadata) {
    String content = streamId + "\n" + eventId + "\n" + type + "\n" + schemaVersion + "\n"
        + canonical(payload) + "\n" + canonical(metadata);
    MessageDigest sha = SHA.get();
    sha.reset();
    return sha.digest(content.getBytes(StandardCharsets.UTF_8));
  }

  /** The link: SHA-256 of previous hash, digest, version and recorded-at, as the database computes it. */
  public static byte[] link(byte[] previous, byte[] digest, long version, long recordedAtPgMicros) {
    MessageDigest sha = SHA.get();
    sha.reset();
    sha.update(previous == null ? new byte[32] : previous);
    sha.update(digest);
    sha.update(bigEndian(version));
    sha.update(bigEndian(recordedAtPgMicros));
    return sha.digest();
  }

  private static byte[] bigEndian(long v) {
    byte[] b = new byte[8];
    for (int i = 7; i >= 0; i--) {
      b[i] = (byte) v;
      v >>>= 8;
    }
    return b;
  }

  /**
   * The canonical form of a JSON text.
   *
   * @throws IllegalArgumentException if it is not JSON
   */
  public static String canonical(String json) {
    try {
      JsonNode node = READER.readTree(json);
      StringWriter out = new StringWriter(json.length());
      try (JsonGenerator g = FACTORY.createGenerator(out)) {
        write(node, g);
      }
      return out.toString();
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage(), e);
    } catch (StackOverflowError e) {
      // Nesting deeper than this thread's stack: a value the store never writes, reported not crashed on.
      throw new IllegalArgumentException("JSON nested too deeply to put in canonical form");
    } catch (IOException e) {
      throw new IllegalStateException("writing to a string cannot fail", e);
    }
  }

  private static void write(JsonNode node, JsonGenerator g) throws IOException {
    switch (node.getNodeType()) {
      case OBJECT -> {
        List<Map.Entry<String, JsonNode>> fields = new ArrayList<>(node.properties());
        Collections.sort(fields, Map.Entry.comparingByKey());
        g.writeStartObject();
        for (Map.Entry<String, JsonNode> f : fields) {
          g.writeFieldName(f.getKey());
          write(f.getValue(), g);
        }
        g.writeEndObject();
      }
      case ARRAY -> {
        g.writeStartArray();
        for (JsonNode element : node) {
          write(element, g);
        }
        g.writeEndArray();
      }
      case NUMBER -> g.writeRawValue(plain(node));
      case STRING -> g.writeString(node.textValue());
      case BOOLEAN -> g.writeBoolean(node.booleanValue());
      case NULL -> g.writeNull();
      default -> throw new IllegalArgumentException("unexpected JSON node " + node.getNodeType());
    }
  }

  private static String plain(JsonNode number) {
    BigDecimal value = number.isBigDecimal() ? number.decimalValue() : new BigDecimal(number.bigIntegerValue());
    return value.toPlainString();
  }
}
