package dev.annals.bank.domain;

import java.math.BigDecimal;
import java.util.Currency;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * An amount in a currency, kept at the currency's number of decimals ({@code 10} EUR is stored
 * as {@code 10.00}), so two equal amounts are always {@code equals}. May be negative: an
 * overdrawn balance is money too. Amounts in different currencies never mix: arithmetic and
 * comparison across currencies throw.
 *
 * <p>Amounts that come from outside (a request, a command line) go through {@link #parse}, which
 * bounds them: at most {@value #MAX_TEXT_LENGTH} characters, at most {@value #MAX_WHOLE_DIGITS}
 * digits before the decimal point, at most the currency's decimals.
 *
 * @param amount never null; at most as many decimals as the currency has, at most
 *     {@value #MAX_DIGITS} digits before the decimal point
 * @param currency never null; a currency with minor units (not XAU, XXX and the like)
 */
public record Money(BigDecimal amount, Currency currency) implements Comparable<Money> {

  /** Most digits before the decimal point of a parsed amount: 999 999 999 999 and its decimals at most. */
  public static final int MAX_WHOLE_DIGITS = 12;
  /** Longest text {@link #parse} reads, surrounding spaces excluded. */
  public static final int MAX_TEXT_LENGTH = 32;
  /**
   * Most digits before the decimal point any amount may have: as many as PostgreSQL's
   * {@code numeric} holds, so that every amount ever stored can be read back, and few enough that
   * no scaling builds a number bigger than a few dozen kilobytes.
   */
  public static final int MAX_DIGITS = 131_072;

  /** A decimal number in ASCII digits; an exponent is allowed and read without being expanded. */
  private static final Pattern DECIMAL = Pattern.compile("[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?");
  /** How much of a bad amount a message shows. */
  private static final int SHOWN = 40;

  /**
   * @throws BadAmount if the amount has more decimals than the currency or more than
   *     {@value #MAX_DIGITS} digits before the decimal point
   * @throws IllegalArgumentException if the currency has no minor unit
   */
  public Money {
    Objects.requireNonNull(amount, "amount must not be null");
    Objects.requireNonNull(currency, "currency must not be null");
    int decimals = currency.getDefaultFractionDigits();
    if (decimals < 0) {
      throw new IllegalArgumentException("currency " + currency + " has no minor unit; use a "
          + "currency such as EUR, USD or JPY");
    }
    // Only precision and scale are looked at before the bounds hold: 1E+1000000000 is a small
    // object, its plain form or a rescaled copy is a billion digits.
    if (amount.signum() == 0) {
      amount = BigDecimal.ZERO;
    }
    if (wholeDigits(amount) > MAX_DIGITS) {
      throw new BadAmount("amount " + shown(amount) + " has more than " + MAX_DIGITS
          + " digits before the decimal point");
    }
    // Stripping zeros can lower the scale by at most precision - 1; beyond that no need to try.
    if ((long) amount.scale() - amount.precision() + 1 > decimals
        || amount.stripTrailingZeros().scale() > decimals) {
      throw new BadAmount("amount " + shown(amount) + " has more decimals than " + currency + " allows ("
          + decimals + ")");
    }
    amount = amount.stripTrailingZeros().setScale(decimals);
  }

  /**
   * The amount written in {@code text} (such as {@code "12.50"} or {@code "1.5e3"}), in
   * {@code currency}, within the bounds of the class description; spaces around it are ignored.
   *
   * @throws BadAmount if the text is not such an amount; the message shows at most
   *     {@value #MAX_TEXT_LENGTH} characters of it
   * @throws IllegalArgumentException if the currency has no minor unit
   */
  public static Money parse(String text, Currency currency) {
    Objects.requireNonNull(text, "amount must not be null");
    Objects.requireNonNull(currency, "currency must not be null");
    String trimmed = text.strip();
    if (trimmed.length() > MAX_TEXT_LENGTH) {
      throw new BadAmount("amount '" + shown(trimmed) + "' is " + trimmed.length() + " characters long; at most "
          + MAX_TEXT_LENGTH + " are read");
    }
    if (!DECIMAL.matcher(trimmed).matches()) {
      throw new BadAmount("amount '" + shown(trimmed) + "' is not a decimal number such as \"12.50\"");
    }
    BigDecimal value;
    try {
      value = new BigDecimal(trimmed);
    } catch (NumberFormatException e) {
      // An exponent beyond the range of int.
      throw new BadAmount("amount '" + trimmed + "' is not a decimal number such as \"12.50\"");
    }
    if (value.signum() != 0 && wholeDigits(value) > MAX_WHOLE_DIGITS) {
      throw new BadAmount("amount '" + trimmed + "' is over the largest amount, " + largest(currency));
    }
    return new Money(value, currency);
  }

  /**
   * {@code amount} (such as {@code "12.50"}) in the currency with ISO code {@code currency}; see
   * {@link #parse}.
   *
   * @throws IllegalArgumentException if the currency code is unknown or the amount is bad
   */
  public static Money of(String amount, String currency) {
    return parse(amount, Currency.getInstance(currency));
  }

  /** Zero in {@code currency}. */
  public static Money zero(Currency currency) {
    return new Money(BigDecimal.ZERO, currency);
  }

  /** The largest amount {@link #parse} accepts in {@code currency}, such as {@code 999999999999.99 EUR}. */
  public static Money largest(Currency currency) {
    int decimals = Math.max(0, currency.getDefaultFractionDigits());
    return new Money(new BigDecimal("9".repeat(MAX_WHOLE_DIGITS) + (decimals == 0 ? "" : "." + "9".repeat(decimals))),
        currency);
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

  /** Digits before the decimal point (0 for 0.5), from precision and scale alone. */
  private static long wholeDigits(BigDecimal value) {
    return Math.max(0, (long) value.precision() - value.scale());
  }

  /** The amount in scientific or plain form, whichever BigDecimal picks, cut to a few dozen characters. */
  private static String shown(BigDecimal value) {
    return shown(value.toString());
  }

  private static String shown(String text) {
    return text.length() > SHOWN ? text.substring(0, SHOWN) + "..." : text;
  }

  /** An amount that is not money in its currency: not a number, too large, or too finely divided. */
  public static final class BadAmount extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    BadAmount(String message) {
      super(message);
    }
  }
}
