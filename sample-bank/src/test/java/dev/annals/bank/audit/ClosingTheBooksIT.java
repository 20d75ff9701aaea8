package dev.annals.bank.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.annals.bank.Bank;
import dev.annals.bank.BankStorage;
import dev.annals.bank.domain.Account;
import dev.annals.bank.domain.AccountCommand;
import dev.annals.bank.domain.AccountEvent;
import dev.annals.bank.domain.Money;
import dev.annals.bank.views.BalancesProjection;
import dev.annals.core.BookClosing;
import dev.annals.core.CommandContext;
import dev.annals.core.ExpectedVersion;
import dev.annals.core.Metadata;
import dev.annals.core.NewEvent;
import dev.annals.core.RecordedEvent;
import dev.annals.core.StreamId;
import dev.annals.testkit.PostgresTestDatabase;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Currency;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19's sentence against the real PostgreSQL: after one customer is forgotten and last
 * year's account streams are closed and archived, the auditor's {@code verify} passes, money is
 * conserved, balances are unchanged, the forgotten name is nowhere, and the archive files verify.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ClosingTheBooksIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  private static final Currency EUR = Currency.getInstance("EUR");
  private static final String FORGOTTEN = "Brunhilde Forgettable";
  private static final Duration SETTLE = Duration.ofMinutes(2);

  @TempDir
  Path dir;

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

  private static CommandContext context(String id) {
    return new CommandContext(id, id, "clerk", Map.of());
  }

  private static Map<String, Money> balances(Bank bank) {
    Map<String, Money> balances = new TreeMap<>();
    bank.balances().forEach(b -> balances.put(b.account(), b.balance()));
    return balances;
  }

  @Test
  void forgotten_closed_and_archived_the_bank_still_verifies_and_keeps_its_money() throws Exception {
    String schema = db.schema();
    Map<String, Money> before;
    try (BankStorage storage = BankStorage.postgres(db.jdbcUrl(), schema, false);
        Bank bank = Bank.start(storage.store(), "books-it")) {
      bank.handle("1001", new AccountCommand.Open("Alice Keepable", EUR), context("open-1001"));
      bank.handle("1002", new AccountCommand.Open(FORGOTTEN, EUR), context("open-1002"));
      bank.handle("1003", new AccountCommand.Open("Carol Keepable", EUR), context("open-1003"));
      bank.handle("1001", new AccountCommand.Deposit(Money.of("500.00", "EUR")), context("d1"));
      bank.handle("1002", new AccountCommand.Deposit(Money.of("120.50", "EUR")), context("d2"));
      bank.handle("1003", new AccountCommand.Withdraw(Money.of("30.00", "EUR")), context("w3"));
      bank.transfer("t1", "1001", "1002", Money.of("75.25", "EUR"), context("t1"));
      assertThat(bank.awaitSettled(SETTLE)).isTrue();

      bank.forget(Account.customerOf(FORGOTTEN), "dpo", "erasure request");
      assertThat(bank.awaitSettled(SETTLE)).isTrue();
      before = balances(bank);
      assertThat(before).containsOnlyKeys("1001", "1002", "1003");

      for (String account : List.of("1001", "1002", "1003")) {
        BookClosing.Closed closed = bank.closeYear(account, 2026, context("close-" + account));
        assertThat(closed.opening().streamId()).isEqualTo(StreamId.of("account", account + ".2027"));
        assertThat(bank.currentStream(account)).isEqualTo(account + ".2027");
      }
      // The old stream refuses, the public id goes on in the new year, with the same money.
      assertThatThrownBy(() -> bank.accounts().handle("1001", new AccountCommand.Deposit(Money.of("1", "EUR")),
          context("late"))).isInstanceOf(Account.BooksClosed.class);
      assertThatThrownBy(() -> bank.closeYear("1001", 2025, context("again")))
          .hasMessageContaining("is in 2027 already");
      assertThat(bank.accounts().load("1002.2027").state().balance()).isEqualTo(before.get("1002"));
      bank.transfer("t2", "1002", "1003", Money.of("10.00", "EUR"), context("t2"));
      assertThat(bank.awaitSettled(SETTLE)).isTrue();
      assertThat(balances(bank)).containsOnlyKeys("1001", "1002", "1003")
          .containsEntry("1001", before.get("1001"))
          .containsEntry("1002", before.get("1002").plus(Money.of("-10.00", "EUR")))
          .containsEntry("1003", before.get("1003").plus(Money.of("10.00", "EUR")));
    }

    Path archive = dir.resolve("archive");
    for (String account : List.of("1001", "1002", "1003")) {
      Result archived = audit("archive", "--schema", schema, "--stream", "account-" + account, "--to",
          archive.toString());
      assertThat(archived.status()).as(archived.err()).isZero();
    }

    Result verify = audit("--schema", schema, "verify");
    assertThat(verify.status()).as(verify.out() + verify.err()).isZero();
    assertThat(verify.out()).contains("Account stream 1001 is archived at version",
        "Account stream 1002 is archived at version", "Money conserved: yes", "brought forward from archived years")
        .doesNotContain("cannot be replayed");

    // The balances view rebuilt from what is left of the log (the new years) shows the same money.
    Result rebuild = audit("--schema", schema, "rebuild", "balances");
    assertThat(rebuild.status()).as(rebuild.err()).isZero();
    try (BankStorage storage = BankStorage.postgres(db.jdbcUrl(), schema, false);
        Bank bank = Bank.start(storage.store(), "books-it-2")) {
      assertThat(bank.awaitSettled(SETTLE)).isTrue();
      Map<String, Money> after = balances(bank);
      assertThat(after.get("1001")).isEqualByComparingTo(before.get("1001"));
      assertThat(after.get("1002")).isEqualByComparingTo(before.get("1002").plus(Money.of("-10.00", "EUR")));
      assertThat(bank.balances()).noneMatch(b -> b.owner().contains("Brunhilde"));
      RecordedEvent first = storage.store().readStream(StreamId.of("account", "1002.2027"), 1, 1).get(0);
      assertThat(BookClosing.carriedFrom(first)).contains(StreamId.of("account", "1002"));
      assertThat(first.payload()).isInstanceOf(AccountEvent.BalanceCarriedForward.class);
    }
    Result verifyAgain = audit("--schema", schema, "verify");
    assertThat(verifyAgain.status()).as(verifyAgain.out() + verifyAgain.err()).isZero();

    Result archives = audit("verify-archives", "--schema", schema, "--from", archive.toString());
    assertThat(archives.status()).as(archives.out() + archives.err()).isZero();

    // Erased everywhere: the auditor's output, the export of the log and the archive files.
    Path export = dir.resolve("export.jsonl");
    assertThat(audit("export", "--schema", schema, "-o", export.toString()).status()).isZero();
    Result history = audit("--schema", schema, "history", "1002.2027");
    assertThat(history.status()).as(history.err()).isZero();
    assertThat(verify.out() + verifyAgain.out() + history.out() + Files.readString(export)).doesNotContain("Brunhilde");
    try (Stream<Path> files = Files.list(archive)) {
      List<Path> all = files.toList();
      assertThat(all).hasSize(3);
      for (Path file : all) {
        assertThat(Files.readString(file)).doesNotContain("Brunhilde");
      }
    }
  }

  @Test
  void a_forged_balance_brought_forward_fails_verify() {
    String schema = db.newSchema();
    try (BankStorage storage = BankStorage.postgres(db.jdbcUrl(), schema, false);
        Bank bank = Bank.start(storage.store(), "books-forged")) {
      bank.handle("1001", new AccountCommand.Open("Alice Keepable", EUR), context("open"));
      bank.handle("1001", new AccountCommand.Deposit(Money.of("100.00", "EUR")), context("d"));
      bank.closeYear("1001", 2026, context("close"));
      // Money from nowhere: a next year's stream that claims to carry on from 2027, which is not closed.
      storage.store().append(StreamId.of("account", "1001.2028"), ExpectedVersion.noStream(), new NewEvent(
          UUID.randomUUID(), new AccountEvent.BalanceCarriedForward("1001", 2028, Account.customerOf("Alice Keepable"),
              Money.of("1000000.00", "EUR"), Money.of("100", "EUR")),
          Metadata.empty().with(BookClosing.CARRIED_FROM, "account-1001.2027")
              .with(BookClosing.CARRIED_FROM_VERSION, "1")));
      assertThat(bank.awaitSettled(SETTLE)).isTrue();
    }
    Result verify = audit("--schema", schema, "verify");
    assertThat(verify.status()).as(verify.err()).isEqualTo(1);
    assertThat(verify.out()).contains("Account stream 1001.2028 does not carry on its previous year: its balance "
        + "brought forward, 1000000.00 EUR, is not what account-1001.2027 closed with at version 1");
  }
}
