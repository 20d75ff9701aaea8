package dev.annals.bank.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.util.Currency;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class MoneyTest {

  @Test
  void amounts_are_kept_at_the_currency_decimals_so_equal_amounts_are_equal() {
    assertThat(Money.of("10", "EUR")).isEqualTo(Money.of("10.000", "EUR"));
    assertThat(Money.of("10", "EUR")).hasToString("10.00 EUR");
    assertThat(Money.of("1E+3", "JPY")).hasToString("1000 JPY");
  }

  @Test
  void more_decimals_than_the_currency_has_are_refused() {
    assertThatThrownBy(() -> Money.of("0.001", "EUR"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("amount 0.001 has more decimals than EUR allows (2)");
    assertThatThrownBy(() -> Money.of("1.5", "JPY")).hasMessageContaining("JPY allows (0)");
  }

  @Test
  void arithmetic_stays_in_one_currency() {
    assertThat(Money.of("10", "EUR").minus(Money.of("12.5", "EUR"))).isEqualTo(Money.of("-2.50", "EUR"));
    assertThat(Money.of("1", "EUR").plus(Money.of("2", "EUR")).negate()).isEqualTo(Money.of("-3", "EUR"));
    assertThatThrownBy(() -> Money.of("1", "EUR").plus(Money.of("1", "USD")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("cannot combine 1.00 EUR with 1.00 USD: different currencies");
    assertThatThrownBy(() -> Money.of("1", "EUR").compareTo(Money.of("1", "USD")))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void parsed_amounts_are_bounded_before_any_arithmetic_so_huge_exponents_are_refused_at_once() {
    Currency eur = Currency.getInstance("EUR");
    for (String text : new String[] {"1e-2147483647", "1e1000000000", "1e200000", "1e-10000000", "1e400",
        "1e2147483648", "1000000000000", "-1000000000000", "0.001"}) {
      assertThatThrownBy(() -> Money.parse(text, eur)).as(text)
          .isInstanceOf(Money.BadAmount.class)
          .satisfies(e -> assertThat(e.getMessage().length()).as("message of %s", text).isLessThan(200));
    }
    assertThat(Money.parse("999999999999.99", eur)).isEqualTo(Money.largest(eur));
    assertThat(Money.parse(" 1.5e3 ", eur)).hasToString("1500.00 EUR");
    assertThat(Money.parse("0e1000000000", eur)).isEqualTo(Money.zero(eur));
    assertThat(Money.largest(Currency.getInstance("JPY"))).hasToString("999999999999 JPY");
  }

  @Test
  void parsing_reads_plain_ascii_decimals_of_bounded_length_only() {
    Currency eur = Currency.getInstance("EUR");
    for (String text : new String[] {"", "ten", "1,5", "0x10", "NaN", "Infinity", "\u0661", "1e", "--1",
        "1".repeat(33)}) {
      assertThatThrownBy(() -> Money.parse(text, eur)).as(text).isInstanceOf(Money.BadAmount.class);
    }
    assertThatThrownBy(() -> Money.parse("9".repeat(5000), eur))
        .hasMessageContaining("5000 characters")
        .satisfies(e -> assertThat(e.getMessage().length()).isLessThan(200));
  }

  @Test
  void the_constructor_refuses_huge_magnitudes_without_expanding_them() {
    Currency eur = Currency.getInstance("EUR");
    assertThatThrownBy(() -> new Money(new BigDecimal("1e1000000000"), eur))
        .isInstanceOf(Money.BadAmount.class)
        .hasMessage("amount 1E+1000000000 has more than 131072 digits before the decimal point");
    assertThat(new Money(new BigDecimal("1e400"), eur).amount().precision()).as("stored before bounds, still read")
        .isEqualTo(403);
    assertThatThrownBy(() -> new Money(new BigDecimal("1e-2147483647"), eur))
        .isInstanceOf(Money.BadAmount.class)
        .hasMessage("amount 1E-2147483647 has more decimals than EUR allows (2)");
    assertThat(new Money(new BigDecimal("0E+1000000000"), eur)).isEqualTo(Money.zero(eur));
  }
}
