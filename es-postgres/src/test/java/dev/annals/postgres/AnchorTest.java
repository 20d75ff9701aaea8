package dev.annals.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.annals.core.StreamId;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pins the anchor file format that docs/postgres.md describes: tools outside this library check it. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class AnchorTest {

  static final String A = "a".repeat(64);
  static final String B = "0123456789abcdef".repeat(4);
  static final Anchor ANCHOR = Anchor.of("bank", 42, Instant.parse("2026-12-03T07:19:16.044452Z"),
      List.of(new Anchor.Head(StreamId.of("account", "1001"), 7, A), new Anchor.Head(StreamId.of("transfer", "t-1"), 4, B)));

  @Test
  void the_digest_is_sha256_of_the_documented_text() throws Exception {
    String text = "annals-anchor 1\nschema bank\nlog-position 42\ntaken-at 2026-12-03T07:19:16.044452Z\nstreams 2\n"
        + "account-1001 7 " + A + "\ntransfer-t-1 4 " + B + "\n";
    String expected = HexFormat.of().formatHex(
        MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    assertThat(ANCHOR.digest()).isEqualTo(expected);
  }

  @Test
  void the_file_is_a_header_line_and_one_line_per_stream(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("anchor.jsonl");
    ANCHOR.write(file);
    assertThat(Files.readAllLines(file)).containsExactly(
        "{\"annalsAnchor\":1,\"schema\":\"bank\",\"logPosition\":42,\"takenAt\":\"2026-12-03T07:19:16.044452Z\","
            + "\"streams\":2,\"digest\":\"" + ANCHOR.digest() + "\"}",
        "{\"stream\":\"account-1001\",\"version\":7,\"hash\":\"" + A + "\"}",
        "{\"stream\":\"transfer-t-1\",\"version\":4,\"hash\":\"" + B + "\"}");
    assertThat(Anchor.read(file).heads()).isEqualTo(ANCHOR.heads());
  }

  @Test
  void heads_and_anchors_refuse_invalid_values() {
    assertThatThrownBy(() -> new Anchor.Head(StreamId.of("account", "1"), 0, A))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("version of account-1");
    assertThatThrownBy(() -> new Anchor.Head(StreamId.of("account", "1"), 1, A.toUpperCase()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("64 lower-case hex digits");
    assertThatThrownBy(() -> Anchor.of("bank", 1, Instant.EPOCH, List.of(ANCHOR.heads().get(1), ANCHOR.heads().get(0))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ascending stream id order");
  }

  @Test
  void a_malformed_signature_is_blamed_on_the_anchor_not_the_key(@TempDir Path dir) throws Exception {
    KeyPair keys = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    Path file = dir.resolve("signed.jsonl");
    ANCHOR.signedWith(keys.getPrivate()).write(file);
    String header = Files.readAllLines(file).get(0);
    assertThat(header).contains("\"signature\":\"");
    List<String> lines = new ArrayList<>(Files.readAllLines(file));
    lines.set(0, header.replaceAll("\"signature\":\"[^\"]*\"", "\"signature\":\"AAAA\""));
    Files.write(file, lines);
    Anchor malformed = Anchor.read(file);
    assertThatThrownBy(() -> malformed.verifySignature(keys.getPublic()))
        .isInstanceOf(AnchorException.class)
        .hasMessageContaining("signature is malformed or the anchor was altered")
        .hasMessageNotContaining("not an Ed25519 public key");
  }
}
