package dev.annals.bank.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.annals.bank.domain.Account;
import dev.annals.bank.domain.AccountCommand;
import dev.annals.bank.domain.AccountCommand.Deposit;
import dev.annals.bank.domain.AccountCommand.Open;
import dev.annals.bank.domain.AccountCommand.Withdraw;
import dev.annals.bank.domain.AccountEvent;
import dev.annals.bank.domain.AccountState;
import dev.annals.bank.domain.Money;
import dev.annals.core.AggregateRepository;
import dev.annals.core.InMemoryEventStore;
import java.math.BigDecimal;
import java.util.Currency;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
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
}
