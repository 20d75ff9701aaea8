package dev.annals.bank.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.annals.bank.BankStorage;
import dev.annals.bank.DemoWorkload;
import dev.annals.bank.domain.Account;
import dev.annals.bank.domain.AccountCommand;
import dev.annals.bank.domain.AccountEvent;
import dev.annals.bank.domain.AccountState;
import dev.annals.bank.domain.BankEvents;
import dev.annals.bank.domain.Money;
import dev.annals.bank.views.BalancesProjection;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.testkit.PostgresTestDatabase;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
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

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AuditMainIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  private static final ObjectMapper JSON = new ObjectMapper();

  @BeforeAll
  static void run_a_small_workload() {
    try (BankStorage storage = BankStorage.postgres(db.jdbcUrl(), db.schema(), false)) {
      assertThat(DemoWorkload.run(storage, 60, 2, 30, 3)).isTrue();
    }
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

  private static JsonNode json(Result result) throws Exception {
    return JSON.readTree(result.out());
  }

  @Test
  @Order(1)
  void history_lists_the_events_of_an_account_in_order() throws Exception {
    Result text = audit("history", "1001");
    assertThat(text.status()).as(text.err()).isZero();
    assertThat(text.out()).startsWith("Account 1001 (stream account-1001): ")
        .contains("AccountOpened", "actor clerk", "correlation open-1001");

    JsonNode doc = json(audit("--json", "history", "1001"));
    JsonNode events = doc.get("events");
    assertThat(events.size()).isGreaterThan(1);
    assertThat(events.get(0).get("type").asText()).isEqualTo("AccountOpened");
    assertThat(events.get(0).get("payload").get("owner").asText()).isEqualTo("alice");
    long previousPosition = 0;
    for (int i = 0; i < events.size(); i++) {
      JsonNode e = events.get(i);
      assertThat(e.get("version").asLong()).isEqualTo(i + 1);
      assertThat(e.get("position").asLong()).isGreaterThan(previousPosition);
      assertThat(e.get("recordedAt").asText()).isNotBlank();
      previousPosition = e.get("position").asLong();
    }
  }

  @Test
  @Order(2)
  void as_of_a_version_gives_the_state_made_of_that_many_events() throws Exception {
    Result result = audit("--json", "as-of", "1002", "--version", "2");
    assertThat(result.status()).as(result.err()).isZero();
    JsonNode doc = json(result);
    assertThat(doc.get("version").asLong()).isEqualTo(2);
    assertThat(doc.get("events").size()).isEqualTo(2);
    assertThat(doc.get("state").get("owner").asText()).isEqualTo("bob");
    assertThat(doc.get("state").get("status").asText()).isEqualTo("OPEN");

    Result text = audit("as-of", "1002", "--version", "1");
    assertThat(text.status()).isZero();
    assertThat(text.out()).startsWith("Account 1002 as of version 1: version 1, open, owner bob, balance 0.00 EUR");

    Result byTime = audit("as-of", "1002", "--time", "2000-01-01T00:00:00Z");
    assertThat(byTime.status()).isZero();
    assertThat(byTime.out()).contains("version 0, not opened yet");
  }

  @Test
  @Order(3)
  void verify_reports_an_intact_log() throws Exception {
    Result text = audit("verify");
    assertThat(text.status()).as(text.out() + text.err()).isZero();
    assertThat(text.out()).contains("Hash chains: intact", "Money conserved: yes",
        "Balances read model agrees with a replay of 7 accounts: yes", "Verdict: OK");
    assertThat(text.err()).containsPattern("Verifying hash chains: (\\d+) of \\1 streams");

    JsonNode doc = json(audit("--json", "verify"));
    assertThat(doc.get("ok").asBoolean()).isTrue();
    assertThat(doc.get("hashChains").get("intact").asBoolean()).isTrue();
    assertThat(doc.get("hashChains").get("streamsChecked").asLong())
        .as("accounts, transfers and the demo's forgotten customer")
        .isEqualTo(doc.get("replay").get("accounts").asLong() + streams("transfer") + streams("forgotten"));
  }

  private static long streams(String category) {
    try (java.sql.Connection c = db.connect(); Statement s = c.createStatement();
        java.sql.ResultSet rs = s.executeQuery("SELECT count(*) FROM " + db.schema() + ".streams WHERE category = '"
            + category + "'")) {
      rs.next();
      return rs.getLong(1);
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  @Order(3)
  void as_of_a_position_gives_the_state_made_of_the_events_up_to_it() throws Exception {
    JsonNode all = json(audit("--json", "history", "1001")).get("events");
    long third = all.get(2).get("position").asLong();
    Result text = audit("as-of", "1001", "--position", String.valueOf(third));
    assertThat(text.status()).as(text.err()).isZero();
    assertThat(text.out()).startsWith("Account 1001 as of position " + third + ": version 3, ");
    JsonNode doc = json(audit("--json", "as-of", "1001", "--position", String.valueOf(third - 1)));
    assertThat(doc.get("asOf").get("position").asLong()).isEqualTo(third - 1);
    assertThat(doc.get("version").asLong()).isEqualTo(2);
    assertThat(doc.get("events").size()).isEqualTo(2);
  }

  @Test
  @Order(5)
  void rebuild_makes_a_view_again_from_the_start_or_from_a_position_with_the_same_result() throws Exception {
    Map<String, Money> before = balances();
    long middle = json(audit("--json", "history", "1002")).get("events").get(3).get("position").asLong();

    Result fromStart = audit("rebuild", "balances");
    assertThat(fromStart.status()).as(fromStart.err()).isZero();
    assertThat(fromStart.out()).startsWith("Rebuilt view balances in schema " + db.schema() + " from the start: ");
    assertThat(balances()).isEqualTo(before);

    JsonNode partial = json(audit("--json", "rebuild", "statements", "--from-position", String.valueOf(middle)));
    assertThat(partial.get("view").asText()).isEqualTo("statements");
    assertThat(partial.get("eventsProcessed").asLong()).isPositive();
    Result again = audit("rebuild", "balances", "--from-position", String.valueOf(middle));
    assertThat(again.status()).as(again.err()).isZero();
    assertThat(balances()).isEqualTo(before);
    assertThat(audit("verify").status()).isZero();

    assertUsage(audit("rebuild", "nonsense"), "unknown view 'nonsense'; expected one of balances, daily_totals, statements, transfers");
    assertUsage(audit("rebuild", "balances", "--from-position", "99999999"), "'99999999'");
    assertUsage(audit("history", "1001", "--from-position", "3"), "--from-position applies to rebuild only");
  }

  @Test
  @Order(6)
  void verify_tells_a_read_model_that_is_behind_from_one_that_is_wrong() throws Exception {
    try (PostgresEventStore store = PostgresEventStore.builder(BankEvents.REGISTRY).encryptPersonalDataWithoutMasterKey().jdbcUrl(db.jdbcUrl())
            .schema(db.schema()).build();
        dev.annals.core.AggregateRepository<AccountCommand, AccountState, AccountEvent> accounts =
            dev.annals.core.AggregateRepository.builder(Account.TYPE, store).build()) {
      // Written while no bank runs: the view has not seen it.
      accounts.handle("1001", new AccountCommand.Deposit(Money.of("1", "EUR")), dev.annals.core.CommandContext.of("late"));
    }
    Result behind = audit("verify");
    assertThat(behind.status()).as(behind.out()).isZero();
    assertThat(behind.out()).contains("Balances read model: 1 events behind the log, not compared");
    assertThat(json(audit("--json", "verify")).get("readModel").get("eventsBehind").asLong()).isEqualTo(1);

    assertThat(audit("rebuild", "balances").status()).isZero();
    assertThat(audit("verify").out()).contains("Balances read model agrees with a replay of 7 accounts: yes");
  }

  private static Map<String, Money> balances() {
    try (PostgresEventStore store = PostgresEventStore.builder(BankEvents.REGISTRY).encryptPersonalDataWithoutMasterKey().jdbcUrl(db.jdbcUrl())
        .schema(db.schema()).build()) {
      return BalancesProjection.read(store);
    }
  }

  @Test
  @Order(4)
  void usage_errors_exit_with_2_and_name_the_bad_value() {
    assertUsage(audit("frobnicate"), "'frobnicate'");
    assertUsage(audit("history"), "Missing required parameter: 'ACCOUNT'");
    assertUsage(audit("history", "9999"), "'9999' not found");
    assertUsage(audit("as-of", "1001", "--version", "abc"), "'abc'");
    assertUsage(audit("as-of", "1001", "--version", "-1"), "'-1'");
    assertUsage(audit("as-of", "1001", "--version", "100000"), "'100000'");
    assertUsage(audit("as-of", "1001", "--time", "yesterday"), "'yesterday'");
    assertUsage(audit("as-of", "1001"), "exactly one of --version");
    assertUsage(audit("as-of", "1001", "--version", "1", "--time", "2000-01-01T00:00:00Z"), "mutually exclusive");
    assertUsage(audit("verify", "--bogus"), "'--bogus'");
    assertUsage(audit("verify", "extra"), "'extra'");
    assertUsage(audit("verify", "--public-key", "key.pub"), "--anchor");
    assertUsage(audit("anchor", "heads.jsonl", "--anchor", "old.jsonl"), "--anchor applies to verify only");
    assertUsage(audit(), "no command given");
    assertUsage(audit("verify", "--schema", "no-dashes"), "bad schema name 'no-dashes'");
  }

  @Test
  @Order(4)
  void help_goes_to_stdout_with_status_0_and_names_every_command() {
    Result help = audit("--help");
    assertThat(help.status()).as(help.err()).isZero();
    assertThat(help.out()).contains("history", "as-of", "rebuild", "verify", "anchor", "--json", "Exit status");
    assertThat(help.err()).isEmpty();

    Result asOf = audit("as-of", "--help");
    assertThat(asOf.status()).isZero();
    assertThat(asOf.out()).contains("--version", "--position", "--time");
  }

  @Test
  @Order(4)
  void the_common_options_may_also_follow_the_command() throws Exception {
    Result result = audit("history", "1001", "--json");
    assertThat(result.status()).as(result.err()).isZero();
    assertThat(json(result).get("account").asText()).isEqualTo("1001");
  }

  private static void assertUsage(Result result, String named) {
    assertThat(result.status()).as(result.err()).isEqualTo(AuditMain.USAGE);
    assertThat(result.err().lines()).hasSize(1);
    assertThat(result.err()).contains(named);
    assertThat(result.out()).isEmpty();
  }

  @Test
  @Order(5)
  void a_missing_schema_or_database_exits_with_3() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
    PrintStream o = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    Map<String, String> env = Map.of(BankStorage.URL_VARIABLE, db.jdbcUrl());
    assertThat(AuditMain.run(new String[] {"--schema", "no_such_schema_here", "verify"}, env, o, e))
        .isEqualTo(AuditMain.UNAVAILABLE);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("no_such_schema_here");

    Map<String, String> nowhere = Map.of(BankStorage.URL_VARIABLE, "jdbc:postgresql://127.0.0.1:1/test?user=postgres");
    assertThat(AuditMain.run(new String[] {"verify"}, nowhere, o, e)).isEqualTo(AuditMain.UNAVAILABLE);
  }

  @Test
  @Order(10)
  void verify_names_the_stream_version_and_position_of_an_event_altered_behind_the_frameworks_back()
      throws Exception {
    JsonNode third = json(audit("--json", "history", "1003")).get("events").get(2);
    long position = third.get("position").asLong();
    try (Connection c = db.connect(); Statement st = c.createStatement()) {
      c.setAutoCommit(false);
      st.execute("SET LOCAL session_replication_role = replica");
      int updated = st.executeUpdate("UPDATE " + db.schema() + ".events SET payload = jsonb_set(payload, "
          + "'{amount,amount}', '999999.00'::jsonb) WHERE stream_id = 'account-1003' AND version = 3");
      assertThat(updated).isEqualTo(1);
      c.commit();
    }

    Result text = audit("verify");
    assertThat(text.status()).as(text.out() + text.err()).isEqualTo(AuditMain.PROBLEMS);
    assertThat(text.out())
        .contains("stream account-1003, version 3, position " + position + ": HASH_MISMATCH")
        .contains("Verdict: PROBLEMS FOUND");

    JsonNode doc = json(audit("--json", "verify"));
    assertThat(doc.get("ok").asBoolean()).isFalse();
    JsonNode violation = doc.get("hashChains").get("violations").get(0);
    assertThat(violation.get("stream").asText()).isEqualTo("account-1003");
    assertThat(violation.get("version").asLong()).isEqualTo(3);
    assertThat(violation.get("position").asLong()).isEqualTo(position);
    assertThat(violation.get("kind").asText()).isEqualTo("HASH_MISMATCH");
  }

  /** Runs SQL as a superuser would, behind the framework's back. */
  private static void tamper(String sql) throws Exception {
    try (Connection c = db.connect(); Statement st = c.createStatement()) {
      c.setAutoCommit(false);
      st.execute("SET LOCAL session_replication_role = replica");
      st.execute(sql.replace("${schema}", db.schema()));
      c.commit();
    }
  }

  private static void assertUnreadable(Result result, String... named) {
    assertThat(result.status()).as(result.err()).isEqualTo(AuditMain.UNREADABLE);
    assertThat(result.err().lines()).as(result.err()).hasSize(1);
    assertThat(result.err()).startsWith("Annals audit: ").contains(named).doesNotContain("\tat ");
  }

  @Test
  @Order(11)
  void history_and_as_of_of_an_account_whose_event_no_longer_decodes_exit_with_4_naming_stream_and_version()
      throws Exception {
    tamper("UPDATE ${schema}.events SET payload = jsonb_set(payload, '{currency}', '\"NOPE\"') "
        + "WHERE stream_id = 'account-1002' AND version = 1");

    assertUnreadable(audit("history", "1002"), "account-1002", "version 1");
    assertUnreadable(audit("--json", "history", "1002"), "account-1002", "version 1");
    assertUnreadable(audit("as-of", "1002", "--version", "1"), "account-1002", "version 1");
  }

  @Test
  @Order(12)
  void anchor_of_a_store_with_an_invalid_stream_row_exits_with_4_naming_the_row(@TempDir Path dir)
      throws Exception {
    Path file = dir.resolve("anchor.jsonl");
    tamper("INSERT INTO ${schema}.streams SELECT (jsonb_populate_record(NULL::${schema}.streams, "
        + "to_jsonb(s) || '{\"stream_id\": \"account-bad id\"}')).* FROM ${schema}.streams s "
        + "WHERE stream_id = 'account-1001'");
    assertUnreadable(audit("anchor", file.toString()), "account-bad id", "not valid", "run verify");
    tamper("DELETE FROM ${schema}.streams WHERE stream_id = 'account-bad id'");

    tamper("UPDATE ${schema}.streams SET head_hash = '\\x0102'::bytea WHERE stream_id = 'account-1001'");
    assertUnreadable(audit("anchor", file.toString()), "account-1001", "2 bytes, not 32");
    assertThat(Files.exists(file)).isFalse();
  }
}
