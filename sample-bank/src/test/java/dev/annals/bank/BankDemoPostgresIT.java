package dev.annals.bank;

import static org.assertj.core.api.Assertions.assertThat;

import dev.annals.bank.domain.Money;
import dev.annals.bank.domain.TransferState;
import dev.annals.bank.views.BalancesProjection;
import dev.annals.testkit.PostgresTestDatabase;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class BankDemoPostgresIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  @Test
  void a_run_with_transfers_settles_conserves_money_and_its_read_models_agree_with_the_log() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    BankDemo.Outcome outcome;
    Map<String, Money> projected;
    // As BankMain on the local server: the schema made anew, owned by the owner role, the demo
    // running as the application role.
    try (BankStorage storage = BankStorage.postgres(db.jdbcUrl(), db.schema(), true,
            BankStorage.Access.SEPARATE_ROLES);
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
      outcome = BankDemo.run(new BankDemo.Settings(300, 3, 40, 7), storage, out);
      projected = BalancesProjection.read(storage.store());
    }
    String output = bytes.toString(StandardCharsets.UTF_8);

    assertThat(outcome.ok()).as(output).isTrue();
    assertThat(outcome.settled()).isTrue();
    assertThat(outcome.audit().conserved()).isTrue();
    assertThat(outcome.audit().atRest()).isTrue();
    assertThat(outcome.accepted() + outcome.refused() + outcome.gaveUp())
        .as("every command is accounted for").isEqualTo(300);
    assertThat(outcome.transfers().keySet()).allMatch(TransferState.Status::isFinal);
    assertThat(outcome.transfers()).containsKey(TransferState.Status.COMPLETED);
    assertThat(projected).containsOnlyKeys("1001", "1002", "1003", "1004", "2001", "2002", "2003");

    assertThat(output.lines().findFirst()).hasValueSatisfying(first -> assertThat(first)
        .contains("PostgreSQL event and snapshot stores").endsWith("schema " + db.schema()
            + ", installed as role annals_bank_owner, running as role annals_bank_app"));
    assertThat(output)
        .contains("100%  300/300")
        .contains("Resent command 'resend-demo': replayed, nothing written")
        .contains("Domain error, nothing written: withdrawal of 1000000.00 EUR refused")
        .contains("Transfer of 25.00 EUR from 1003 to the USD account 2001: COMPENSATED")
        .contains("Snapshots taken: 1001 at v")
        .containsPattern("Account 1001 as of log position [0-9,]+ \\(half-way\\): balance")
        .containsPattern("Projector balances +v2 p0: RUNNING, last handled position [0-9,]+ \\([^)]+\\), 0 events / ")
        .containsPattern("Forgot customer c-[0-9a-f]{16}, owner of 1004 \\(asked by dpo; key destroyed, snapshots of "
            + "account-1004 discarded\\): owner now '\\[erased\\]' loaded, '\\[erased\\]' in the balances view, "
            + "'owner \\[erased\\]' in the statement")
        .containsPattern("Balance of 1004 after forgetting: [0-9.,-]+ EUR \\(unchanged\\); hash chains verify: intact")
        .contains("Money conserved: yes", "Transfers half-applied: none", "Read model agrees with the log: yes")
        .doesNotContain("NOT", ": NO", "DISAGREES", "WRITTEN TWICE", "SOME");
  }

  @Test
  void the_first_line_names_the_database_without_its_password() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    String url = db.jdbcUrl() + (db.jdbcUrl().contains("?") ? "&" : "?") + "password=s3cret-pw";
    try (BankStorage storage = BankStorage.postgres(url, db.newSchema(), false);
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
      BankDemo.run(BankDemo.Settings.of(1, 1, 0, 1), storage, out);
    }
    String output = bytes.toString(StandardCharsets.UTF_8);
    assertThat(output.lines().findFirst()).get().asString().contains("password=***");
    assertThat(output).doesNotContain("s3cret-pw");
  }
}
