package dev.annals.bank.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.annals.bank.BankStorage;
import dev.annals.bank.DemoWorkload;
import dev.annals.testkit.PostgresTestDatabase;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The auditor's anchors and the tampering only they, or the bank's own rules, can find; in order, each step tampers more. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AuditAnchorIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  static Path dir;

  static Path anchorFile;
  static Path privateKey;
  static Path publicKey;
  /** The account whose tail is cut, and the transfer whose credit goes with it. */
  static String cutAccount;
  static long cutVersion;
  static long anchoredVersion;
  static String cutTransfer;

  @BeforeAll
  static void run_a_small_workload_and_make_keys() throws Exception {
    try (BankStorage storage = BankStorage.postgres(db.jdbcUrl(), db.schema(), false)) {
      assertThat(DemoWorkload.run(storage, 60, 2, 40, 5)).isTrue();
    }
    KeyPair keys = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    privateKey = pem(dir.resolve("auditor.pem"), "PRIVATE KEY", keys.getPrivate().getEncoded());
    publicKey = pem(dir.resolve("auditor.pub"), "PUBLIC KEY", keys.getPublic().getEncoded());
    anchorFile = dir.resolve("anchor.jsonl");
  }

  private record Result(int status, String out, String err) {}

  private static Result audit(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    String[] all = new String[args.length + 2];
    all[0] = "--schema";
    all[1] = db.schema();
    System.arraycopy(args, 0, all, 2, args.length);
    int status;
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      status = AuditMain.run(all, Map.of(BankStorage.URL_VARIABLE, db.jdbcUrl()), o, e);
    }
    return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static void tamper(String... sql) throws Exception {
    try (Connection c = db.connect(); Statement st = c.createStatement()) {
      c.setAutoCommit(false);
      st.execute("SET LOCAL session_replication_role = replica");
      for (String s : sql) {
        st.execute(s);
      }
      c.commit();
    }
  }

  private static List<String> row(String sql) throws Exception {
    try (Connection c = db.connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      assertThat(rs.next()).as(sql).isTrue();
      List<String> values = new ArrayList<>();
      for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
        values.add(rs.getString(i));
      }
      return values;
    }
  }

  @Test
  @Order(1)
  void anchor_writes_a_signed_anchor_that_verify_checks_against_the_log() throws Exception {
    Result written = audit("anchor", anchorFile.toString(), "--private-key", privateKey.toString());
    assertThat(written.status()).as(written.err()).isZero();
    assertThat(written.out()).contains("Anchored ", " streams of schema " + db.schema() + " at log position ",
        "signed with Ed25519");
    assertThat(Files.readAllLines(anchorFile).get(0)).contains("\"signature\":");

    Result verified = audit("verify", "--anchor", anchorFile.toString(), "--public-key", publicKey.toString());
    assertThat(verified.status()).as(verified.out() + verified.err()).isZero();
    assertThat(verified.out()).contains("signature verified): every anchored head is in place",
        "Money in finished transfers: none", "Verdict: OK");

    JsonNode unsigned = JSON.readTree(audit("--json", "anchor", dir.resolve("unsigned.jsonl").toString()).out());
    assertThat(unsigned.get("signed").asBoolean()).isFalse();
    assertThat(unsigned.get("digest").asText()).hasSize(64);
    JsonNode doc = JSON.readTree(audit("--json", "verify", "--anchor", dir.resolve("unsigned.jsonl").toString()).out());
    assertThat(doc.get("ok").asBoolean()).isTrue();
    assertThat(doc.get("anchor").get("intact").asBoolean()).isTrue();
    assertThat(doc.get("anchor").get("signatureVerified").asBoolean()).isFalse();
    assertThat(doc.get("money").get("strandedTransfers").size()).isZero();
  }

  @Test
  @Order(2)
  void bad_anchor_files_keys_and_options_exit_with_2_and_one_line() throws Exception {
    assertUsage(audit("anchor"), "Missing required parameter: 'FILE'");
    assertUsage(audit("anchor", dir.resolve("no-such-dir").resolve("a.jsonl").toString()), "cannot write the anchor file");
    assertUsage(audit("verify", "--anchor", dir.resolve("nowhere.jsonl").toString()), "cannot read the anchor file");
    assertUsage(audit("verify", "--public-key", publicKey.toString()), "Missing required argument(s): --anchor=FILE");
    assertUsage(audit("verify", "--private-key", privateKey.toString()), "--private-key applies to anchor only");
    assertUsage(audit("history", "1001", "--anchor", anchorFile.toString()), "--anchor applies to verify only");

    KeyPair other = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    Path otherKey = pem(dir.resolve("other.pub"), "PUBLIC KEY", other.getPublic().getEncoded());
    assertUsage(audit("verify", "--anchor", anchorFile.toString(), "--public-key", otherKey.toString()),
        "does not verify");
    assertUsage(audit("verify", "--anchor", anchorFile.toString(), "--public-key", privateKey.toString()),
        "no PUBLIC KEY block");

    String secret = Base64.getEncoder().encodeToString("a secret that is not a key".getBytes(StandardCharsets.UTF_8));
    Path broken = Files.writeString(dir.resolve("broken.pem"),
        "-----BEGIN PRIVATE KEY-----\n" + secret + "\n-----END PRIVATE KEY-----\n");
    Result badKey = audit("anchor", dir.resolve("never.jsonl").toString(), "--private-key", broken.toString());
    assertUsage(badKey, "not an Ed25519 private key");
    assertThat(badKey.err()).doesNotContain(secret);
    assertThat(dir.resolve("never.jsonl")).doesNotExist();

    List<String> lines = new ArrayList<>(Files.readAllLines(anchorFile));
    lines.set(1, lines.get(1).replaceFirst("\"version\":\\d+", "\"version\":1"));
    Path altered = Files.write(dir.resolve("altered.jsonl"), lines);
    assertUsage(audit("verify", "--anchor", altered.toString()), "was altered");
  }

  @Test
  @Order(3)
  void a_cut_tail_with_a_rewritten_stream_row_is_found_by_the_anchor_and_by_the_stranded_transfer() throws Exception {
    // The latest credit of a completed transfer: cut it, and all after it, from the account.
    List<String> credit = row("SELECT e.stream_id, e.version, e.payload->>'transferId', s.version FROM "
        + db.schema() + ".events e JOIN " + db.schema() + ".streams s ON s.stream_id = e.stream_id "
        + "WHERE e.type = 'TransferCredited' AND EXISTS (SELECT 1 FROM " + db.schema() + ".events t "
        + "WHERE t.stream_id = 'transfer-' || (e.payload->>'transferId') AND t.type = 'TransferTargetCredited') "
        + "ORDER BY e.position DESC LIMIT 1");
    cutAccount = credit.get(0);
    cutVersion = Long.parseLong(credit.get(1));
    cutTransfer = credit.get(2);
    anchoredVersion = Long.parseLong(credit.get(3));
    String events = db.schema() + ".events";
    tamper("DELETE FROM " + events + " WHERE stream_id = '" + cutAccount + "' AND version >= " + cutVersion,
        "UPDATE " + db.schema() + ".streams s SET version = e.version, head_hash = e.hash, last_xid = e.transaction_id "
            + "FROM " + events + " e WHERE s.stream_id = '" + cutAccount + "' AND e.stream_id = s.stream_id "
            + "AND e.version = " + (cutVersion - 1));
    // The forger rebuilds the balances view too, so that it agrees with the cut log.
    assertThat(audit("rebuild", "balances").status()).isZero();

    Result plain = audit("verify");
    assertThat(plain.status()).as(plain.out()).isEqualTo(AuditMain.PROBLEMS);
    assertThat(plain.out()).contains("Hash chains: intact", "Money conserved: yes",
        "transfer " + cutTransfer + " (completed): ", "debited but neither credited nor refunded",
        "Money in finished transfers: IN ", "Verdict: PROBLEMS FOUND");

    Result anchored = audit("verify", "--anchor", anchorFile.toString(), "--public-key", publicKey.toString());
    assertThat(anchored.status()).isEqualTo(AuditMain.PROBLEMS);
    assertThat(anchored.out()).contains("1 anchored stream missing or different",
        "stream " + cutAccount + ", version " + anchoredVersion + ": ANCHORED_HEAD_MISSING");

    JsonNode doc = JSON.readTree(audit("--json", "verify", "--anchor", anchorFile.toString()).out());
    assertThat(doc.get("ok").asBoolean()).isFalse();
    JsonNode violation = doc.get("anchor").get("violations").get(0);
    assertThat(violation.get("stream").asText()).isEqualTo(cutAccount);
    assertThat(violation.get("version").asLong()).isEqualTo(anchoredVersion);
    assertThat(violation.get("kind").asText()).isEqualTo("ANCHORED_HEAD_MISSING");
    assertThat(doc.get("money").get("strandedTransfers")).anySatisfy(t -> {
      assertThat(t.get("transfer").asText()).isEqualTo(cutTransfer);
      assertThat(t.get("status").asText()).isEqualTo("COMPLETED");
    });
  }

  @Test
  @Order(4)
  void a_stream_row_moved_to_another_category_is_named() throws Exception {
    List<String> other = row("SELECT stream_id, version FROM " + db.schema() + ".streams WHERE category = 'account' "
        + "AND stream_id <> '" + cutAccount + "' ORDER BY stream_id LIMIT 1");
    tamper("UPDATE " + db.schema() + ".streams SET category = 'hidden' WHERE stream_id = '" + other.get(0) + "'");
    Result result = audit("verify");
    assertThat(result.status()).isEqualTo(AuditMain.PROBLEMS);
    assertThat(result.out()).contains("stream " + other.get(0) + ", version " + other.get(1) + ", position ")
        .contains(": CATEGORY_MISMATCH");
  }

  @Test
  @Order(5)
  void a_raised_transaction_id_is_reported_as_a_moved_event_not_as_a_missing_store() throws Exception {
    List<String> event = row("SELECT stream_id, version, position FROM " + db.schema() + ".events "
        + "WHERE category = 'transfer' ORDER BY position LIMIT 1");
    tamper("UPDATE " + db.schema() + ".events SET transaction_id = (pg_snapshot_xmax(pg_current_snapshot())::text::bigint "
        + "+ 1000000)::text::xid8 WHERE position = " + event.get(2));

    Result result = audit("verify", "--anchor", anchorFile.toString());
    assertThat(result.status()).as(result.out() + result.err()).isEqualTo(AuditMain.PROBLEMS);
    assertThat(result.out()).contains("stream " + event.get(0) + ", version " + event.get(1) + ", position "
            + event.get(2) + ": LOG_ORDER_MISMATCH", "ahead of this cluster",
        "ANCHORED_HEAD_MISSING", "not checked, the store refuses to open", "Verdict: PROBLEMS FOUND");

    JsonNode doc = JSON.readTree(audit("--json", "verify").out());
    assertThat(doc.get("ok").asBoolean()).isFalse();
    assertThat(doc.get("storeRefused").asText()).contains("transaction id");
    assertThat(doc.get("hashChains").get("violations")).anySatisfy(v -> {
      assertThat(v.get("stream").asText()).isEqualTo(event.get(0));
      assertThat(v.get("kind").asText()).isEqualTo("LOG_ORDER_MISMATCH");
    });
    // Commands that need the store still say it does not open.
    assertThat(audit("history", "1001").status()).isEqualTo(AuditMain.UNAVAILABLE);
  }

  private static void assertUsage(Result result, String named) {
    assertThat(result.status()).as(result.err()).isEqualTo(AuditMain.USAGE);
    assertThat(result.err().lines()).hasSize(1);
    assertThat(result.err()).contains(named);
    assertThat(result.out()).isEmpty();
  }

  private static Path pem(Path file, String label, byte[] der) throws Exception {
    String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
    return Files.writeString(file, "-----BEGIN " + label + "-----\n" + body + "\n-----END " + label + "-----\n");
  }
}
