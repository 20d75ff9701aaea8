package dev.annals.bank.docs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.annals.bank.Bank;
import dev.annals.bank.BankStorage;
import dev.annals.bank.domain.AccountCommand;
import dev.annals.bank.domain.Money;
import dev.annals.core.BookClosing;
import dev.annals.core.CommandContext;
import dev.annals.core.StreamId;
import dev.annals.postgres.archive.ArchiveSink;
import dev.annals.postgres.archive.StreamArchivedException;
import dev.annals.postgres.archive.StreamArchiver;
import dev.annals.testkit.PostgresTestDatabase;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Currency;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The bank's year-end example of docs/archiving.md, against the real PostgreSQL. */
class BankBooksGuideIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  @Test
  void an_account_closes_its_year_and_last_years_stream_is_archived(@TempDir Path dir) {
    String schema = db.schema();
    DataSource ownerDataSource = db.dataSource();
    try (BankStorage storage = BankStorage.postgres(db.jdbcUrl(), schema, false);
        Bank bank = Bank.start(storage.store(), "guide")) {
      CommandContext context = new CommandContext("year-end-1001", "year-end", "year-end", Map.of());
      bank.handle("1001", new AccountCommand.Open("alice", Currency.getInstance("EUR")),
          new CommandContext("open", "open", "clerk", Map.of()));
      bank.handle("1001", new AccountCommand.Deposit(Money.of("150.50", "EUR")),
          new CommandContext("deposit", "deposit", "clerk", Map.of()));

      // tag::bank-close-year[]
      // account-1001 ends with YearClosed; account-1001.2027 starts with BalanceCarriedForward.
      BookClosing.Closed closed = bank.closeYear("1001", 2026, context);
      // Commands to "1001" now go to account-1001.2027; last year's stream can leave the table.
      StreamArchiver archiver = StreamArchiver.of(ownerDataSource, schema, ArchiveSink.directory(dir));
      archiver.archive(closed.closing().streamId());
      // end::bank-close-year[]

      assertThat(bank.currentStream("1001")).isEqualTo("1001.2027");
      assertThat(bank.accounts().load("1001.2027").state().balance()).isEqualTo(Money.of("150.50", "EUR"));
      assertThat(archiver.find(StreamId.of("account", "1001"))).isPresent();
      try {
        storage.store().readStream(StreamId.of("account", "1001"), 1, 10);
        throw new AssertionError("an archived stream loaded");
      } catch (StreamArchivedException expected) {
        assertThat(expected.location()).contains(dir.toString());
      }
      bank.handle("1001", new AccountCommand.Withdraw(Money.of("50.50", "EUR")),
          new CommandContext("withdraw", "withdraw", "clerk", Map.of()));
      assertThat(bank.awaitSettled(Duration.ofMinutes(2))).isTrue();
      assertThat(bank.balances()).singleElement()
          .satisfies(b -> assertThat(b.balance()).isEqualByComparingTo(Money.of("100.00", "EUR")));
    }
  }
}
