package dev.annals.bank.streams;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Objects;

/**
 * How much money moved through one account in one window of event time: deposits, withdrawals,
 * transfers in and out and refunds, each counted by its amount (refused withdrawals move nothing
 * and are not counted). The value of the aggregate topics, and what {@link BankStreams#hourly}
 * and {@link BankStreams#hopping} answer.
 *
 * @param account the account's stream id, {@code account-<id>}, the key the bank publishes under
 * @param windowStart inclusive
 * @param windowEnd exclusive
 * @param currency the account's currency (ISO 4217 code)
 * @param amount the sum of the amounts moved, never negative
 * @param movements how many movements made it up
 */
public record MoneyMoved(String account, Instant windowStart, Instant windowEnd, String currency,
    BigDecimal amount, long movements) {

  /**
   * @throws NullPointerException if a component is null
   * @throws IllegalArgumentException if the window ends before it starts, or the amount or count is negative
   */
  public MoneyMoved {
    Objects.requireNonNull(account, "account must not be null");
    Objects.requireNonNull(windowStart, "windowStart must not be null");
    Objects.requireNonNull(windowEnd, "windowEnd must not be null");
    Objects.requireNonNull(currency, "currency must not be null");
    Objects.requireNonNull(amount, "amount must not be null");
    if (windowEnd.isBefore(windowStart)) {
      throw new IllegalArgumentException("window of " + account + " ends at " + windowEnd + ", before its start "
          + windowStart);
    }
    if (amount.signum() < 0 || movements < 0) {
      throw new IllegalArgumentException("money moved through " + account + " cannot be negative, was " + amount
          + " in " + movements + " movements");
    }
  }

  /** The running sum kept per account and window in the state stores. */
  record Sum(String currency, BigDecimal amount, long movements) {

    static final Sum NONE = new Sum("", BigDecimal.ZERO, 0);

    Sum plus(Movement m) {
      return new Sum(m.currency(), amount.add(m.amount()), movements + 1);
    }
  }
}
