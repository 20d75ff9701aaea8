package dev.annals.bank.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.annals.bank.Bank;
import dev.annals.bank.BankStorage;
import dev.annals.bank.domain.AccountCommand;
import dev.annals.bank.domain.Money;
import dev.annals.core.DomainException;
import dev.annals.testkit.PostgresTestDatabase;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.util.Currency;
import java.util.Map;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The forged balance of issue 14: a database user rewrites an account's snapshot so that it
 * holds 500,000 EUR more than its events do. The bank must not pay out on it, and the auditor
 * must name the snapshot.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ForgedSnapshotIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  @Test
  void a_forged_snapshot_balance_pays_nothing_out_and_verify_names_its_stream_and_version() throws Exception {
    long version;
    try (BankStorage storage = BankStorage.postgres(db.jdbcUrl(), db.schema(), false);
        Bank bank = Bank.start(storage.store(), "forged-snapshot-it")) {
      bank.accounts().handle("3001", new AccountCommand.Open("carol", Currency.getInstance("EUR")));
      bank.accounts().handle("3001", new AccountCommand.Deposit(Money.of("1500.00", "EUR")));
      bank.accounts().handle("3001", new AccountCommand.Withdraw(Money.of("226.11", "EUR")));
      version = bank.accounts().snapshot("3001");
      assertThat(version).isEqualTo(3);

      try (Connection c = db.connect(); Statement st = c.createStatement()) {
        int forged = st.executeUpdate("UPDATE " + db.schema() + ".snapshots SET state = jsonb_set(state, "
            + "'{balance,amount}', '501273.89'::jsonb) WHERE stream_id = 'account-3001' AND version = 3");
        assertThat(forged).isEqualTo(1);
      }
      bank.accounts().evict("3001");

      assertThatThrownBy(() -> bank.accounts().handle("3001",
              new AccountCommand.Withdraw(Money.of("500000.00", "EUR"))))
          .isInstanceOf(DomainException.class);
      assertThat(bank.accounts().load("3001").state().balance()).isEqualTo(Money.of("1273.89", "EUR"));
    }

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int status = AuditMain.run(new String[] {"--schema", db.schema(), "verify"},
        Map.of(BankStorage.URL_VARIABLE, db.jdbcUrl()), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    String report = out.toString(StandardCharsets.UTF_8);
    assertThat(status).as(report).isEqualTo(AuditMain.PROBLEMS);
    assertThat(report)
        .contains("Snapshots: 1 of 1 do NOT match their stream")
        .contains("stream account-3001, version " + version + ": STATE_DIFFERS")
        .contains("Verdict: PROBLEMS FOUND");

    ByteArrayOutputStream json = new ByteArrayOutputStream();
    assertThat(AuditMain.run(new String[] {"--schema", db.schema(), "--json", "verify"},
        Map.of(BankStorage.URL_VARIABLE, db.jdbcUrl()), new PrintStream(json, true, StandardCharsets.UTF_8),
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))).isEqualTo(AuditMain.PROBLEMS);
    JsonNode finding = new ObjectMapper().readTree(json.toString(StandardCharsets.UTF_8))
        .get("snapshots").get("findings").get(0);
    assertThat(finding.get("stream").asText()).isEqualTo("account-3001");
    assertThat(finding.get("version").asLong()).isEqualTo(version);
    assertThat(finding.get("kind").asText()).isEqualTo("STATE_DIFFERS");
  }
}
