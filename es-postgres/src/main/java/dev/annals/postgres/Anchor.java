package dev.annals.postgres;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.annals.core.StreamId;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * An auditor's record of an event store at one moment, kept outside the database: the log
 * position, the head (version and link hash) of every stream, a SHA-256 digest over all of it,
 * and optionally an Ed25519 signature of that digest. Take one with {@link
 * IntegrityVerifier#anchor()}, compare it later with {@link IntegrityVerifier#compare}.
 *
 * <p>The file is UTF-8 JSON lines: a header, then one line per stream in ascending stream id
 * order (Java string order; stream ids are ASCII).
 *
 * <pre>
 * {"annalsAnchor":1,"schema":"bank","logPosition":9032,"takenAt":"2026-12-03T07:00:00.123456Z","streams":2,"digest":"…","signature":"…"}
 * {"stream":"account-1001","version":679,"hash":"…"}
 * {"stream":"account-1002","version":12,"hash":"…"}
 * </pre>
 *
 * <p>{@code digest} is the lower-case hex SHA-256 of the UTF-8 text {@code "annals-anchor 1\n"
 * "schema " S "\n" "log-position " P "\n" "taken-at " T "\n" "streams " N "\n"} followed by {@code
 * STREAM " " VERSION " " HASH "\n"} for each stream in file order, with {@code T} as {@link
 * Instant#toString()} writes it. {@code signature}, present only in signed anchors, is the Base64
 * Ed25519 signature of the 32 digest bytes. Reading a file recomputes the digest and refuses a
 * file whose digest does not match. Immutable and thread-safe.
 */
public final class Anchor {

  /** The format version this class writes and reads. */
  public static final int FORMAT = 1;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern HASH = Pattern.compile("[0-9a-f]{64}");
  private static final Set<String> HEADER_FIELDS =
      Set.of("annalsAnchor", "schema", "logPosition", "takenAt", "streams", "digest", "signature");
  private static final Set<String> HEAD_FIELDS = Set.of("stream", "version", "hash");

  /**
   * One stream's head when the anchor was taken.
   *
   * @param streamId the stream
   * @param version its version, 1 or more
   * @param hash the link hash of the event at that version, 64 lower-case hex digits
   */
  public record Head(StreamId streamId, long version, String hash) {
    /** Checks every component. */
    public Head {
      Objects.requireNonNull(streamId, "streamId must not be null");
      if (version < 1) {
        throw new IllegalArgumentException("version of " + streamId + " must be 1 or more, was " + version);
      }
      if (hash == null || !HASH.matcher(hash).matches()) {
        throw new IllegalArgumentException("hash of " + streamId + " must be 64 lower-case hex digits, was " + hash);
      }
    }
  }

  private final String schema;
  private final long logPosition;
  private final Instant takenAt;
  private final List<Head> heads;
  private final byte[] digest;
  private final byte[] signature;

  private Anchor(String schema, long logPosition, Instant takenAt, List<Head> heads, byte[] signature) {
    this.schema = schema;
    this.logPosition = logPosition;
    this.takenAt = takenAt;
    this.heads = heads;
    this.digest = digest(schema, logPosition, takenAt, heads);
    this.signature = signature;
  }

  /** An unsigned anchor; {@code heads} must be in ascending stream id order without repeats. */
  static Anchor of(String schema, long logPosition, Instant takenAt, List<Head> heads) {
    PostgresSchema.checkName(schema);
    if (logPosition < 0) {
      throw new IllegalArgumentException("logPosition must not be negative, was " + logPosition);
    }
    Objects.requireNonNull(takenAt, "takenAt must not be null");
    List<Head> copy = List.copyOf(heads);
    for (int i = 1; i < copy.size(); i++) {
      if (copy.get(i - 1).streamId().toString().compareTo(copy.get(i).streamId().toString()) >= 0) {
        throw new IllegalArgumentException("heads must be in ascending stream id order without repeats: "
            + copy.get(i - 1).streamId() + " then " + copy.get(i).streamId());
      }
    }
    return new Anchor(schema, logPosition, takenAt, copy, null);
  }

  /** The schema the anchor was taken of (informational: any schema can be compared with it). */
  public String schema() {
    return schema;
  }

  /** The head position of the log when the anchor was taken. */
  public long logPosition() {
    return logPosition;
  }

  /** The database's time when the anchor was taken. */
  public Instant takenAt() {
    return takenAt;
  }

  /** Every stream's head, in ascending stream id order. */
  public List<Head> heads() {
    return heads;
  }

  /** The digest over position and heads, as 64 lower-case hex digits. */
  public String digest() {
    return HexFormat.of().formatHex(digest);
  }

  /** Whether the anchor carries a signature. */
  public boolean signed() {
    return signature != null;
  }

  /**
   * This anchor signed with {@code key}.
   *
   * @throws AnchorException if {@code key} is not an Ed25519 private key
   */
  public Anchor signedWith(PrivateKey key) {
    Objects.requireNonNull(key, "key must not be null");
    try {
      Signature ed = Signature.getInstance("Ed25519");
      ed.initSign(key);
      ed.update(digest);
      return new Anchor(schema, logPosition, takenAt, heads, ed.sign());
    } catch (GeneralSecurityException e) {
      throw new AnchorException("cannot sign the anchor: the key is not an Ed25519 private key ("
          + key.getAlgorithm() + ")");
    }
  }

  /**
   * Checks the signature against {@code key}.
   *
   * @throws AnchorException if the anchor is unsigned, or its signature was not made by the
   *     private key of {@code key} over this anchor's content
   */
  public void verifySignature(PublicKey key) {
    Objects.requireNonNull(key, "key must not be null");
    if (signature == null) {
      throw new AnchorException("the anchor of " + takenAt + " is not signed, but a public key was given to check it");
    }
    boolean valid;
    try {
      Signature ed = Signature.getInstance("Ed25519");
      ed.initVerify(key);
      ed.update(digest);
      valid = ed.verify(signature);
    } catch (SignatureException e) {
      // Thrown for signature bytes that are not an Ed25519 signature at all, whatever the key.
      throw new AnchorException("the anchor's signature is malformed or the anchor was altered");
    } catch (GeneralSecurityException e) {
      throw new AnchorException("cannot check the anchor's signature: the key is not an Ed25519 public key ("
          + key.getAlgorithm() + ")");
    }
    if (!valid) {
      throw new AnchorException("the anchor's signature does not verify with the given public key: the anchor "
          + "was altered or signed with another key");
    }
  }

  /**
   * Writes the anchor to {@code file}, replacing it.
   *
   * @throws AnchorException naming the file if it cannot be written
   */
  public void write(Path file) {
    Objects.requireNonNull(file, "file must not be null");
    try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      ObjectNode header = JSON.createObjectNode();
      header.put("annalsAnchor", FORMAT);
      header.put("schema", schema);
      header.put("logPosition", logPosition);
      header.put("takenAt", takenAt.toString());
      header.put("streams", heads.size());
      header.put("digest", digest());
      if (signature != null) {
        header.put("signature", Base64.getEncoder().encodeToString(signature));
      }
      out.write(JSON.writeValueAsString(header));
      out.write('\n');
      for (Head h : heads) {
        ObjectNode line = JSON.createObjectNode();
        line.put("stream", h.streamId().toString());
        line.put("version", h.version());
        line.put("hash", h.hash());
        out.write(JSON.writeValueAsString(line));
        out.write('\n');
      }
    } catch (IOException e) {
      throw new AnchorException("cannot write the anchor file " + file + ": " + e, e);
    }
  }

  /**
   * Reads an anchor file and checks its digest.
   *
   * @throws AnchorException naming the file and the line if it cannot be read, is not an anchor
   *     file, or its digest does not match its content (the file was altered)
   */
  public static Anchor read(Path file) {
    Objects.requireNonNull(file, "file must not be null");
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String first = in.readLine();
      if (first == null) {
        throw new AnchorException("anchor file " + file + " is empty");
      }
      JsonNode header = object(file, 1, first, HEADER_FIELDS);
      if (!header.path("annalsAnchor").isInt() || header.get("annalsAnchor").intValue() != FORMAT) {
        throw bad(file, 1, "not an anchor of format " + FORMAT + " (field annalsAnchor)");
      }
      String schema = text(file, 1, header, "schema");
      long position = number(file, 1, header, "logPosition", 0);
      long count = number(file, 1, header, "streams", 0);
      String digestHex = text(file, 1, header, "digest");
      Instant takenAt;
      try {
        takenAt = Instant.parse(text(file, 1, header, "takenAt"));
      } catch (DateTimeParseException e) {
        throw bad(file, 1, "takenAt is not an ISO-8601 instant");
      }
      byte[] signature = null;
      if (header.has("signature")) {
        try {
          signature = Base64.getDecoder().decode(text(file, 1, header, "signature"));
        } catch (IllegalArgumentException e) {
          throw bad(file, 1, "signature is not Base64");
        }
      }
      List<Head> heads = new ArrayList<>();
      int lineNumber = 1;
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        lineNumber++;
        JsonNode node = object(file, lineNumber, line, HEAD_FIELDS);
        try {
          heads.add(new Head(StreamId.parse(text(file, lineNumber, node, "stream")),
              number(file, lineNumber, node, "version", 1), text(file, lineNumber, node, "hash")));
        } catch (IllegalArgumentException e) {
          throw bad(file, lineNumber, e.getMessage());
        }
      }
      if (heads.size() != count) {
        throw bad(file, 1, "the header says " + count + " streams but the file has " + heads.size());
      }
      Anchor anchor;
      try {
        anchor = of(schema, position, takenAt, heads);
      } catch (IllegalArgumentException e) {
        throw new AnchorException("anchor file " + file + " is not usable: " + e.getMessage());
      }
      if (!anchor.digest().equals(digestHex)) {
        throw new AnchorException("anchor file " + file + " was altered: its header says digest " + digestHex
            + " but its content gives " + anchor.digest());
      }
      return signature == null ? anchor : new Anchor(schema, position, takenAt, anchor.heads, signature);
    } catch (IOException e) {
      throw new AnchorException("cannot read the anchor file " + file + ": " + e, e);
    }
  }

  /**
   * Reads an Ed25519 private key in PKCS#8, PEM ({@code -----BEGIN PRIVATE KEY-----}, as {@code
   * openssl genpkey -algorithm ed25519} writes it) or DER.
   *
   * @throws AnchorException naming the file, never its content, if it is unreadable or no such key
   */
  public static PrivateKey readPrivateKey(Path file) {
    return Ed25519Keys.privateKey(file);
  }

  /**
   * Reads an Ed25519 public key in X.509 SubjectPublicKeyInfo, PEM ({@code -----BEGIN PUBLIC
   * KEY-----}, as {@code openssl pkey -pubout} writes it) or DER.
   *
   * @throws AnchorException naming the file if it is unreadable or no such key
   */
  public static PublicKey readPublicKey(Path file) {
    return Ed25519Keys.publicKey(file);
  }

  private static byte[] digest(String schema, long logPosition, Instant takenAt, List<Head> heads) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(("annals-anchor " + FORMAT + "\nschema " + schema + "\nlog-position " + logPosition
          + "\ntaken-at " + takenAt + "\nstreams " + heads.size() + "\n").getBytes(StandardCharsets.UTF_8));
      StringBuilder line = new StringBuilder(256);
      for (Head h : heads) {
        line.setLength(0);
        line.append(h.streamId()).append(' ').append(h.version()).append(' ').append(h.hash()).append('\n');
        sha.update(line.toString().getBytes(StandardCharsets.UTF_8));
      }
      return sha.digest();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }

  private static JsonNode object(Path file, int line, String text, Set<String> fields) {
    JsonNode node;
    try {
      node = JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw bad(file, line, "not JSON");
    }
    if (node == null || !node.isObject()) {
      throw bad(file, line, "not a JSON object");
    }
    for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!fields.contains(name)) {
        throw bad(file, line, "unexpected field '" + name + "'");
      }
    }
    return node;
  }

  private static String text(Path file, int line, JsonNode node, String field) {
    JsonNode value = node.get(field);
    if (value == null || !value.isTextual()) {
      throw bad(file, line, "field " + field + " must be a string");
    }
    return value.textValue();
  }

  private static long number(Path file, int line, JsonNode node, String field, long min) {
    JsonNode value = node.get(field);
    if (value == null || !value.canConvertToExactIntegral() || !value.canConvertToLong() || value.longValue() < min) {
      throw bad(file, line, "field " + field + " must be a whole number, " + min + " or more");
    }
    return value.longValue();
  }

  private static AnchorException bad(Path file, int line, String problem) {
    return new AnchorException("anchor file " + file + ", line " + line + ": " + problem);
  }

  @Override
  public String toString() {
    return "Anchor[schema=" + schema + ", logPosition=" + logPosition + ", takenAt=" + takenAt + ", streams="
        + heads.size() + ", digest=" + digest() + (signature == null ? "" : ", signed") + "]";
  }
}
