package dev.annals.bank;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.annals.postgres.LogCursor;
import dev.annals.projections.ProjectionStatus;
import dev.annals.projections.ProjectorState;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class BankDemoTest {

  @Test
  void settings_are_checked() {
    assertThatThrownBy(() -> new BankDemo.Settings(0, 2, 30, 1)).hasMessage("commands must be 1 or more, was 0");
    assertThatThrownBy(() -> new BankDemo.Settings(10, 17, 30, 1)).hasMessage("threads must be 1 to 16, was 17");
    assertThatThrownBy(() -> new BankDemo.Settings(10, 2, 101, 1)).hasMessage("transfer percent must be 0 to 100, was 101");
  }

  @Test
  void the_command_line_sets_the_workload_over_the_defaults() {
    BankDemo.Settings s = BankMain.parse(new String[] {"--commands", "500", "--transfers", "50", "--threads", "3"});
    assertThat(s).isEqualTo(new BankDemo.Settings(500, 3, 50, 42));
    assertThat(BankMain.parse(new String[0]).commands()).isEqualTo(4_000);
    assertThat(BankMain.parse(new String[] {"--commands", "99999999999"}).commands()).isEqualTo(Integer.MAX_VALUE);
  }

  @Test
  void bad_arguments_are_named() {
    assertThatThrownBy(() -> BankMain.parse(new String[] {"--comands", "5"})).hasMessageContaining("Unknown option")
        .hasMessageContaining("'--comands'");
    assertThatThrownBy(() -> BankMain.parse(new String[] {"--commands"})).hasMessage("Missing required parameter for option '--commands' (N)");
    assertThatThrownBy(() -> BankMain.parse(new String[] {"--threads", "many"}))
        .hasMessage("Invalid value for option '--threads': 'many' is not a whole number");
    assertThatThrownBy(() -> BankMain.parse(new String[] {"--transfers", "-5"}))
        .hasMessage("transfer percent must be 0 to 100, was -5");
    assertThatThrownBy(() -> BankMain.parse(new String[] {"--threads", "99999999999"}))
        .hasMessage("threads must be 1 to 16, was 99999999999");
    assertThatThrownBy(() -> BankMain.parse(new String[] {"--commands", "-99999999999"}))
        .hasMessage("commands must be 1 or more, was -99999999999");
  }

  @Test
  void a_projector_short_of_the_head_with_nothing_left_says_that_the_events_after_it_are_not_its_own() {
    assertThat(BankDemo.projectorLine(status(8_654, 8_711, 0))).isEqualTo("  Projector balances         v1 p0: "
        + "RUNNING, last handled position 8,654 (log head 8,711: the 57 events after it are not its own), "
        + "0 events / 0.00 s behind, 0 dead letters");
    assertThat(BankDemo.projectorLine(status(8_711, 8_711, 0))).contains("last handled position 8,711 (at the log's head)");
    assertThat(BankDemo.projectorLine(status(8_000, 8_711, 300)))
        .contains("last handled position 8,000 (log head 8,711), 300 events / 0.00 s behind");
  }

  private static ProjectionStatus status(long position, long head, long lag) {
    return new ProjectionStatus(new ProjectionStatus.Partition("balances", 1, true, 0, 1),
        new ProjectionStatus.Health(ProjectorState.RUNNING, Optional.empty(), 0),
        new ProjectionStatus.Position(new LogCursor(position, position), head, head, lag, 0),
        new ProjectionStatus.HeldBack(0, Optional.empty()), new ProjectionStatus.Work(position, 0),
        Optional.empty(), Instant.EPOCH);
  }
}
