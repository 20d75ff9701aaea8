package dev.annals.bank.domain;

import dev.annals.bank.domain.AccountCommand.Close;
import dev.annals.bank.domain.AccountCommand.CreditFromTransfer;
import dev.annals.bank.domain.AccountCommand.DebitForTransfer;
import dev.annals.bank.domain.AccountCommand.Deposit;
import dev.annals.bank.domain.AccountCommand.Freeze;
import dev.annals.bank.domain.AccountCommand.RecordWithdrawalRefused;
import dev.annals.bank.domain.AccountCommand.RefundTransfer;
import dev.annals.bank.domain.AccountCommand.Unfreeze;
import dev.annals.bank.domain.AccountCommand.Withdraw;
import dev.annals.bank.domain.AccountEvent.Closed;
import dev.annals.bank.domain.AccountEvent.Deposited;
import dev.annals.bank.domain.AccountEvent.Frozen;
import dev.annals.bank.domain.AccountEvent.Opened;
import dev.annals.bank.domain.AccountEvent.TransferCredited;
import dev.annals.bank.domain.AccountEvent.TransferDebited;
import dev.annals.bank.domain.AccountEvent.TransferRefunded;
import dev.annals.bank.domain.AccountEvent.Unfrozen;
import dev.annals.bank.domain.AccountEvent.WithdrawalRefused;
import dev.annals.bank.domain.AccountState.Status;
import dev.annals.testkit.AggregateFixture;
import java.util.Currency;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Freezing and the account's side of transfers, as given-when-then. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class AccountMovementsTest {

  static final Currency EUR = Currency.getInstance("EUR");
  static final Opened OPENED = new Opened("alice", EUR, eur("100"));

  final AggregateFixture<AccountCommand, AccountState, AccountEvent> account =
      AggregateFixture.of(Account.TYPE, Account.REGISTRY);

  static Money eur(String amount) {
    return Money.of(amount, "EUR");
  }

  static AccountState state(Status status, String balance) {
    return new AccountState(status, "alice", eur(balance), eur("100"));
  }

  @Nested
  class Freezing {

    @Test
    void freezes_with_a_reason_and_unfreezes() {
      account.given(OPENED)
          .when(new Freeze("lost card"))
          .thenEvents(new Frozen("lost card"))
          .thenState(state(Status.FROZEN, "0"));
      account.given(OPENED, new Frozen("lost card"))
          .when(new Unfreeze())
          .thenEvents(new Unfrozen())
          .thenState(state(Status.OPEN, "0"));
    }

    @Test
    void a_frozen_account_refuses_money_in_and_out_and_closing() {
      account.given(OPENED, new Deposited(eur("10")), new Frozen("fraud check"))
          .when(new Withdraw(eur("5")))
          .thenError(Account.AccountFrozen.class, "withdrawal refused: account of alice is frozen; unfreeze it first");
      account.given(OPENED, new Frozen("fraud check"))
          .when(new Deposit(eur("5")))
          .thenError(Account.AccountFrozen.class, "deposit refused");
      account.given(OPENED, new Frozen("fraud check"))
          .when(new CreditFromTransfer("t1", eur("5"), "2002"))
          .thenError(Account.AccountFrozen.class, "transfer t1 in refused");
      account.given(OPENED, new Frozen("fraud check"))
          .when(new Close())
          .thenError(Account.AccountFrozen.class, "closing refused");
    }

    @Test
    void unfreezing_an_account_that_is_not_frozen_is_refused() {
      account.given(OPENED)
          .when(new Unfreeze())
          .thenError(Account.NotFrozen.class, "account of alice is not frozen");
    }

    @Test
    void a_closed_account_cannot_be_frozen() {
      account.given(OPENED, new Closed())
          .when(new Freeze("why"))
          .thenError(Account.NotOpen.class, "freezing refused: account of alice is closed");
    }
  }

  @Nested
  class Refused_withdrawals {

    @Test
    void are_recorded_without_moving_money() {
      account.given(OPENED, new Deposited(eur("10")))
          .when(new RecordWithdrawalRefused(eur("500"), "insufficient funds"))
          .thenEvents(new WithdrawalRefused(eur("500"), "insufficient funds"))
          .thenState(state(Status.OPEN, "10"));
    }

    @Test
    void need_an_opened_account_and_its_currency() {
      account.given()
          .when(new RecordWithdrawalRefused(eur("5"), "insufficient funds"))
          .thenError(Account.NotOpen.class, "recording a refused withdrawal refused: no account has been opened here");
      account.given(OPENED)
          .when(new RecordWithdrawalRefused(Money.of("5", "USD"), "insufficient funds"))
          .thenError(Account.WrongCurrency.class, "recording a refused withdrawal of 5.00 USD refused");
    }

    @Test
    void a_frozen_account_refuses_transfers_out_with_a_clear_error() {
      account.given(OPENED, new Deposited(eur("10")), new Frozen("review"))
          .when(new DebitForTransfer("t9", eur("5"), "2002"))
          .thenError(Account.AccountFrozen.class, "transfer t9 refused: account of alice is frozen; unfreeze it first");
    }
  }

  @Nested
  class Transfers {

    @Test
    void a_debit_follows_the_withdrawal_rules() {
      account.given(OPENED, new Deposited(eur("50")))
          .when(new DebitForTransfer("t1", eur("120"), "2002"))
          .thenEvents(new TransferDebited("t1", eur("120"), "2002"))
          .thenState(state(Status.OPEN, "-70"));
      account.given(OPENED, new Deposited(eur("50")))
          .when(new DebitForTransfer("t1", eur("150.01"), "2002"))
          .thenError(Account.InsufficientFunds.class, "transfer t1 of 150.01 EUR refused");
    }

    @Test
    void a_credit_needs_an_open_account_in_the_same_currency() {
      account.given(OPENED)
          .when(new CreditFromTransfer("t1", eur("20"), "1001"))
          .thenEvents(new TransferCredited("t1", eur("20"), "1001"))
          .thenState(state(Status.OPEN, "20"));
      account.given(OPENED)
          .when(new CreditFromTransfer("t1", Money.of("20", "USD"), "1001"))
          .thenError(Account.WrongCurrency.class, "account of alice holds EUR");
      account.given()
          .when(new CreditFromTransfer("t1", eur("20"), "1001"))
          .thenError(Account.NotOpen.class, "no account has been opened here");
    }

    @Test
    void a_refund_lands_even_on_a_frozen_account() {
      account.given(OPENED, new TransferDebited("t1", eur("30"), "2002"), new Frozen("dispute"))
          .when(new RefundTransfer("t1", eur("30"), "target closed"))
          .thenEvents(new TransferRefunded("t1", eur("30"), "target closed"))
          .thenState(state(Status.FROZEN, "0"));
    }
  }
}
