package dev.annals.bank;

import dev.annals.bank.AccountCommand.Close;
import dev.annals.bank.AccountCommand.Deposit;
import dev.annals.bank.AccountCommand.Open;
import dev.annals.bank.AccountCommand.Withdraw;
import dev.annals.bank.AccountEvent.Closed;
import dev.annals.bank.AccountEvent.Deposited;
import dev.annals.bank.AccountEvent.Opened;
import dev.annals.bank.AccountEvent.Withdrawn;
import dev.annals.bank.AccountState.Status;
import dev.annals.core.AggregateType;
import dev.annals.core.Decider;
import dev.annals.core.DomainException;
import dev.annals.core.EventRegistry;
import java.math.BigDecimal;
import java.util.List;

/**
 * A bank account as a pure decider: {@link #decide} turns a command and the current state into
 * events or refuses it with a {@link DomainException}; {@link #evolve} folds events into state.
 * No I/O and no clock, so the rules are tested without a store (see {@code AccountTest}).
 *
 * <p>Rules: an account is opened once; deposits and withdrawals must be positive amounts in the
 * account's currency; a withdrawal may take the balance down to minus the overdraft limit the
 * account was opened with, no further; an account can be closed only at a zero balance, and a
 * closed account refuses everything.
 */
final class Account {

  /** How far below zero a new account may go, in units of its currency. */
  static final BigDecimal OVERDRAFT_LIMIT = new BigDecimal("100");

  /** Stable names for the stored events; renaming a class must not change them. */
  static final EventRegistry REGISTRY = EventRegistry.builder()
      .register(Opened.class, "AccountOpened")
      .register(Deposited.class, "MoneyDeposited")
      .register(Withdrawn.class, "MoneyWithdrawn")
      .register(Closed.class, "AccountClosed")
      .build();

  static final Decider<AccountCommand, AccountState, AccountEvent> DECIDER =
      Decider.of(() -> AccountState.NONE, Account::evolve, Account::decide);

  /** Streams {@code account-<id>}, with a snapshot every 100 events. */
  static final AggregateType<AccountCommand, AccountState, AccountEvent> TYPE =
      AggregateType.builder("account", AccountEvent.class, DECIDER)
          .snapshots(AccountState.class, 1)
          .snapshotEvery(100)
          .build();

  private Account() {}

  static List<AccountEvent> decide(AccountCommand command, AccountState state) {
    if (command instanceof Open open) {
      return open(open, state);
    }
    if (command instanceof Deposit deposit) {
      requireOpen(state, "deposit");
      checkAmount(state, deposit.amount(), "deposit");
      return List.of(new Deposited(deposit.amount()));
    }
    if (command instanceof Withdraw withdraw) {
      requireOpen(state, "withdrawal");
      Money amount = withdraw.amount();
      checkAmount(state, amount, "withdrawal");
      if (amount.compareTo(state.available()) > 0) {
        throw new InsufficientFunds("withdrawal of " + amount + " refused: account of "
            + state.owner() + " has balance " + state.balance() + " and overdraft limit "
            + state.overdraftLimit() + ", so " + state.available() + " is available");
      }
      return List.of(new Withdrawn(amount));
    }
    if (command instanceof Close) {
      requireOpen(state, "closing");
      if (state.balance().signum() != 0) {
        throw new BalanceNotZero("account of " + state.owner() + " cannot be closed at balance "
            + state.balance() + "; bring it to zero first");
      }
      return List.of(new Closed());
    }
    throw new IllegalArgumentException("unknown account command " + command);
  }

  static AccountState evolve(AccountState state, AccountEvent event) {
    if (event instanceof Opened opened) {
      return new AccountState(Status.OPEN, opened.owner(), Money.zero(opened.currency()),
          opened.overdraftLimit());
    }
    if (event instanceof Deposited deposited) {
      return state.withBalance(state.balance().plus(deposited.amount()));
    }
    if (event instanceof Withdrawn withdrawn) {
      return state.withBalance(state.balance().minus(withdrawn.amount()));
    }
    if (event instanceof Closed) {
      return state.closed();
    }
    throw new IllegalArgumentException("unknown account event " + event);
  }

  private static List<AccountEvent> open(Open open, AccountState state) {
    if (state.status() != Status.NONE) {
      throw new AlreadyOpened("an account was already opened here for " + state.owner() + " ("
          + state.balance().currency() + "); open " + open.owner() + "'s under another id");
    }
    if (open.owner() == null || open.owner().isBlank()) {
      throw new DomainException("an account needs an owner, was '" + open.owner() + "'");
    }
    if (open.currency() == null) {
      throw new DomainException("an account needs a currency (account of " + open.owner() + ")");
    }
    Money limit = new Money(OVERDRAFT_LIMIT, open.currency());
    return List.of(new Opened(open.owner(), open.currency(), limit));
  }

  private static void requireOpen(AccountState state, String operation) {
    if (state.status() == Status.NONE) {
      throw new NotOpen(operation + " refused: no account has been opened here");
    }
    if (state.status() == Status.CLOSED) {
      throw new NotOpen(operation + " refused: account of " + state.owner() + " is closed");
    }
  }

  private static void checkAmount(AccountState state, Money amount, String operation) {
    if (amount == null) {
      throw new InvalidAmount(operation + " needs an amount");
    }
    if (!amount.currency().equals(state.balance().currency())) {
      throw new WrongCurrency(operation + " of " + amount + " refused: account of " + state.owner()
          + " holds " + state.balance().currency());
    }
    if (amount.signum() <= 0) {
      throw new InvalidAmount(operation + " amount must be positive, was " + amount);
    }
  }

  /** The command needs an open account, and there is none or it is closed. */
  static final class NotOpen extends DomainException {
    private static final long serialVersionUID = 1L;

    NotOpen(String message) {
      super(message);
    }
  }

  /** An account was opened on this stream before. */
  static final class AlreadyOpened extends DomainException {
    private static final long serialVersionUID = 1L;

    AlreadyOpened(String message) {
      super(message);
    }
  }

  /** The amount is in another currency than the account's. */
  static final class WrongCurrency extends DomainException {
    private static final long serialVersionUID = 1L;

    WrongCurrency(String message) {
      super(message);
    }
  }

  /** The amount is missing, zero or negative. */
  static final class InvalidAmount extends DomainException {
    private static final long serialVersionUID = 1L;

    InvalidAmount(String message) {
      super(message);
    }
  }

  /** The withdrawal would take the balance below minus the overdraft limit. */
  static final class InsufficientFunds extends DomainException {
    private static final long serialVersionUID = 1L;

    InsufficientFunds(String message) {
      super(message);
    }
  }

  /** Only an account at a zero balance can be closed. */
  static final class BalanceNotZero extends DomainException {
    private static final long serialVersionUID = 1L;

    BalanceNotZero(String message) {
      super(message);
    }
  }
}
