package dev.annals.bank;

import java.util.Currency;

/** What a customer or teller asks of an {@link Account}. Commands are not stored; their events are. */
sealed interface AccountCommand {

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
}
