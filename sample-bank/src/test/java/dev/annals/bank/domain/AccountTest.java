package dev.annals.bank.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.annals.bank.domain.AccountCommand.Close;
import dev.annals.bank.domain.AccountCommand.Deposit;
import dev.annals.bank.domain.AccountCommand.Open;
import dev.annals.bank.domain.AccountCommand.Withdraw;
import dev.annals.bank.domain.AccountEvent.Closed;
import dev.annals.bank.domain.AccountEvent.Deposited;
import dev.annals.bank.domain.AccountEvent.Opened;
import dev.annals.bank.domain.AccountEvent.Withdrawn;
import dev.annals.bank.domain.AccountState.Status;
import dev.annals.core.DomainException;
import dev.annals.testkit.AggregateFixture;
import java.util.Currency;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class AccountTest {

  static final Currency EUR = Currency.getInstance("EUR");

  // Built from the AggregateType, so every thenState also checks the state survives a snapshot.
  final AggregateFixture<AccountCommand, AccountState, AccountEvent> account =
      AggregateFixture.of(Account.TYPE, Account.REGISTRY);

  static Money eur(String amount) {
    return Money.of(amount, "EUR");
  }

  static final Opened OPENED = new Opened("alice", EUR, eur("100"));

  static AccountState open(String balance) {
    return new AccountState(Status.OPEN, "alice", eur(balance), eur("100"));
  }

  @Nested
  class Opening {

    @Test
    void records_owner_currency_and_the_overdraft_limit_of_the_day() {
      account.given()
          .when(new Open("alice", EUR))
          .thenEvents(new Opened("alice", EUR, eur("100")))
          .thenState(open("0"));
    }

    @Test
    void an_account_is_opened_only_once() {
      account.given(OPENED)
          .when(new Open("bob", EUR))
          .thenError(Account.AlreadyOpened.class, "already opened here for alice (EUR)");
    }

    @Test
    void a_closed_account_is_not_opened_again() {
      account.given(OPENED, new Closed())
          .when(new Open("alice", EUR))
          .thenError(Account.AlreadyOpened.class, "open alice's under another id");
    }

    @Test
    void an_account_needs_an_owner() {
      account.given()
          .when(new Open("  ", EUR))
          .thenError(DomainException.class, "an account needs an owner, was '  '");
    }
  }

  @Nested
  class Deposits {

    @Test
    void add_to_the_balance() {
      account.given(OPENED, new Deposited(eur("10")))
          .when(new Deposit(eur("25.50")))
          .thenEvents(new Deposited(eur("25.50")))
          .thenState(open("35.50"));
    }

    @Test
    void in_another_currency_are_refused() {
      account.given(OPENED)
          .when(new Deposit(Money.of("5", "USD")))
          .thenError(Account.WrongCurrency.class, "deposit of 5.00 USD refused: account of alice holds EUR");
    }

    @Test
    void of_zero_or_less_are_refused() {
      account.given(OPENED)
          .when(new Deposit(eur("-5")))
          .thenError(Account.InvalidAmount.class, "deposit amount must be positive, was -5.00 EUR");
      account.given(OPENED)
          .when(new Deposit(eur("0")))
          .thenError(Account.InvalidAmount.class, "was 0.00 EUR");
    }

    @Test
    void before_opening_are_refused() {
      account.given()
          .when(new Deposit(eur("5")))
          .thenError(Account.NotOpen.class, "deposit refused: no account has been opened here");
    }

    @Test
    void to_a_closed_account_are_refused() {
      account.given(OPENED, new Closed())
          .when(new Deposit(eur("5")))
          .thenError(Account.NotOpen.class, "deposit refused: account of alice is closed");
    }
  }

  @Nested
  class Withdrawals {

    @Test
    void may_use_the_overdraft_down_to_its_limit() {
      account.given(OPENED, new Deposited(eur("10")))
          .when(new Withdraw(eur("110")))
          .thenEvents(new Withdrawn(eur("110")))
          .thenState(open("-100"));
    }

    @Test
    void beyond_the_overdraft_limit_are_refused_with_the_figures_named() {
      account.given(OPENED, new Deposited(eur("10")))
          .when(new Withdraw(eur("110.01")))
          .thenError(Account.InsufficientFunds.class, "withdrawal of 110.01 EUR refused: account of "
              + "alice has balance 10.00 EUR and overdraft limit 100.00 EUR, so 110.00 EUR is available");
    }

    @Test
    void use_the_limit_recorded_when_the_account_was_opened() {
      account.given(new Opened("alice", EUR, eur("500")))
          .when(new Withdraw(eur("400")))
          .thenEvents(new Withdrawn(eur("400")));
    }

    @Test
    void in_another_currency_or_of_zero_or_less_are_refused() {
      account.given(OPENED, new Deposited(eur("10")))
          .when(new Withdraw(Money.of("1", "USD")))
          .thenError(Account.WrongCurrency.class, "withdrawal of 1.00 USD refused");
      account.given(OPENED, new Deposited(eur("10")))
          .when(new Withdraw(eur("-1")))
          .thenError(Account.InvalidAmount.class, "withdrawal amount must be positive, was -1.00 EUR");
    }

    @Test
    void from_a_closed_account_are_refused() {
      account.given(OPENED, new Closed())
          .when(new Withdraw(eur("1")))
          .thenError(Account.NotOpen.class, "withdrawal refused: account of alice is closed");
    }
  }

  @Nested
  class Closing {

    @Test
    void an_account_at_zero_is_closed() {
      account.given(OPENED, new Deposited(eur("10")), new Withdrawn(eur("10")))
          .when(new Close())
          .thenEvents(new Closed())
          .thenState(new AccountState(Status.CLOSED, "alice", eur("0"), eur("100")));
    }

    @Test
    void an_account_with_money_or_debt_stays_open() {
      account.given(OPENED, new Deposited(eur("10")))
          .when(new Close())
          .thenError(Account.BalanceNotZero.class, "cannot be closed at balance 10.00 EUR");
      account.given(OPENED, new Withdrawn(eur("5")))
          .when(new Close())
          .thenError(Account.BalanceNotZero.class, "cannot be closed at balance -5.00 EUR");
    }

    @Test
    void a_closed_account_is_not_closed_again() {
      account.given(OPENED, new Closed())
          .when(new Close())
          .thenError(Account.NotOpen.class, "closing refused: account of alice is closed");
    }
  }

  @Nested
  class ClosingTheBooks {

    static final AccountEvent.BalanceCarriedForward CARRIED =
        new AccountEvent.BalanceCarriedForward("1001", 2027, "c-1", eur("42.50"), eur("100"));

    @Test
    void a_year_closes_at_its_balance_and_its_stream_refuses_everything_after() {
      account.given(OPENED, new Deposited(eur("42.50")))
          .when(new AccountCommand.CloseYear(2026))
          .thenEvents(new AccountEvent.YearClosed(2026, eur("42.50")))
          .thenState(new AccountState(Status.CARRIED_FORWARD, "alice", eur("42.50"), eur("100")));
      account.given(OPENED, new AccountEvent.YearClosed(2026, eur("0")))
          .when(new Deposit(eur("1")))
          .thenError(Account.BooksClosed.class, "deposit refused: these books are closed");
    }

    @Test
    void a_frozen_account_does_not_close_its_year() {
      account.given(OPENED, new AccountEvent.Frozen("audit"))
          .when(new AccountCommand.CloseYear(2026))
          .thenError(Account.AccountFrozen.class, "closing the books of 2026 refused");
    }

    @Test
    void the_next_year_starts_from_the_balance_brought_forward() {
      account.given(CARRIED)
          .when(new Withdraw(eur("142.50")))
          .thenEvents(new Withdrawn(eur("142.50")))
          .thenState(new AccountState(Status.OPEN, "c-1", eur("-100.00"), eur("100")));
    }

    @Test
    void stream_ids_map_to_the_public_account_id_and_the_year() {
      assertThat(Account.periodStream("1001", 2027)).isEqualTo("1001.2027");
      assertThat(Account.accountOf("1001.2027")).isEqualTo("1001");
      assertThat(Account.periodOf("1001.2027")).isEqualTo(2027);
      assertThat(Account.accountOf("1001")).isEqualTo("1001");
      assertThat(Account.periodOf("1001")).isZero();
      assertThat(Account.accountOf("v1.2")).isEqualTo("v1.2");
      assertThat(Account.accountOf("acc.20x7")).isEqualTo("acc.20x7");
    }
  }

  @Test
  void refusals_are_domain_errors_that_retrying_does_not_fix() {
    Account.InsufficientFunds refused = catchThrowableOfType(Account.InsufficientFunds.class,
        () -> Account.decide(new Withdraw(eur("1000")), open("0")));
    assertThat(refused).isInstanceOf(DomainException.class);
    assertThat(refused.isRetryable()).isFalse();
  }
}
