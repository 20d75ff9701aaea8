package dev.annals.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class AppendOutcomeTest {

  @Test
  void reads_the_five_fields_of_a_written_append() {
    assertThat(PostgresEventStore.appendOutcome("(0,107,8,9000000000,9000000099)"))
        .containsExactly(0, 107, 8, 9_000_000_000L, 9_000_000_099L);
  }

  @Test
  void reads_empty_fields_of_a_conflict_as_zero() {
    assertThat(PostgresEventStore.appendOutcome("(1,3,,,)")).containsExactly(1, 3, 0, 0, 0);
  }

  @Test
  void refuses_anything_else_naming_it() {
    for (String bad : new String[] {"(0,1,1)", "(0,1,1,1,1,1)", "0,1,1,1,1)", "(0,1,x,1,1)", "(0,1,1,1,1"}) {
      assertThatThrownBy(() -> PostgresEventStore.appendOutcome(bad))
          .isInstanceOf(IllegalStateException.class).hasMessageContaining(bad);
    }
  }
}
