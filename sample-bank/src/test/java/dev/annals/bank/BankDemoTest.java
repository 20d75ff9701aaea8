package dev.annals.bank;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class BankDemoTest {

  @Test
  void a_small_concurrent_run_conserves_money_and_reports_it_briefly() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    BankDemo.Outcome outcome;
    try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
      outcome = BankDemo.run(new BankDemo.Settings(300, 3, 7), out);
    }
    String output = bytes.toString(StandardCharsets.UTF_8);

    assertThat(outcome.audit().conserved()).as(output).isTrue();
    assertThat(outcome.replayMatches()).as(output).isTrue();
    assertThat(outcome.ok()).isTrue();
    assertThat(outcome.accepted() + outcome.refused() + outcome.gaveUp())
        .as("every command is accounted for").isEqualTo(300);
    assertThat(outcome.eventsWritten()).as("one event per accepted command").isEqualTo(outcome.accepted());
    assertThat(outcome.audit().lines()).extracting(l -> l.currency().getCurrencyCode())
        .containsExactly("EUR", "USD");

    assertThat(output)
        .contains("25% 50% 75% 100%")
        .contains("nothing written)")
        .contains("Domain error, nothing written: withdrawal of 1000000.00 EUR refused")
        .contains("Domain error, nothing written: deposit of 5.00 USD refused: account of bob holds EUR")
        .contains("Money conserved: yes")
        .doesNotContain("NOT", "DISAGREES", "WRITTEN TWICE");
    assertThat(output.lines()).hasSizeLessThan(40);
  }

  @Test
  void settings_are_checked() {
    assertThatThrownBy(() -> new BankDemo.Settings(0, 2, 1)).hasMessage("commands must be 1 or more, was 0");
    assertThatThrownBy(() -> new BankDemo.Settings(10, 17, 1)).hasMessage("threads must be 1 to 16, was 17");
  }
}
