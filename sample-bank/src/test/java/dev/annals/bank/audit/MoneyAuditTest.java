package dev.annals.bank.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.annals.bank.domain.Account;
import dev.annals.bank.domain.AccountCommand;
import dev.annals.bank.domain.AccountCommand.Deposit;
import dev.annals.bank.domain.AccountCommand.Open;
import dev.annals.bank.domain.AccountCommand.Withdraw;
import dev.annals.bank.domain.AccountEvent;
import dev.annals.bank.domain.AccountState;
import dev.annals.bank.domain.BankEvents;
import dev.annals.bank.domain.Money;
import dev.annals.bank.domain.Transfer;
import dev.annals.bank.domain.TransferCommand;
import dev.annals.bank.domain.TransferEvent;
import dev.annals.bank.domain.TransferState;
import dev.annals.core.AggregateRepository;
import dev.annals.core.InMemoryEventStore;
import java.math.BigDecimal;
import java.util.Currency;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class MoneyAuditTest {

  final InMemoryEventStore store = InMemoryEventStore.create(Account.REGISTRY);
  final AggregateRepository<AccountCommand, AccountState, AccountEvent> bank =
      AggregateRepository.builder(Account.TYPE, store).build();

  @BeforeEach
  void two_accounts_in_two_currencies() {
    bank.handle("e", new Open("eve", Currency.getInstance("EUR")));
    bank.handle("u", new Open("uma", Currency.getInstance("USD")));
    bank.handle("e", new Deposit(Money.of("100", "EUR")));
    bank.handle("e", new Withdraw(Money.of("30.25", "EUR")));
    bank.handle("u", new Withdraw(Money.of("40", "USD")));
  }

  List<AccountState> balances() {
    return List.of(bank.load("e").state(), bank.load("u").state());
  }

  @Test
  void balances_that_match_the_log_conserve_money_in_each_currency() {
    MoneyAudit.Report report = MoneyAudit.check(store, balances());
    assertThat(report.conserved()).isTrue();
    assertThat(report.eventsRead()).isEqualTo(5);
    assertThat(report.lines()).containsExactly(
        new MoneyAudit.Line(Currency.getInstance("EUR"), new BigDecimal("69.75"),
            new BigDecimal("100.00"), new BigDecimal("30.25")),
        new MoneyAudit.Line(Currency.getInstance("USD"), new BigDecimal("-40.00"),
            BigDecimal.ZERO, new BigDecimal("40.00")));
  }

  @Test
  void a_balance_one_cent_off_the_log_is_caught_in_its_currency_only() {
    AccountState e = bank.load("e").state();
    AccountState tampered = new AccountState(e.status(), e.owner(), e.balance().plus(Money.of("0.01", "EUR")),
        e.overdraftLimit());
    MoneyAudit.Report report = MoneyAudit.check(store, List.of(tampered, bank.load("u").state()));
    assertThat(report.conserved()).isFalse();
    assertThat(report.lines()).extracting(l -> l.currency().getCurrencyCode(), MoneyAudit.Line::holds)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("EUR", false),
            org.assertj.core.groups.Tuple.tuple("USD", true));
  }

  @Test
  void a_missing_account_is_caught() {
    MoneyAudit.Report report = MoneyAudit.check(store, List.of(bank.load("e").state()));
    assertThat(report.conserved()).isFalse();
  }

  @Test
  void the_whole_log_is_read_across_pages() {
    for (int i = 0; i < 1500; i++) {
      bank.handle("e", new Deposit(Money.of("0.01", "EUR")));
    }
    MoneyAudit.Report report = MoneyAudit.check(store, balances());
    assertThat(report.eventsRead()).isEqualTo(1505);
    assertThat(report.conserved()).isTrue();
    assertThat(report.lines().get(0).deposited()).isEqualByComparingTo("115.00");
  }

  @Nested
  class Transfers {

    final InMemoryEventStore both = InMemoryEventStore.create(BankEvents.REGISTRY);
    final AggregateRepository<AccountCommand, AccountState, AccountEvent> accounts =
        AggregateRepository.builder(Account.TYPE, both).build();
    final AggregateRepository<TransferCommand, TransferState, TransferEvent> transfers =
        AggregateRepository.builder(Transfer.TYPE, both).build();

    @BeforeEach
    void two_accounts() {
      accounts.handle("a", new Open("ann", Currency.getInstance("EUR")));
      accounts.handle("b", new Open("ben", Currency.getInstance("EUR")));
      accounts.handle("a", new Deposit(Money.of("100", "EUR")));
    }

    /** A transfer of {@code amount} from a to b whose steps are recorded as listed, as the process would. */
    void transfer(String id, String amount, boolean debit, boolean credit, boolean recordCredit) {
      Money money = Money.of(amount, "EUR");
      transfers.handle(id, new TransferCommand.Request("a", "b", money));
      if (debit) {
        accounts.handle("a", new AccountCommand.DebitForTransfer(id, money, "b"));
        transfers.handle(id, new TransferCommand.RecordDebit());
      }
      if (credit) {
        accounts.handle("b", new AccountCommand.CreditFromTransfer(id, money, "a"));
      }
      if (recordCredit) {
        transfers.handle(id, new TransferCommand.RecordCredit());
      }
    }

    MoneyAudit.Report audit() {
      return MoneyAudit.check(both, List.of(accounts.load("a").state(), accounts.load("b").state()));
    }

    @Test
    void finished_and_running_transfers_strand_nothing() {
      transfer("done", "10", true, true, true);
      transfer("running", "5", true, false, false);
      MoneyAudit.Report report = audit();
      assertThat(report.conserved()).isTrue();
      assertThat(report.stranded()).isEmpty();
      assertThat(report.lines().get(0).inTransit()).isEqualByComparingTo("5");
      assertThat(report.eventsRead()).isEqualTo(6);
    }

    @Test
    void money_in_a_transfer_whose_process_finished_is_stranded() {
      // The transfer says completed, but the target's credit is not in its account's events
      // (as when it was cut from the end of the account's stream): money conserved, yet stranded.
      transfer("cut", "10", true, false, true);
      MoneyAudit.Report report = audit();
      assertThat(report.conserved()).isTrue();
      assertThat(report.stranded()).containsExactly(
          new MoneyAudit.Stranded("cut", TransferState.Status.COMPLETED, Money.of("10", "EUR")));
    }

    @Test
    void money_moved_for_a_transfer_that_was_never_requested_is_stranded() {
      accounts.handle("a", new AccountCommand.DebitForTransfer("ghost", Money.of("7", "EUR"), "b"));
      assertThat(audit().stranded()).containsExactly(
          new MoneyAudit.Stranded("ghost", TransferState.Status.NONE, Money.of("7", "EUR")));
    }
  }
}
