package dev.annals.bank.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.annals.bank.domain.AccountState;
import dev.annals.bank.domain.AccountState.Status;
import dev.annals.bank.domain.Money;
import java.math.BigDecimal;
import java.util.Currency;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class BalancesAgreementTest {

  private static final Currency EUR = Currency.getInstance("EUR");

  private static final Map<String, AccountState> LOADED = Map.of(
      "1001", open("alice", "30.00"),
      "1002", open("bob", "12.50"));

  private static final MoneyAudit.Report AUDIT = new MoneyAudit.Report(List.of(
      new MoneyAudit.Line(EUR, new BigDecimal("42.50"), new BigDecimal("100.00"), new BigDecimal("57.50"))), 5);

  @Test
  void equal_balances_agree() {
    assertThat(MoneyAudit.balancesAgree(Map.of("1001", Money.of("30", "EUR"), "1002", Money.of("12.5", "EUR")),
        LOADED, AUDIT)).isTrue();
  }

  @Test
  void a_different_balance_a_missing_row_or_another_currency_disagree() {
    assertThat(MoneyAudit.balancesAgree(Map.of("1001", Money.of("30", "EUR"), "1002", Money.of("12.49", "EUR")),
        LOADED, AUDIT)).isFalse();
    assertThat(MoneyAudit.balancesAgree(Map.of("1001", Money.of("30", "EUR")), LOADED, AUDIT)).isFalse();
    assertThat(MoneyAudit.balancesAgree(Map.of("1001", Money.of("30", "EUR"), "1002", Money.of("12.5", "USD")),
        LOADED, AUDIT)).isFalse();
  }

  @Test
  void balances_that_match_the_accounts_but_not_the_log_disagree() {
    MoneyAudit.Report other = new MoneyAudit.Report(List.of(
        new MoneyAudit.Line(EUR, new BigDecimal("42.50"), new BigDecimal("100.00"), new BigDecimal("50.00"))), 5);

    assertThat(MoneyAudit.balancesAgree(Map.of("1001", Money.of("30", "EUR"), "1002", Money.of("12.5", "EUR")),
        LOADED, other)).isFalse();
  }

  private static AccountState open(String owner, String balance) {
    return new AccountState(Status.OPEN, owner, Money.of(balance, "EUR"), Money.of("100", "EUR"));
  }
}
