package dev.annals.bank;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

/** The demo's last resort, an embedded PostgreSQL, runs the whole demo. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class BankDemoEmbeddedIT {

  @Test
  void the_demo_runs_on_an_embedded_postgres_when_no_server_answers() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    BankDemo.Outcome outcome;
    try (BankStorage storage = BankStorage.embedded(BankStorage.DEMO_SCHEMA, "embedded for the test");
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
      outcome = BankDemo.run(new BankDemo.Settings(100, 2, 30, 11), storage, out);
    }
    String output = bytes.toString(StandardCharsets.UTF_8);
    assertThat(output).contains("in an embedded PostgreSQL at jdbc:postgresql://localhost:", "embedded for the test");
    assertThat(outcome.ok()).as(output).isTrue();
  }
}
