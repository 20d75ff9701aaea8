package dev.annals.bank.domain;

import java.util.Currency;

/**
 * What happened to an {@link Account}. Each event is registered in {@link Account#REGISTRY} under
 * a stable name, so these classes can be renamed or moved without touching stored data.
 */
public sealed interface AccountEvent {

  /**
   * The account was opened.
   *
   * @param customer the owner's customer id: the subject of the owner's personal data, which is
   *     stored encrypted with that customer's key (see {@link Account#customerOf})
   * @param owner the owner's name, personal data: {@value Account#ERASED} once the customer is forgotten
   * @param overdraftLimit how far below zero the balance may go, in the account's currency; the
   *     bank's policy when the account was opened, recorded so a later policy change does not
   *     rewrite history
   */
  record Opened(String customer, String owner, Currency currency, Money overdraftLimit) implements AccountEvent {

    /** Opened for {@code owner}, whose customer id is {@link Account#customerOf}{@code (owner)}. */
    public Opened(String owner, Currency currency, Money overdraftLimit) {
      this(Account.customerOf(owner), owner, currency, overdraftLimit);
    }
  }

  /** Money was put in. */
  record Deposited(Money amount) implements AccountEvent {}

  /** Money was taken out. */
  record Withdrawn(Money amount) implements AccountEvent {}

  /** The account was closed at a zero balance. */
  record Closed() implements AccountEvent {}

  /** The account was frozen: nothing moves in or out but refunds. */
  record Frozen(String reason) implements AccountEvent {}

  /** The account was unfrozen. */
  record Unfrozen() implements AccountEvent {}

  /** A withdrawal of {@code amount} was refused for want of funds; no money moved. */
  record WithdrawalRefused(Money amount, String reason) implements AccountEvent {}

  /** A transfer's amount left the account towards {@code target}. */
  record TransferDebited(String transferId, Money amount, String target) implements AccountEvent {}

  /** A transfer's amount arrived from {@code source}. */
  record TransferCredited(String transferId, Money amount, String source) implements AccountEvent {}

  /** A transfer's amount came back because its credit was refused. */
  record TransferRefunded(String transferId, Money amount, String reason) implements AccountEvent {}

  /**
   * The books of {@code year} were closed at {@code balance}: the last event of the account's
   * stream for that year. The balance is not moved out, it is carried forward by
   * {@link BalanceCarriedForward} in the next stream.
   */
  record YearClosed(int year, Money balance) implements AccountEvent {}

  /**
   * The first event of an account's stream for {@code year}: what the previous stream closed with.
   * Not new money: the money audit counts it as brought forward, not deposited.
   *
   * <p>It names the owner by customer id only: the name stays in the account's first stream (and
   * its archive), so a new year copies no personal data and a forgotten customer's books close too.
   *
   * @param account the public account id, which stays the same across years
   */
  record BalanceCarriedForward(String account, int year, String customer, Money balance, Money overdraftLimit)
      implements AccountEvent {}
}
