package dev.annals.bank.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
}
