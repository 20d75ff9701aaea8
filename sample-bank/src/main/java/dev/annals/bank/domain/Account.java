package dev.annals.bank.domain;

import dev.annals.bank.domain.AccountCommand.Close;
import dev.annals.bank.domain.AccountCommand.CloseYear;
import dev.annals.bank.domain.AccountCommand.CreditFromTransfer;
import dev.annals.bank.domain.AccountCommand.DebitForTransfer;
import dev.annals.bank.domain.AccountCommand.Deposit;
import dev.annals.bank.domain.AccountCommand.Freeze;
import dev.annals.bank.domain.AccountCommand.Open;
import dev.annals.bank.domain.AccountCommand.RecordWithdrawalRefused;
import dev.annals.bank.domain.AccountCommand.RefundTransfer;
import dev.annals.bank.domain.AccountCommand.Unfreeze;
import dev.annals.bank.domain.AccountCommand.Withdraw;
import dev.annals.bank.domain.AccountEvent.BalanceCarriedForward;
import dev.annals.bank.domain.AccountEvent.Closed;
import dev.annals.bank.domain.AccountEvent.Deposited;
import dev.annals.bank.domain.AccountEvent.Frozen;
import dev.annals.bank.domain.AccountEvent.Opened;
import dev.annals.bank.domain.AccountEvent.TransferCredited;
import dev.annals.bank.domain.AccountEvent.TransferDebited;
import dev.annals.bank.domain.AccountEvent.TransferRefunded;
import dev.annals.bank.domain.AccountEvent.Unfrozen;
import dev.annals.bank.domain.AccountEvent.WithdrawalRefused;
import dev.annals.bank.domain.AccountEvent.Withdrawn;
import dev.annals.bank.domain.AccountEvent.YearClosed;
import dev.annals.bank.domain.AccountState.Status;
import dev.annals.core.AggregateType;
import dev.annals.core.Decider;
import dev.annals.core.DomainException;
import dev.annals.core.EventRegistry;
import dev.annals.core.PersonalData;
import dev.annals.core.Upcaster;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * A bank account as a pure decider: {@link #decide} turns a command and the current state into
 * events or refuses it with a {@link DomainException}; {@link #evolve} folds events into state.
 * No I/O and no clock, so the rules are tested without a store (see {@code AccountTest}).
 *
 * <p>Rules: an account is opened once; deposits and withdrawals must be positive amounts in the
 * account's currency; a withdrawal may take the balance down to minus the overdraft limit the
 * account was opened with, no further; an account can be closed only at a zero balance, and a
 * closed account refuses everything. A frozen account refuses deposits, withdrawals, transfers
 * and closing until it is unfrozen. Transfers move money as a debit here and a credit there,
 * run by {@link TransferProcess}; a refund of a transfer whose credit was refused is the one
 * movement no state refuses, so that compensation always completes. A withdrawal refused for want
 * of funds may be recorded as {@link WithdrawalRefused}, which changes nothing but lets readers of
 * the log (fraud detection) see it.
 */
public final class Account {

  /** How far below zero a new account may go, in units of its currency. */
  static final BigDecimal OVERDRAFT_LIMIT = new BigDecimal("100");

  /**
   * Stable names for the account events; renaming a class must not change them. A store that
   * holds transfers too needs {@link BankEvents#REGISTRY}.
   */
  public static final EventRegistry REGISTRY = registerEvents(EventRegistry.builder()).build();

  static final Decider<AccountCommand, AccountState, AccountEvent> DECIDER =
      Decider.of(() -> AccountState.NONE, Account::evolve, Account::decide);

  /**
   * Streams {@code account-<id>}, with a snapshot every 100 events; after the books of a year are
   * closed the account carries on in {@code account-<id>.<next year>} (see {@link #periodStream}).
   */
  public static final AggregateType<AccountCommand, AccountState, AccountEvent> TYPE =
      AggregateType.builder("account", AccountEvent.class, DECIDER)
          .snapshots(AccountState.class, 1)
          .snapshotEvery(100)
          .build();

  /** What an owner's name reads as once the customer is forgotten. */
  public static final String ERASED = "[erased]";

  private Account() {}

  /**
   * The customer id of an account owner. The sample bank has no customer register, so it derives
   * a pseudonym from the name (the first 16 hex digits of a SHA-256); a real bank uses its
   * customer numbers. Accounts opened for the same name belong to the same customer.
   */
  public static String customerOf(String owner) {
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256")
          .digest(("annals-bank customer:" + owner).getBytes(StandardCharsets.UTF_8));
      return "c-" + HexFormat.of().formatHex(hash, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JVM has no SHA-256", e);
    }
  }

  /**
   * The repository id of the account's stream for {@code year}: {@code <account>.<year>}. The
   * account's first stream is plain {@code <account>}; the public account id stays the same.
   */
  public static String periodStream(String account, int year) {
    return account + "." + year;
  }

  /**
   * The public account id of a repository id: {@code 1001} for {@code 1001} and {@code 1001.2027}.
   * An account id should therefore not itself end in a dot and four digits.
   */
  public static String accountOf(String streamId) {
    int dot = streamId.lastIndexOf('.');
    return dot > 0 && streamId.length() - dot == 5 && streamId.substring(dot + 1).chars().allMatch(Character::isDigit)
        ? streamId.substring(0, dot) : streamId;
  }

  /** The year of an account stream's repository id, or 0 for the account's first stream. */
  public static int periodOf(String streamId) {
    String account = accountOf(streamId);
    return account.length() == streamId.length() ? 0 : Integer.parseInt(streamId.substring(account.length() + 1));
  }

  /**
   * The closing event of {@code state}'s books of {@code year}.
   *
   * @throws DomainException if the account is not open, is frozen or its books are closed already
   */
  public static YearClosed closeYear(AccountState state, int year) {
    return (YearClosed) decide(new CloseYear(year), state).get(0);
  }

  /** Adds the account events under their stable names to {@code builder}. */
  static EventRegistry.Builder registerEvents(EventRegistry.Builder builder) {
    return builder
        // v2 names the owner's customer id and keeps the name encrypted under that customer's key.
        .register(Opened.class, "AccountOpened", 2,
            PersonalData.of(Opened::customer, "/owner").erasedAs("/owner", ERASED))
        .upcaster(Upcaster.of("AccountOpened", 1,
            json -> json.put("customer", customerOf(json.path("owner").asText()))))
        .register(Deposited.class, "MoneyDeposited")
        .register(Withdrawn.class, "MoneyWithdrawn")
        .register(Closed.class, "AccountClosed")
        .register(Frozen.class, "AccountFrozen")
        .register(Unfrozen.class, "AccountUnfrozen")
        .register(WithdrawalRefused.class, "WithdrawalRefused")
        .register(TransferDebited.class, "TransferDebited")
        .register(TransferCredited.class, "TransferCredited")
        .register(TransferRefunded.class, "TransferRefunded")
        .register(YearClosed.class, "YearClosed")
        .register(BalanceCarriedForward.class, "BalanceCarriedForward");
  }

  static List<AccountEvent> decide(AccountCommand command, AccountState state) {
    if (command instanceof Open open) {
      return open(open, state);
    }
    if (command instanceof Deposit deposit) {
      requireActive(state, "deposit");
      checkAmount(state, deposit.amount(), "deposit");
      return List.of(new Deposited(deposit.amount()));
    }
    if (command instanceof Withdraw withdraw) {
      requireActive(state, "withdrawal");
      checkAmount(state, withdraw.amount(), "withdrawal");
      checkFunds(state, withdraw.amount(), "withdrawal");
      return List.of(new Withdrawn(withdraw.amount()));
    }
    if (command instanceof DebitForTransfer debit) {
      requireActive(state, "transfer " + debit.transferId());
      checkAmount(state, debit.amount(), "transfer " + debit.transferId());
      checkFunds(state, debit.amount(), "transfer " + debit.transferId());
      return List.of(new TransferDebited(debit.transferId(), debit.amount(), debit.target()));
    }
    if (command instanceof CreditFromTransfer credit) {
      requireActive(state, "transfer " + credit.transferId() + " in");
      checkAmount(state, credit.amount(), "transfer " + credit.transferId() + " in");
      return List.of(new TransferCredited(credit.transferId(), credit.amount(), credit.source()));
    }
    if (command instanceof RefundTransfer refund) {
      if (state.status() == Status.NONE) {
        throw new NotOpen("refund of transfer " + refund.transferId() + " refused: no account has been opened here");
      }
      checkAmount(state, refund.amount(), "refund of transfer " + refund.transferId());
      return List.of(new TransferRefunded(refund.transferId(), refund.amount(), refund.reason()));
    }
    if (command instanceof Freeze freeze) {
      requireActive(state, "freezing");
      return List.of(new Frozen(freeze.reason() == null || freeze.reason().isBlank() ? "no reason given"
          : freeze.reason()));
    }
    if (command instanceof Unfreeze) {
      requireOpen(state, "unfreezing");
      if (state.status() != Status.FROZEN) {
        throw new NotFrozen("unfreezing refused: account of " + state.owner() + " is not frozen");
      }
      return List.of(new Unfrozen());
    }
    if (command instanceof RecordWithdrawalRefused refused) {
      requireOpen(state, "recording a refused withdrawal");
      checkAmount(state, refused.amount(), "recording a refused withdrawal");
      return List.of(new WithdrawalRefused(refused.amount(), refused.reason()));
    }
    if (command instanceof Close) {
      requireActive(state, "closing");
      if (state.balance().signum() != 0) {
        throw new BalanceNotZero("account of " + state.owner() + " cannot be closed at balance "
            + state.balance() + "; bring it to zero first");
      }
      return List.of(new Closed());
    }
    if (command instanceof CloseYear closeYear) {
      requireActive(state, "closing the books of " + closeYear.year());
      return List.of(new YearClosed(closeYear.year(), state.balance()));
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
    if (event instanceof TransferDebited debited) {
      return state.withBalance(state.balance().minus(debited.amount()));
    }
    if (event instanceof TransferCredited credited) {
      return state.withBalance(state.balance().plus(credited.amount()));
    }
    if (event instanceof TransferRefunded refunded) {
      return state.withBalance(state.balance().plus(refunded.amount()));
    }
    if (event instanceof Frozen) {
      return state.withStatus(Status.FROZEN);
    }
    if (event instanceof Unfrozen) {
      return state.withStatus(Status.OPEN);
    }
    if (event instanceof Closed) {
      return state.closed();
    }
    if (event instanceof WithdrawalRefused) {
      return state;
    }
    if (event instanceof YearClosed) {
      return state.withStatus(Status.CARRIED_FORWARD);
    }
    if (event instanceof BalanceCarriedForward carried) {
      // The name is not carried forward (see BalanceCarriedForward): the state names the customer.
      return new AccountState(Status.OPEN, carried.customer(), carried.balance(), carried.overdraftLimit());
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
    if (state.status() == Status.CARRIED_FORWARD) {
      throw new BooksClosed(operation + " refused: these books are closed, the account carries on in its next "
          + "year's stream");
    }
  }

  /** Open and not frozen. */
  private static void requireActive(AccountState state, String operation) {
    requireOpen(state, operation);
    if (state.status() == Status.FROZEN) {
      throw new AccountFrozen(operation + " refused: account of " + state.owner()
          + " is frozen; unfreeze it first");
    }
  }

  private static void checkFunds(AccountState state, Money amount, String operation) {
    if (amount.compareTo(state.available()) > 0) {
      throw new InsufficientFunds(operation + " of " + amount + " refused: account of "
          + state.owner() + " has balance " + state.balance() + " and overdraft limit "
          + state.overdraftLimit() + ", so " + state.available() + " is available");
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
  public static final class NotOpen extends DomainException {
    private static final long serialVersionUID = 1L;

    NotOpen(String message) {
      super(message);
    }
  }

  /** The command reached a stream whose books are closed; the account carries on in its next stream. */
  public static final class BooksClosed extends DomainException {
    private static final long serialVersionUID = 1L;

    BooksClosed(String message) {
      super(message);
    }
  }

  /** The account is frozen. */
  public static final class AccountFrozen extends DomainException {
    private static final long serialVersionUID = 1L;

    AccountFrozen(String message) {
      super(message);
    }
  }

  /** Unfreezing an account that is not frozen. */
  public static final class NotFrozen extends DomainException {
    private static final long serialVersionUID = 1L;

    NotFrozen(String message) {
      super(message);
    }
  }

  /** An account was opened on this stream before. */
  public static final class AlreadyOpened extends DomainException {
    private static final long serialVersionUID = 1L;

    AlreadyOpened(String message) {
      super(message);
    }
  }

  /** The amount is in another currency than the account's. */
  public static final class WrongCurrency extends DomainException {
    private static final long serialVersionUID = 1L;

    WrongCurrency(String message) {
      super(message);
    }
  }

  /** The amount is missing, zero or negative. */
  public static final class InvalidAmount extends DomainException {
    private static final long serialVersionUID = 1L;

    InvalidAmount(String message) {
      super(message);
    }
  }

  /** The withdrawal would take the balance below minus the overdraft limit. */
  public static final class InsufficientFunds extends DomainException {
    private static final long serialVersionUID = 1L;

    InsufficientFunds(String message) {
      super(message);
    }
  }

  /** Only an account at a zero balance can be closed. */
  public static final class BalanceNotZero extends DomainException {
    private static final long serialVersionUID = 1L;

    BalanceNotZero(String message) {
      super(message);
    }
  }
}
