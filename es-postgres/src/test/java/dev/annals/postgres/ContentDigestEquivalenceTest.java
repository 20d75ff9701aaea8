package dev.annals.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamWriteConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The streaming canonical form against the tree-based one it replaced (kept below as the
 * reference): every stored digest was computed by the tree, so the two must agree on every
 * document either accepts, including awkward ones: keys out of order and repeated, numbers in
 * every spelling, escapes, deep nesting.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ContentDigestEquivalenceTest {

  @Test
  void the_streaming_form_equals_the_tree_form_on_generated_documents() {
    for (long seed : new long[] {1, 2, 3, 20261203}) {
      Random random = new Random(seed);
      for (int i = 0; i < 5_000; i++) {
        String json = document(random, 0);
        assertThat(ContentDigest.canonical(json)).as("seed %d, document %d: %s", seed, i, json)
            .isEqualTo(Reference.canonical(json));
      }
    }
  }

  @Test
  void the_pinned_documents_agree_with_the_reference() {
    for (Map.Entry<String, String> pinned : ContentDigestTest.PINNED) {
      assertThat(Reference.canonical(pinned.getKey())).isEqualTo(pinned.getValue());
    }
  }

  @Test
  void documents_after_the_first_value_are_ignored_as_the_tree_reader_ignored_them() {
    for (String json : List.of("{\"b\":1,\"a\":2} trailing", "[1] [2]", "1 2", "{}}", "\"s\" x")) {
      assertThat(ContentDigest.canonical(json)).as(json).isEqualTo(Reference.canonical(json));
    }
  }

  @Test
  void what_is_not_json_is_refused_by_both() {
    for (String json : List.of("", "   ", "{", "[1,", "{\"a\"}", "nul", "[1,]", "{\"a\":01}", "NaN", "'a'")) {
      assertThatThrownBy(() -> ContentDigest.canonical(json)).as(json).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> Reference.canonical(json)).as(json).isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  @Timeout(60)
  void nesting_of_any_depth_is_written_without_overflowing_the_stack() {
    int depth = 200_000;
    String arrays = "[".repeat(depth) + "]".repeat(depth);
    assertThat(ContentDigest.canonical(arrays)).isEqualTo(arrays);
    String objects = "{\"b\":1,\"a\":".repeat(depth) + "0" + "}".repeat(depth);
    String canonical = "{\"a\":".repeat(depth) + "0" + ",\"b\":1}".repeat(depth);
    assertThat(ContentDigest.canonical(objects)).isEqualTo(canonical);
  }

  @Test
  @Timeout(60)
  void a_number_no_jsonb_value_can_hold_is_refused_instead_of_written_out_digit_by_digit() {
    for (String json : List.of("[1e999999999]", "{\"a\":1E-999999999}", "[12.5e2147483647]")) {
      assertThatThrownBy(() -> ContentDigest.canonical(json)).as(json)
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("out of range");
    }
    // The largest jsonb stores are written out in full.
    assertThat(ContentDigest.canonical("[1e131071]")).hasSize(131_074);
    assertThat(ContentDigest.canonical("[1e-16383]")).hasSize(16_387);
  }

  private static final String[] KEYS = {"a", "b", "aa", "B", "\u00e9", "\u00e9x", "k\"ey", "k\\ey", "\u0000",
      "id", "amount", "\ud83d\ude00", "z", "", " ", "a b", "\u2028"};
  private static final String[] NUMBERS = {"0", "-0", "1", "-1", "12.50", "12.5", "1.0E10", "1e-2", "1.50e1",
      "100e-1", "-0.0", "0.000010", "1E+2", "123456789012345678901234567890", "3.14159265358979323846264338327950288",
      "9223372036854775807", "9223372036854775808", "-9223372036854775809", "1e308", "1e309", "4.9e-324",
      "2.5e-400", "0e10", "-0e-5", "7E0", "1.000000000000000000001", "10", "1000", "1e3", "0.1", "-12.340e-3"};
  private static final String[] STRINGS = {"", "plain", "tab\\t nl\\n", "quote\\\" backslash\\\\ slash\\/",
      "ctrl\\u0001\\u001f", "del\\u007f", "ls\\u2028", "\ud83d\ude00", "\\ud83d\\ude00", "\u6f22", "\\u00e9",
      "\\b\\f\\r", "a\\u0000b"};

  /** A random JSON document, with random whitespace; containers up to a few levels deep. */
  private static String document(Random r, int depth) {
    int kind = depth >= 4 ? 2 + r.nextInt(4) : r.nextInt(6);
    String ws = r.nextInt(4) == 0 ? " " : "";
    switch (kind) {
      case 0 -> {
        StringBuilder b = new StringBuilder("{").append(ws);
        int n = r.nextInt(6);
        for (int i = 0; i < n; i++) {
          if (i > 0) {
            b.append(',').append(ws);
          }
          b.append('"').append(escapeKey(KEYS[r.nextInt(KEYS.length)])).append('"').append(ws).append(':')
              .append(ws).append(document(r, depth + 1));
        }
        return b.append(ws).append('}').toString();
      }
      case 1 -> {
        StringBuilder b = new StringBuilder("[").append(ws);
        int n = r.nextInt(5);
        for (int i = 0; i < n; i++) {
          if (i > 0) {
            b.append(',').append(ws);
          }
          b.append(document(r, depth + 1));
        }
        return b.append(ws).append(']').toString();
      }
      case 2 -> {
        return NUMBERS[r.nextInt(NUMBERS.length)];
      }
      case 3 -> {
        return '"' + STRINGS[r.nextInt(STRINGS.length)] + '"';
      }
      case 4 -> {
        return r.nextBoolean() ? "true" : "false";
      }
      default -> {
        return "null";
      }
    }
  }

  private static String escapeKey(String key) {
    StringBuilder b = new StringBuilder();
    for (char c : key.toCharArray()) {
      if (c == '"' || c == '\\') {
        b.append('\\').append(c);
      } else if (c < 0x20) {
        b.append(String.format("\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }

  /** The canonical form as first written (through a Jackson tree), which stored digests came from. */
  static final class Reference {
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

    static String canonical(String json) {
      try {
        JsonNode node = READER.readTree(json);
        StringWriter out = new StringWriter(json.length());
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
          write(node, g);
        }
        return out.toString();
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage(), e);
      } catch (IOException e) {
        throw new IllegalStateException(e);
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
        case NUMBER -> {
          BigDecimal value = node.isBigDecimal() ? node.decimalValue() : new BigDecimal(node.bigIntegerValue());
          g.writeRawValue(value.toPlainString());
        }
        case STRING -> g.writeString(node.textValue());
        case BOOLEAN -> g.writeBoolean(node.booleanValue());
        case NULL -> g.writeNull();
        default -> throw new IllegalArgumentException("unexpected JSON node " + node.getNodeType());
      }
    }
  }
}
