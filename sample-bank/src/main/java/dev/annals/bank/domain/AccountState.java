package dev.annals.bank.domain;

import java.util.Objects;

/**
 * An account as its events leave it. Immutable, as the repository's cache requires. Written to
 * snapshots as JSON, so it has no {@code get}/{@code is} methods beyond its components.
 *
 * @param status where the account is in its life
 * @param owner null only while {@link Status#NONE}
 * @param balance null only while {@link Status#NONE}
 * @param overdraftLimit null only while {@link Status#NONE}
 */
public record AccountState(Status status, String owner, Money balance, Money overdraftLimit) {

  /** Where an account is in its life. */
  public enum Status {
    /** Not opened yet: the stream has no events. */
    NONE,
    /** Open: money moves in and out by the account's rules. */
    OPEN,
    /** Open, but no money moves in or out until unfrozen (refunds excepted). */
    FROZEN,
    /** Closed at a zero balance: refuses everything. */
    CLOSED,
    /**
     * This period's books are closed ({@link AccountEvent.YearClosed}): the balance went on to the
     * account's next stream, and this one refuses everything.
     */
    CARRIED_FORWARD
  }

  /** The state of an account with no events. */
  static final AccountState NONE = new AccountState(Status.NONE, null, null, null);

  /**
   * @throws NullPointerException if {@code status} is null, or {@code owner}, {@code balance} or
   *     {@code overdraftLimit} is null while the account is not {@link Status#NONE}
   */
  public AccountState {
    Objects.requireNonNull(status, "status must not be null");
    if (status != Status.NONE) {
      Objects.requireNonNull(owner, "owner must not be null");
      Objects.requireNonNull(balance, "balance must not be null");
      Objects.requireNonNull(overdraftLimit, "overdraftLimit must not be null");
    }
  }

  AccountState withBalance(Money value) {
    return new AccountState(status, owner, value, overdraftLimit);
  }

  AccountState closed() {
    return new AccountState(Status.CLOSED, owner, balance, overdraftLimit);
  }

  AccountState withStatus(Status value) {
    return new AccountState(value, owner, balance, overdraftLimit);
  }

  /** How much can still be withdrawn: the balance plus the overdraft limit. */
  Money available() {
    return balance.plus(overdraftLimit);
  }
}
