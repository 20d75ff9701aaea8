package dev.annals.bank.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.annals.bank.BankStorage;
import dev.annals.bank.DemoWorkload;
import dev.annals.testkit.PostgresTestDatabase;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The auditor's export, import, archive and restore commands against the real PostgreSQL. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class LogTransferIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  @TempDir
  Path dir;

  @BeforeAll
  static void run_a_small_workload() {
    try (BankStorage storage = BankStorage.postgres(db.jdbcUrl(), db.schema(), false)) {
      assertThat(DemoWorkload.run(storage, 40, 2, 20, 3)).isTrue();
    }
  }

  private record Result(int status, String out, String err) {}

  private static Result audit(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status;
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      status = AuditMain.run(args, Map.of(BankStorage.URL_VARIABLE, db.jdbcUrl()), o, e);
    }
    return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void an_export_imported_into_an_empty_schema_reproduces_the_log_and_verifies() throws Exception {
    Path file = dir.resolve("bank.jsonl");
    Result export = audit("export", "--schema", db.schema(), "--output", file.toString());
    assertThat(export.status()).as(export.err()).isZero();
    assertThat(export.err()).contains("Exported");
    long events = count(db.schema());
    assertThat(Files.readAllLines(file)).hasSize((int) events);

    String target = db.newSchema();
    Result imported = audit("import", "--schema", target, file.toString());

    assertThat(imported.status()).as(imported.err()).isZero();
    assertThat(imported.out()).contains("Imported " + events + " events");
    assertThat(count(target)).isEqualTo(events);
    assertThat(rows(target)).isEqualTo(rows(db.schema()));
    Result verify = audit("verify", "--schema", target);
    assertThat(verify.out()).as(verify.err()).contains("Hash chains: intact");
  }

  @Test
  void a_filtered_export_holds_only_what_was_asked_for() throws Exception {
    Result export = audit("export", "--schema", db.schema(), "--category", "account", "--from-position", "1");
    assertThat(export.status()).as(export.err()).isZero();
    assertThat(export.out().lines()).isNotEmpty()
        .allSatisfy(line -> assertThat(line).contains("\"subject\":\"account-"));
  }

  @Test
  void a_tampered_import_file_exits_with_2_in_one_line_and_imports_nothing() throws Exception {
    Path file = dir.resolve("export.jsonl");
    assertThat(audit("export", "--schema", db.schema(), "-o", file.toString()).status()).isZero();
    String text = Files.readString(file);
    Path tampered = dir.resolve("tampered.jsonl");
    // One amount changed: its link hash no longer matches.
    Files.writeString(tampered, text.replaceFirst("\"amount\": (\\d)", "\"amount\": 9$1"));
    assertThat(Files.readString(tampered)).isNotEqualTo(text);
    String target = db.newSchema();

    for (Path bad : List.of(tampered, dir.resolve("missing.jsonl"))) {
      Result result = audit("import", "--schema", target, bad.toString());
      assertThat(result.status()).as(result.err()).isEqualTo(AuditMain.USAGE);
      assertThat(result.err().lines()).hasSize(1);
      assertThat(result.err()).startsWith("Annals audit: ");
      assertThat(result.out()).isEmpty();
    }
    assertThat(count(target)).isZero();
  }

  @Test
  void bad_export_options_exit_with_2_and_name_the_value() {
    for (List<String> args : List.of(List.of("export", "--stream", "no_dash"), List.of("export", "--category", "9x"),
        List.of("export", "--from-position", "-3"), List.of("export", "--since", "yesterday"),
        List.of("archive", "--to", dir.toString()), List.of("restore", "--stream", "account-1001"))) {
      List<String> all = new java.util.ArrayList<>(args);
      all.addAll(List.of("--schema", db.schema()));
      Result result = audit(all.toArray(String[]::new));
      assertThat(result.status()).as(args + ": " + result.err()).isEqualTo(AuditMain.USAGE);
      assertThat(result.err().lines()).as(args.toString()).hasSize(1);
    }
  }

  @Test
  void an_archived_account_says_where_it_is_and_comes_back_on_restore() throws Exception {
    Path archive = dir.resolve("archive");
    Result archived = audit("archive", "--schema", db.schema(), "--stream", "account-1002", "--to", archive.toString());
    assertThat(archived.status()).as(archived.err()).isZero();
    assertThat(archived.out()).contains("Archived account-1002", "1 stream archived");

    Result history = audit("history", "1002", "--schema", db.schema());
    assertThat(history.status()).isEqualTo(AuditMain.UNREADABLE);
    assertThat(history.err()).contains("account-1002 is archived", archive.toString());

    Result restored = audit("restore", "--schema", db.schema(), "--stream", "account-1002", "--from", archive.toString());
    assertThat(restored.status()).as(restored.err()).isZero();
    Result again = audit("history", "1002", "--schema", db.schema());
    assertThat(again.status()).as(again.err()).isZero();
  }

  @Test
  void verify_archives_finds_an_altered_archive_file() throws Exception {
    Path archive = dir.resolve("archive");
    assertThat(audit("archive", "--schema", db.schema(), "--stream", "account-1003", "--to", archive.toString())
        .status()).isZero();
    Result intact = audit("verify-archives", "--schema", db.schema(), "--from", archive.toString());
    assertThat(intact.status()).as(intact.err()).isZero();
    assertThat(intact.out()).contains("Verdict: OK");

    Path file;
    try (var files = Files.list(archive)) {
      file = files.filter(f -> f.getFileName().toString().startsWith("account-1003.")).findFirst().orElseThrow();
    }
    String original = Files.readString(file);
    Files.writeString(file, original.replace("clerk", "forger"));
    assertThat(Files.readString(file)).isNotEqualTo(original);
    Result altered = audit("verify-archives", "--schema", db.schema(), "--from", archive.toString());
    assertThat(altered.status()).isEqualTo(AuditMain.PROBLEMS);
    assertThat(altered.out()).contains("stream account-1003", "ARCHIVE_MISMATCH", "Verdict: PROBLEMS FOUND");
    Result refused = audit("restore", "--schema", db.schema(), "--stream", "account-1003", "--from", archive.toString());
    assertThat(refused.status()).isEqualTo(AuditMain.USAGE);
    assertThat(refused.err().lines()).hasSize(1);

    Files.writeString(file, original);
    assertThat(audit("restore", "--schema", db.schema(), "--stream", "account-1003", "--from", archive.toString())
        .status()).isZero();
  }

  private static long count(String schema) throws SQLException {
    try (Connection c = db.connect(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT count(*) FROM " + schema + ".events")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** Every event as the chain sees it, in stream order: what an import must reproduce. */
  private static List<String> rows(String schema) throws SQLException {
    List<String> rows = new java.util.ArrayList<>();
    try (Connection c = db.connect(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT concat_ws('|', stream_id, version, event_id, type, schema_version, "
            + "payload::text, metadata::text, recorded_at, encode(hash, 'hex')) FROM " + schema
            + ".events ORDER BY stream_id, version")) {
      while (rs.next()) {
        rows.add(rs.getString(1));
      }
    }
    return rows;
  }
}
