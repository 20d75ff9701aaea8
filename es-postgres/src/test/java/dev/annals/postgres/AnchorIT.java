package dev.annals.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import com.zaxxer.hikari.HikariDataSource;
import dev.annals.core.ExpectedVersion;
import dev.annals.core.NewEvent;
import dev.annals.core.StreamId;
import dev.annals.postgres.IntegrityVerifier.Kind;
import dev.annals.postgres.IntegrityVerifier.Report;
import dev.annals.postgres.IntegrityVerifier.Scope;
import dev.annals.postgres.IntegrityVerifier.Violation;
import dev.annals.testkit.ContractEvents;
import dev.annals.testkit.ContractEvents.ItemAdded;
import dev.annals.testkit.PostgresTestDatabase;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class AnchorIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  static HikariDataSource pool;
  PostgresEventStore store;
  IntegrityVerifier verifier;
  String schema;

  @TempDir
  Path dir;

  @BeforeAll
  static void open() {
    pool = Pools.pool(db, 4);
  }

  @AfterAll
  static void close() {
    pool.close();
  }

  @BeforeEach
  void fill() {
    schema = db.newSchema();
    store = PostgresEventStore.builder(ContractEvents.registry()).dataSource(pool).schema(schema)
        .installSchema(true).notifyInterval(Duration.ZERO).build();
    for (String id : List.of("a", "b", "c")) {
      for (int i = 1; i <= 4; i++) {
        append(id, id + i);
      }
    }
    verifier = store.integrityVerifier();
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  private void append(String cart, String item) {
    store.append(StreamId.of("cart", cart), ExpectedVersion.any(), NewEvent.of(new ItemAdded(item, 1)));
  }

  /** Runs SQL as a superuser would to tamper, bypassing the append-only triggers. */
  private void tamper(String... sql) throws Exception {
    try (Connection c = pool.getConnection(); Statement st = c.createStatement()) {
      c.setAutoCommit(false);
      st.execute("SET LOCAL session_replication_role = replica");
      for (String s : sql) {
        st.execute(s);
      }
      c.commit();
    }
  }

  /** Deletes the stream's last event and rewrites its stream row to match: the chains cannot tell. */
  private void deleteTail(String stream) throws Exception {
    tamper("DELETE FROM " + schema + ".events WHERE stream_id = '" + stream + "' AND version = "
            + "(SELECT version FROM " + schema + ".streams WHERE stream_id = '" + stream + "')",
        "UPDATE " + schema + ".streams s SET version = e.version, head_hash = e.hash, last_xid = e.transaction_id "
            + "FROM " + schema + ".events e WHERE s.stream_id = '" + stream + "' AND e.stream_id = s.stream_id "
            + "AND e.version = s.version - 1");
  }

  @Test
  void an_anchor_records_every_head_and_the_log_position_and_survives_its_file() {
    Anchor anchor = verifier.anchor();
    assertThat(anchor.schema()).isEqualTo(schema);
    assertThat(anchor.logPosition()).isEqualTo(store.headPosition());
    assertThat(anchor.heads()).extracting(h -> h.streamId().toString(), Anchor.Head::version)
        .containsExactly(tuple("cart-a", 4L), tuple("cart-b", 4L), tuple("cart-c", 4L));
    assertThat(anchor.signed()).isFalse();

    Path file = dir.resolve("anchor.jsonl");
    anchor.write(file);
    Anchor read = Anchor.read(file);
    assertThat(read.digest()).isEqualTo(anchor.digest()).matches("[0-9a-f]{64}");
    assertThat(read.heads()).isEqualTo(anchor.heads());
    assertThat(read.takenAt()).isEqualTo(anchor.takenAt());
    assertThat(read.logPosition()).isEqualTo(anchor.logPosition());

    Report report = verifier.compare(read);
    assertThat(report.intact()).isTrue();
    assertThat(report.streamsChecked()).isEqualTo(3);
    assertThat(report.eventsChecked()).isEqualTo(3);
  }

  @Test
  void streams_that_grew_or_were_created_since_the_anchor_still_match_it() {
    Anchor anchor = verifier.anchor();
    append("a", "a5");
    append("d", "d1");
    assertThat(verifier.compare(anchor).intact()).isTrue();
  }

  @Test
  void a_deleted_tail_with_a_rewritten_stream_row_passes_the_chains_but_not_the_anchor() throws Exception {
    Anchor anchor = verifier.anchor();
    deleteTail("cart-b");
    // The limit the anchor closes: the chains alone cannot tell.
    assertThat(verifier.verify(Scope.all()).intact()).isTrue();

    Report report = verifier.compare(anchor);
    assertThat(report.violations()).extracting(Violation::stream, Violation::version, Violation::kind)
        .containsExactly(tuple("cart-b", 4L, Kind.ANCHORED_HEAD_MISSING));
    assertThat(report.first().orElseThrow().detail()).contains("events were removed");
  }

  @Test
  void a_rewritten_tail_with_a_valid_chain_differs_from_the_anchor() throws Exception {
    Anchor anchor = verifier.anchor();
    long removed = store.readStream(StreamId.of("cart", "c")).get(3).position();
    deleteTail("cart-c");
    append("c", "forged");
    assertThat(verifier.verify(Scope.all()).intact()).isTrue();

    Report report = verifier.compare(anchor);
    assertThat(report.violations()).extracting(Violation::stream, Violation::version, Violation::kind)
        .containsExactly(tuple("cart-c", 4L, Kind.ANCHORED_HEAD_MISMATCH));
    assertThat(report.first().orElseThrow().position()).isNotEqualTo(removed).isPositive();
  }

  @Test
  void a_whole_deleted_stream_is_reported_missing() throws Exception {
    Anchor anchor = verifier.anchor();
    tamper("DELETE FROM " + schema + ".events WHERE stream_id = 'cart-a'",
        "DELETE FROM " + schema + ".streams WHERE stream_id = 'cart-a'");
    assertThat(verifier.verify(Scope.all()).intact()).isTrue();
    assertThat(verifier.compare(anchor).violations()).extracting(Violation::stream, Violation::version, Violation::kind)
        .containsExactly(tuple("cart-a", 4L, Kind.ANCHORED_HEAD_MISSING));
  }

  @Test
  void many_streams_are_compared_in_batches() {
    for (int i = 0; i < 2500; i++) {
      append("m" + i, "x");
    }
    Anchor anchor = verifier.anchor();
    assertThat(anchor.heads()).hasSize(2503);
    Report report = verifier.compare(anchor);
    assertThat(report.intact()).isTrue();
    assertThat(report.eventsChecked()).isEqualTo(2503);
  }

  @Test
  void a_signed_anchor_verifies_with_its_public_key_only() throws Exception {
    KeyPair keys = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    Path privateKey = pem(dir.resolve("anchor-key.pem"), "PRIVATE KEY", keys.getPrivate().getEncoded());
    Path publicKey = pem(dir.resolve("anchor-key.pub"), "PUBLIC KEY", keys.getPublic().getEncoded());
    Path derPublicKey = Files.write(dir.resolve("anchor-key.der"), keys.getPublic().getEncoded());

    Path file = dir.resolve("signed.jsonl");
    verifier.anchor().signedWith(Anchor.readPrivateKey(privateKey)).write(file);
    Anchor read = Anchor.read(file);
    assertThat(read.signed()).isTrue();
    read.verifySignature(Anchor.readPublicKey(publicKey));
    read.verifySignature(Anchor.readPublicKey(derPublicKey));

    KeyPair other = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    Path otherKey = pem(dir.resolve("other.pub"), "PUBLIC KEY", other.getPublic().getEncoded());
    assertThatThrownBy(() -> read.verifySignature(Anchor.readPublicKey(otherKey)))
        .isInstanceOf(AnchorException.class).hasMessageContaining("does not verify");

    Path unsigned = dir.resolve("unsigned.jsonl");
    verifier.anchor().write(unsigned);
    assertThatThrownBy(() -> Anchor.read(unsigned).verifySignature(Anchor.readPublicKey(publicKey)))
        .isInstanceOf(AnchorException.class).hasMessageContaining("not signed");

    // A forger who edits a head and recomputes the digest still cannot make the signature.
    List<String> lines = new ArrayList<>(Files.readAllLines(file));
    String forgedHead = "{\"stream\":\"cart-a\",\"version\":3,\"hash\":\"" + "0".repeat(64) + "\"}";
    lines.set(1, forgedHead);
    Path forged = dir.resolve("forged.jsonl");
    Files.write(forged, lines);
    assertThatThrownBy(() -> Anchor.read(forged)).isInstanceOf(AnchorException.class)
        .hasMessageContaining("was altered");
    Anchor redigested = Anchor.of(schema, read.logPosition(), read.takenAt(),
        List.of(new Anchor.Head(StreamId.of("cart", "a"), 3, "0".repeat(64)), read.heads().get(1), read.heads().get(2)));
    lines.set(0, lines.get(0).replace(read.digest(), redigested.digest()));
    Files.write(forged, lines);
    Anchor resigned = Anchor.read(forged);
    assertThatThrownBy(() -> resigned.verifySignature(Anchor.readPublicKey(publicKey)))
        .isInstanceOf(AnchorException.class).hasMessageContaining("does not verify");
  }

  @Test
  void bad_anchor_and_key_files_are_refused_with_the_file_and_problem_named() throws Exception {
    Path good = dir.resolve("good.jsonl");
    verifier.anchor().write(good);
    List<String> lines = Files.readAllLines(good);

    assertBadAnchor(write("missing.jsonl", null), "cannot read the anchor file");
    assertBadAnchor(write("empty.jsonl", ""), "is empty");
    assertBadAnchor(write("text.jsonl", "hello\n"), "line 1: not JSON");
    assertBadAnchor(write("other.jsonl", "{\"annalsAnchor\":2}\n"), "not an anchor of format 1");
    assertBadAnchor(write("extra.jsonl", lines.get(0) + "\n" + lines.get(1).replace("}", ",\"note\":1}") + "\n"),
        "line 2: unexpected field 'note'");
    assertBadAnchor(write("short.jsonl", lines.get(0) + "\n" + lines.get(1) + "\n"), "says 3 streams but the file has 1");
    assertBadAnchor(write("order.jsonl", String.join("\n", lines.get(0), lines.get(2), lines.get(1), lines.get(3)) + "\n"),
        "ascending stream id order");
    assertBadAnchor(write("badid.jsonl", lines.get(0) + "\n" + lines.get(1).replace("cart-a", "cart a") + "\n"
        + lines.get(2) + "\n" + lines.get(3) + "\n"), "line 2: ");

    String secret = Base64.getEncoder().encodeToString("not a key at all, but secret".getBytes(StandardCharsets.UTF_8));
    Path notAKey = write("not-a-key.pem", "-----BEGIN PRIVATE KEY-----\n" + secret + "\n-----END PRIVATE KEY-----\n");
    assertThatThrownBy(() -> Anchor.readPrivateKey(notAKey)).isInstanceOf(AnchorException.class)
        .hasMessageContaining("not-a-key.pem").hasMessageContaining("not an Ed25519 private key")
        .hasMessageNotContaining(secret).hasNoCause();
    assertThatThrownBy(() -> Anchor.readPublicKey(notAKey)).isInstanceOf(AnchorException.class)
        .hasMessageContaining("no PUBLIC KEY block");
    assertThatThrownBy(() -> Anchor.readPublicKey(dir.resolve("nowhere.pub"))).isInstanceOf(AnchorException.class)
        .hasMessageContaining("cannot read the key file");
    KeyPair rsa = KeyPairGenerator.getInstance("RSA").generateKeyPair();
    Path rsaKey = pem(dir.resolve("rsa.pem"), "PRIVATE KEY", rsa.getPrivate().getEncoded());
    assertThatThrownBy(() -> Anchor.readPrivateKey(rsaKey)).isInstanceOf(AnchorException.class)
        .hasMessageContaining("not an Ed25519 private key");
  }

  private Path write(String name, String content) throws Exception {
    Path file = dir.resolve(name);
    if (content != null) {
      Files.writeString(file, content);
    }
    return file;
  }

  private static void assertBadAnchor(Path file, String problem) {
    assertThatThrownBy(() -> Anchor.read(file)).isInstanceOf(AnchorException.class)
        .hasMessageContaining(file.getFileName().toString()).hasMessageContaining(problem);
  }

  private static Path pem(Path file, String label, byte[] der) throws Exception {
    String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
    return Files.writeString(file, "-----BEGIN " + label + "-----\n" + body + "\n-----END " + label + "-----\n");
  }
}
