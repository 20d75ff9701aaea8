package dev.annals.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class LogCursorTest {

  @Test
  void the_text_form_round_trips() {
    LogCursor c = new LogCursor(7311, 1042);
    assertThat(c.toString()).isEqualTo("7311:1042");
    assertThat(LogCursor.parse("7311:1042")).isEqualTo(c);
    assertThat(LogCursor.parse(LogCursor.START.toString())).isEqualTo(LogCursor.START);
  }

  @Test
  void cursors_order_by_transaction_then_position() {
    assertThat(new LogCursor(5, 100).isAfter(new LogCursor(4, 900))).isTrue();
    assertThat(new LogCursor(5, 101).isAfter(new LogCursor(5, 100))).isTrue();
    assertThat(new LogCursor(5, 100).isAfter(new LogCursor(5, 100))).isFalse();
    assertThat(new LogCursor(1, 1).isAfter(LogCursor.START)).isTrue();
  }

  @Test
  void bad_text_and_negative_parts_are_refused_with_the_value_named() {
    for (String bad : new String[] {"", "12", ":5", "a:b", "1:2:3"}) {
      assertThatThrownBy(() -> LogCursor.parse(bad)).as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("'" + bad + "'")
          .hasMessageContaining("transactionId:position");
    }
    assertThatThrownBy(() -> LogCursor.parse(null)).hasMessageContaining("'null'");
    assertThatThrownBy(() -> new LogCursor(-1, 0)).hasMessageContaining("(-1, 0)");
    assertThatThrownBy(() -> new LogPartition(3, 3)).hasMessageContaining("3 of 3");
  }
}
