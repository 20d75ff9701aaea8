package dev.annals.bank.streams;

import static org.assertj.core.api.Assertions.assertThat;

import dev.annals.testkit.PostgresTestDatabase;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The stream-processing demo against a real broker and PostgreSQL, and its refusals of bad input. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class StreamsDemoIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  @RegisterExtension
  static final KafkaTestBroker kafka = KafkaTestBroker.create();

  @Test
  void shows_the_alerts_freezing_the_accounts_they_should_and_no_other() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int status;
    try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
      status = StreamsDemo.run(Optional.of(kafka.bootstrapServers()), db.jdbcUrl(), db.newSchema(), out);
    }
    String output = bytes.toString(StandardCharsets.UTF_8);

    assertThat(status).as(output).isZero();
    assertThat(output)
        .contains("  1001: FROZEN by fraud-detection (review: 3 withdrawals refused within")
        .contains("  1002: FROZEN by fraud-detection (review: deposit of 1000.00 EUR followed after")
        .contains("  1003: not frozen")
        .contains("Withdrawal of 1.00 EUR from 1001 now: withdrawal refused: account of alice is frozen")
        .contains("  1003 110.00 EUR in 2 movements, window ")
        .contains("Alerts froze 1001 and 1002 once each, and nothing else: yes");
  }

  @Test
  void refuses_an_unknown_argument_with_status_2_and_one_line() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = StreamsDemo.run(new String[] {"--kafak", "x"}, Map.of(), System.out,
        new PrintStream(err, true, StandardCharsets.UTF_8));

    assertThat(status).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo(
        "StreamsDemo: unexpected argument '--kafak'; usage: StreamsDemo [--kafka HOST:PORT]" + System.lineSeparator());
  }

  @Test
  void says_which_database_it_cannot_use_with_status_2_and_one_line_without_the_password() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = StreamsDemo.run(new String[0],
        Map.of("BANK_DB_URL", "jdbc:postgresql://127.0.0.1:1/test?user=postgres&password=s3cret"), System.out,
        new PrintStream(err, true, StandardCharsets.UTF_8));

    String line = err.toString(StandardCharsets.UTF_8);
    assertThat(status).isEqualTo(2);
    assertThat(line).startsWith("StreamsDemo: cannot use PostgreSQL at jdbc:postgresql://127.0.0.1:1/test")
        .contains("set BANK_DB_URL").doesNotContain("s3cret");
    assertThat(line.lines()).hasSize(1);
  }
}
