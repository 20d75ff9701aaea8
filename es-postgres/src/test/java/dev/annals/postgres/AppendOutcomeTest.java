package dev.annals.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.annals.core.ExpectedVersion;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class AppendOutcomeTest {

  @Test
  void reads_the_five_fields_of_a_written_append() {
    assertThat(AppendSql.outcome("(0,107,8,9000000000,9000000099)")).isEqualTo(new AppendSql.Outcome(
        AppendSql.Status.WRITTEN, 107, 8, 9_000_000_000L, 9_000_000_099L));
  }

  @Test
  void reads_empty_fields_of_a_conflict_as_zero() {
    assertThat(AppendSql.outcome("(1,3,,,)"))
        .isEqualTo(new AppendSql.Outcome(AppendSql.Status.VERSION_CONFLICT, 3, 0, 0, 0));
    assertThat(AppendSql.outcome("(2,3,,,)").status()).isEqualTo(AppendSql.Status.ORDER_CONFLICT);
  }

  @Test
  void refuses_anything_else_naming_it() {
    for (String bad : new String[] {"(0,1,1)", "(0,1,1,1,1,1)", "0,1,1,1,1)", "(0,1,x,1,1)", "(0,1,1,1,1", "(3,1,1,1,1)"}) {
      assertThatThrownBy(() -> AppendSql.outcome(bad))
          .isInstanceOf(IllegalStateException.class).hasMessageContaining(bad);
    }
  }

  @Test
  void encodes_each_expectation_as_the_append_functions_read_it() {
    assertThat(AppendSql.expected(ExpectedVersion.any())).isEqualTo(-1);
    assertThat(AppendSql.expected(ExpectedVersion.streamExists())).isEqualTo(-2);
    assertThat(AppendSql.expected(ExpectedVersion.noStream())).isZero();
    assertThat(AppendSql.expected(ExpectedVersion.exactly(0))).isZero();
    assertThat(AppendSql.expected(ExpectedVersion.exactly(7))).isEqualTo(7);
  }

  @Test
  void takes_the_single_statement_only_for_one_event_at_an_exact_version_of_an_existing_stream() {
    assertThat(AppendSql.singleStatement(1, ExpectedVersion.exactly(3))).isTrue();
    assertThat(AppendSql.singleStatement(2, ExpectedVersion.exactly(3))).isFalse();
    assertThat(AppendSql.singleStatement(1, ExpectedVersion.exactly(0))).isFalse();
    assertThat(AppendSql.singleStatement(1, ExpectedVersion.noStream())).isFalse();
    assertThat(AppendSql.singleStatement(1, ExpectedVersion.any())).isFalse();
    assertThat(AppendSql.singleStatement(1, ExpectedVersion.streamExists())).isFalse();
  }
}
