package dev.annals.postgres.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The digest of one event's content, the part of its hash-chain link that the client computes.
 *
 * <p>It must come out the same from the JSON the application wrote and from the {@code jsonb}
 * text PostgreSQL gives back later, which differ in key order, spacing and number spelling. So it
 * hashes a canonical form: objects with keys sorted by Java string order, no whitespace, strings
 * in JSON's standard escaping, numbers as the plain decimal string of their value without
 * trailing zeros ({@code 1.0E10} is {@code 10000000000}, {@code 12.50} is {@code 12.5}). The form
 * is pinned by {@code ContentDigestTest}: stored digests depend on every character of it. A key
 * repeated in an object counts once, with its last value, as in jsonb; a number that no jsonb
 * value can hold (more than 200,000 digits before or after the point once written out) is refused
 * rather than written out. The
 * digest is SHA-256 of the UTF-8 bytes of
 * {@code stream_id LF event_id LF type LF schema_version LF canonical(payload) LF canonical(metadata)}.
 *
 * <p>Thread-safe. For the framework's own modules, not its users.
 */
public final class EventDigest {

  /*
   * jsonb takes any nesting depth and number length (1e1500 comes back as 1501 digits), so the
   * parser must too: Jackson's default limits would make a stored event's digest throw where the
   * hash-chain check must report.
   */
  private static final JsonFactory FACTORY = JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder()
          .maxNestingDepth(Integer.MAX_VALUE)
          .maxNumberLength(Integer.MAX_VALUE)
          .maxStringLength(Integer.MAX_VALUE)
          .build())
      .build();
  /*
   * The most digits a number may have before or after its point once written out plainly. jsonb's
   * numeric stores at most 131,072 and 16,383, so nothing stored comes near it; without a bound
   * an exponent (1e999999999, a dozen characters) would be written out as a billion digits.
   */
  private static final int MAX_PLAIN_DIGITS = 200_000;
  /** Token lists kept per thread: a digest is taken per event, and most documents are small. */
  private static final ThreadLocal<Tokens> TOKENS = ThreadLocal.withInitial(Tokens::new);
  private static final char[] HEX = "0123456789ABCDEF".toCharArray();
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
    StringBuilder content = new StringBuilder(streamId.length() + eventId.length() + type.length()
        + payload.length() + metadata.length() + 16);
    content.append(streamId).append('\n').append(eventId).append('\n').append(type).append('\n')
        .append(schemaVersion).append('\n');
    canonical(payload, content);
    content.append('\n');
    canonical(metadata, content);
    MessageDigest sha = SHA.get();
    sha.reset();
    return sha.digest(content.toString().getBytes(StandardCharsets.UTF_8));
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
   * @throws IllegalArgumentException if it is not JSON, or holds a number that no jsonb value holds
   */
  public static String canonical(String json) {
    StringBuilder out = new StringBuilder(json.length());
    canonical(json, out);
    return out.toString();
  }

  // Token kinds of the parsed document.
  private static final byte OBJECT = 1;
  private static final byte ARRAY = 2;
  private static final byte END = 3;
  private static final byte KEY = 4;
  private static final byte STRING = 5;
  /** A number, true, false or null: its canonical text as it is. */
  private static final byte LITERAL = 6;

  /**
   * A document as a flat list of tokens: its kind, its text (a key or string decoded, a literal in
   * canonical form), and for an object or array the index of its end. For an object whose keys
   * did not come in order (or repeat), the index of each member's key token in canonical order.
   */
  private static final class Tokens {
    byte[] kinds = new byte[64];
    String[] texts = new String[64];
    int[] ends = new int[64];
    int[][] orders = new int[64][];
    int size;

    int add(byte kind, String text) {
      if (size == kinds.length) {
        int capacity = size * 2;
        kinds = Arrays.copyOf(kinds, capacity);
        texts = Arrays.copyOf(texts, capacity);
        ends = Arrays.copyOf(ends, capacity);
        orders = Arrays.copyOf(orders, capacity);
      }
      kinds[size] = kind;
      texts[size] = text;
      return size++;
    }

    /** Empties the list for the next document, letting go of this one's texts. */
    void clear() {
      Arrays.fill(texts, 0, size, null);
      Arrays.fill(orders, 0, size, null);
      size = 0;
    }

    /** The index after the value at {@code i}. */
    int after(int i) {
      return kinds[i] == OBJECT || kinds[i] == ARRAY ? ends[i] + 1 : i + 1;
    }
  }

  /*
   * Two passes, each linear in the document whatever its nesting, with no call recursion (so no
   * depth overflows the stack) and no tree or generator: the tokens are read into a flat list, then
   * written out with each object's members in key order, the last of duplicate keys winning, as in
   * jsonb. The form is that of the Jackson tree this replaced: ContentDigestTest pins it and
   * ContentDigestEquivalenceTest compares the two on generated documents. Like the tree reader, it
   * stops after the first value and ignores what follows.
   */
  private static void canonical(String json, StringBuilder out) {
    Tokens tokens = TOKENS.get();
    try {
      canonical(json, tokens, out);
    } finally {
      if (tokens.kinds.length > 4096) {
        // A large document's arrays are not kept for the thread's lifetime.
        TOKENS.remove();
      } else {
        tokens.clear();
      }
    }
  }

  private static void canonical(String json, Tokens tokens, StringBuilder out) {
    try (JsonParser p = FACTORY.createParser(json)) {
      JsonToken t = p.nextToken();
      if (t == null) {
        throw new IllegalArgumentException("unexpected JSON node MISSING");
      }
      // Open containers, and per open object the indexes of its key tokens (null for an array).
      int[] open = new int[16];
      List<int[]> keys = new ArrayList<>();
      int[] keyCounts = new int[16];
      int depth = 0;
      while (true) {
        switch (t) {
          case START_OBJECT, START_ARRAY -> {
            if (depth == open.length) {
              open = Arrays.copyOf(open, depth * 2);
              keyCounts = Arrays.copyOf(keyCounts, depth * 2);
            }
            boolean object = t == JsonToken.START_OBJECT;
            open[depth] = tokens.add(object ? OBJECT : ARRAY, null);
            keyCounts[depth] = 0;
            if (keys.size() == depth) {
              keys.add(null);
            }
            keys.set(depth, object ? (keys.get(depth) == null ? new int[8] : keys.get(depth)) : null);
            depth++;
          }
          case END_OBJECT, END_ARRAY -> {
            depth--;
            int start = open[depth];
            // Not in one expression: adding may replace the array that would be written to.
            int end = tokens.add(END, null);
            tokens.ends[start] = end;
            if (tokens.kinds[start] == OBJECT) {
              tokens.orders[start] = order(tokens, keys.get(depth), keyCounts[depth]);
            }
          }
          case FIELD_NAME -> {
            int[] k = keys.get(depth - 1);
            if (keyCounts[depth - 1] == k.length) {
              k = Arrays.copyOf(k, k.length * 2);
              keys.set(depth - 1, k);
            }
            k[keyCounts[depth - 1]++] = tokens.add(KEY, p.currentName());
          }
          case VALUE_STRING -> tokens.add(STRING, p.getText());
          case VALUE_NUMBER_INT -> {
            String digits = p.getText();
            tokens.add(LITERAL, "-0".equals(digits) ? "0" : digits);
          }
          case VALUE_NUMBER_FLOAT -> tokens.add(LITERAL, plain(p.getText()));
          case VALUE_TRUE -> tokens.add(LITERAL, "true");
          case VALUE_FALSE -> tokens.add(LITERAL, "false");
          case VALUE_NULL -> tokens.add(LITERAL, "null");
          default -> throw new IllegalArgumentException("unexpected JSON token " + t);
        }
        if (depth == 0) {
          break;
        }
        t = p.nextToken();
        if (t == null) {
          throw new IllegalArgumentException("not JSON: unexpected end of input");
        }
      }
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new IllegalStateException("reading a string cannot fail", e);
    }
    write(tokens, out);
  }

  /** The key tokens of an object in canonical order, the last of equal keys only; null when they came so. */
  private static int[] order(Tokens tokens, int[] keys, int count) {
    boolean ordered = true;
    for (int i = 1; i < count && ordered; i++) {
      ordered = tokens.texts[keys[i]].compareTo(tokens.texts[keys[i - 1]]) > 0;
    }
    if (ordered) {
      return null;
    }
    Integer[] sorted = new Integer[count];
    for (int i = 0; i < count; i++) {
      sorted[i] = keys[i];
    }
    // Stable, so that of equal keys the last written is the last of its run.
    Arrays.sort(sorted, (a, b) -> tokens.texts[a].compareTo(tokens.texts[b]));
    int[] order = new int[count];
    int n = 0;
    for (int i = 0; i < count; i++) {
      if (i + 1 < count && tokens.texts[sorted[i + 1]].equals(tokens.texts[sorted[i]])) {
        continue;
      }
      order[n++] = sorted[i];
    }
    return Arrays.copyOf(order, n);
  }

  /** Writes the tokens in canonical form, walking containers with a stack of its own. */
  private static void write(Tokens tokens, StringBuilder out) {
    // Per open container: its token, the next token to write (an index into its member order
    // for a reordered object) and how many values it has written.
    int[] container = new int[16];
    int[] cursor = new int[16];
    int[] count = new int[16];
    int depth = 0;
    int value = 0;
    while (true) {
      if (value >= 0) {
        byte kind = tokens.kinds[value];
        if (kind == OBJECT || kind == ARRAY) {
          out.append(kind == OBJECT ? '{' : '[');
          if (depth == container.length) {
            container = Arrays.copyOf(container, depth * 2);
            cursor = Arrays.copyOf(cursor, depth * 2);
            count = Arrays.copyOf(count, depth * 2);
          }
          container[depth] = value;
          cursor[depth] = tokens.orders[value] == null ? value + 1 : 0;
          count[depth] = 0;
          depth++;
        } else if (kind == STRING) {
          string(tokens.texts[value], out);
        } else {
          out.append(tokens.texts[value]);
        }
      }
      if (depth == 0) {
        return;
      }
      // The next value of the innermost open container, or its end.
      int c = container[depth - 1];
      int[] order = tokens.orders[c];
      int key;
      if (order != null) {
        key = cursor[depth - 1] < order.length ? order[cursor[depth - 1]++] : -1;
      } else {
        int next = cursor[depth - 1];
        key = tokens.kinds[next] == END ? -1 : next;
      }
      if (key < 0) {
        out.append(tokens.kinds[c] == OBJECT ? '}' : ']');
        depth--;
        value = -1;
        continue;
      }
      if (count[depth - 1]++ > 0) {
        out.append(',');
      }
      if (tokens.kinds[key] == KEY) {
        string(tokens.texts[key], out);
        out.append(':');
        value = key + 1;
      } else {
        value = key;
      }
      if (order == null) {
        cursor[depth - 1] = tokens.after(value);
      }
    }
  }

  /** A string in JSON's standard escaping: quote, backslash and control characters only. */
  private static void string(String s, StringBuilder out) {
    out.append('"');
    int copied = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c >= 0x20 && c != '"' && c != '\\') {
        continue;
      }
      out.append(s, copied, i);
      copied = i + 1;
      out.append('\\');
      switch (c) {
        case '"' -> out.append('"');
        case '\\' -> out.append('\\');
        case '\b' -> out.append('b');
        case '\t' -> out.append('t');
        case '\n' -> out.append('n');
        case '\f' -> out.append('f');
        case '\r' -> out.append('r');
        default -> out.append("u00").append(HEX[c >> 4]).append(HEX[c & 0xF]);
      }
    }
    out.append(s, copied, s.length()).append('"');
  }

  /** A number with a fraction or exponent: its value's plain decimal string, without trailing zeros. */
  private static String plain(String text) {
    BigDecimal value;
    try {
      value = new BigDecimal(text);
      value = value.signum() == 0 ? BigDecimal.ZERO : value.stripTrailingZeros();
    } catch (NumberFormatException | ArithmeticException e) {
      throw new IllegalArgumentException("number out of range for jsonb: " + abbreviated(text));
    }
    long integerDigits = (long) value.precision() - value.scale();
    if (integerDigits > MAX_PLAIN_DIGITS || value.scale() > MAX_PLAIN_DIGITS) {
      throw new IllegalArgumentException("number out of range for jsonb: " + abbreviated(text));
    }
    return value.toPlainString();
  }

  private static String abbreviated(String text) {
    return text.length() <= 40 ? text : text.substring(0, 37) + "...";
  }
}
