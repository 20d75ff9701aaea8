package dev.annals.bank;

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

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class BankDemoPostgresIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  @Test
  void a_small_run_on_postgres_conserves_money_and_its_read_model_agrees_with_the_log() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    BankDemo.Outcome outcome;
    Map<String, Money> projected;
    try (BankStorage storage = BankStorage.postgres(db.jdbcUrl(), db.schema(), false);
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
      outcome = BankDemo.run(new BankDemo.Settings(200, 3, 7), storage, out);
      projected = BalancesProjection.read(storage.postgres().orElseThrow());
    }
    String output = bytes.toString(StandardCharsets.UTF_8);

    assertThat(outcome.audit().conserved()).as(output).isTrue();
    assertThat(outcome.replayMatches()).as(output).isTrue();
    assertThat(outcome.readModelAgrees()).as(output).isEqualTo(Optional.of(true));
    assertThat(outcome.ok()).isTrue();
    assertThat(outcome.accepted() + outcome.refused() + outcome.gaveUp())
        .as("every command is accounted for").isEqualTo(200);
    assertThat(outcome.eventsWritten()).as("one event per accepted command").isEqualTo(outcome.accepted());
    assertThat(projected).containsOnlyKeys("1001", "1002", "1003", "1004", "1005");

    assertThat(output.lines().findFirst()).hasValueSatisfying(first -> assertThat(first)
        .contains("PostgreSQL event and snapshot stores").endsWith("schema " + db.schema()));
    assertThat(output)
        .contains("Money conserved: yes")
        .containsPattern("Projector balances v1: RUNNING, position [0-9,]+ of head [0-9,]+, lag 0 events")
        .contains("Read model agrees with the log: yes")
        .doesNotContain("NOT", ": NO", "DISAGREES", "WRITTEN TWICE");
  }
}
