package dev.annals.bank.domain;

import java.math.BigDecimal;
import java.util.Currency;
import java.util.Objects;

/**
 * An amount in a currency, kept at the currency's number of decimals ({@code 10} EUR is stored
 * as {@code 10.00}), so two equal amounts are always {@code equals}. May be negative: an
 * overdrawn balance is money too. Amounts in different currencies never mix: arithmetic and
 * comparison across currencies throw.
 *
 * @param amount never null; at most as many decimals as the currency has
 * @param currency never null; a currency with minor units (not XAU, XXX and the like)
 */
public record Money(BigDecimal amount, Currency currency) implements Comparable<Money> {

  /**
   * @throws IllegalArgumentException if the amount has more decimals than the currency
   */
  public Money {
    Objects.requireNonNull(amount, "amount must not be null");
    Objects.requireNonNull(currency, "currency must not be null");
    int decimals = currency.getDefaultFractionDigits();
    if (decimals < 0) {
      throw new IllegalArgumentException("currency " + currency + " has no minor unit; use a "
          + "currency such as EUR, USD or JPY");
    }
    if (amount.stripTrailingZeros().scale() > decimals) {
      throw new IllegalArgumentException("amount " + amount.toPlainString() + " has more decimals than "
          + currency + " allows (" + decimals + ")");
    }
    amount = amount.setScale(decimals);
  }

  /** {@code amount} (such as {@code "12.50"}) in the currency with ISO code {@code currency}. */
  public static Money of(String amount, String currency) {
    return new Money(new BigDecimal(amount), Currency.getInstance(currency));
  }

  /** Zero in {@code currency}. */
  public static Money zero(Currency currency) {
    return new Money(BigDecimal.ZERO, currency);
  }

  /** This plus {@code other}, which must be in the same currency. */
  public Money plus(Money other) {
    return new Money(amount.add(sameCurrency(other).amount), currency);
  }

  Money minus(Money other) {
    return new Money(amount.subtract(sameCurrency(other).amount), currency);
  }

  /** The same amount with the opposite sign. */
  public Money negate() {
    return new Money(amount.negate(), currency);
  }

  /** -1, 0 or 1 as the amount is negative, zero or positive. */
  int signum() {
    return amount.signum();
  }

  @Override
  public int compareTo(Money other) {
    return amount.compareTo(sameCurrency(other).amount);
  }

  /** For example {@code 12.50 EUR}. */
  @Override
  public String toString() {
    return amount.toPlainString() + " " + currency.getCurrencyCode();
  }

  private Money sameCurrency(Money other) {
    if (!currency.equals(other.currency)) {
      throw new IllegalArgumentException("cannot combine " + this + " with " + other
          + ": different currencies");
    }
    return other;
  }
}
