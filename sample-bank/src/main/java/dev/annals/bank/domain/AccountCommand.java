package dev.annals.bank.domain;

import java.util.Currency;

/** What a customer or teller asks of an {@link Account}. Commands are not stored; their events are. */
public sealed interface AccountCommand {

  /** Opens an account for {@code owner} holding money in {@code currency}. */
  record Open(String owner, Currency currency) implements AccountCommand {}

  /** Puts money in; the amount must be positive and in the account's currency. */
  record Deposit(Money amount) implements AccountCommand {}

  /**
   * Takes money out; the amount must be positive, in the account's currency, and leave the
   * balance no lower than minus the overdraft limit.
   */
  record Withdraw(Money amount) implements AccountCommand {}

  /** Closes the account; only an account at a zero balance can be closed. */
  record Close() implements AccountCommand {}

  /**
   * Closes the books of {@code year}: the balance goes on to the account's stream of the next year
   * (see {@link dev.annals.bank.Bank#closeYear}). Refused for a frozen or closed account.
   */
  record CloseYear(int year) implements AccountCommand {}

  /** Stops all movements in and out until {@link Unfreeze}; refunds of failed transfers still land. */
  record Freeze(String reason) implements AccountCommand {}

  /** Lets a frozen account move money again. */
  record Unfreeze() implements AccountCommand {}

  /**
   * Records that a {@link Withdraw} of {@code amount} was refused for want of funds, so that
   * readers of the log (fraud detection) see refusals too. Refused only when no account is open
   * here; sent by the bank after the refusal, not by customers.
   */
  record RecordWithdrawalRefused(Money amount, String reason) implements AccountCommand {}

  /**
   * Takes a transfer's amount out, by the rules of a withdrawal; sent by {@link TransferProcess}.
   *
   * @param target the account the money goes to, for the statement
   */
  record DebitForTransfer(String transferId, Money amount, String target) implements AccountCommand {}

  /**
   * Puts a transfer's amount in; refused when the account is not open or frozen or holds another
   * currency. Sent by {@link TransferProcess}.
   *
   * @param source the account the money comes from, for the statement
   */
  record CreditFromTransfer(String transferId, Money amount, String source) implements AccountCommand {}

  /**
   * Gives back the amount of a transfer whose credit was refused. Compensation cannot be refused
   * by the account's state: the money left this account and must come back.
   */
  record RefundTransfer(String transferId, Money amount, String reason) implements AccountCommand {}
}
