package dev.annals.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ValueTypesTest {

  @Test
  void stream_id_string_form_round_trips() {
    StreamId id = StreamId.of("account", "5b2c-9f:x@y.z");
    assertThat(id.toString()).isEqualTo("account-5b2c-9f:x@y.z");
    assertThat(StreamId.parse(id.toString())).isEqualTo(id);
  }

  @Test
  void stream_id_rejects_bad_categories_and_ids_naming_the_value() {
    assertThatThrownBy(() -> StreamId.of("1account", "x")).hasMessageContaining("'1account'");
    assertThatThrownBy(() -> StreamId.of("acc-ount", "x")).hasMessageContaining("'acc-ount'");
    assertThatThrownBy(() -> StreamId.of("", "x")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> StreamId.of("account", "")).hasMessageContaining("''");
    assertThatThrownBy(() -> StreamId.of("account", "a/b")).hasMessageContaining("'a/b'");
    assertThatThrownBy(() -> StreamId.of("account", "a\nb")).hasMessageContaining("a\\u000ab");
    assertThatThrownBy(() -> StreamId.of("a".repeat(51), "x")).hasMessageContaining("50");
    assertThatThrownBy(() -> StreamId.parse("nodash")).hasMessageContaining("category-id");
    assertThatThrownBy(() -> StreamId.of(null, "x")).isInstanceOf(NullPointerException.class);
  }

  @Test
  void stream_id_accepts_exactly_the_documented_ascii_characters() {
    // Every character up to U+00FF, plus non-ASCII letters and digits Character.isLetterOrDigit accepts.
    StringBuilder all = new StringBuilder();
    for (char c = 0; c <= 0xff; c++) {
      all.append(c);
    }
    all.append("\u0663\u00e9\u0416\uff21\u212a");
    Pattern category = Pattern.compile("[A-Za-z][A-Za-z0-9_]*");
    Pattern id = Pattern.compile("[A-Za-z0-9_.:@-]+");
    for (int i = 0; i < all.length(); i++) {
      String c = String.valueOf(all.charAt(i));
      for (String candidate : List.of("a" + c, c + "a", c)) {
        assertThat(accepted(() -> StreamId.of(candidate, "x"))).as("category '%s'", candidate)
            .isEqualTo(category.matcher(candidate).matches());
        assertThat(accepted(() -> StreamId.of("a", candidate))).as("id '%s'", candidate)
            .isEqualTo(id.matcher(candidate).matches());
      }
    }
    assertThat(accepted(() -> StreamId.of("a".repeat(50), "x".repeat(150)))).isTrue();
    assertThat(accepted(() -> StreamId.of("a", "x".repeat(151)))).isFalse();
    assertThat(StreamId.parse("order_2-a-b").id()).isEqualTo("a-b");
  }

  private static boolean accepted(Runnable construction) {
    try {
      construction.run();
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  @Test
  void expected_versions_accept_what_they_say() {
    assertThat(ExpectedVersion.any().isSatisfiedBy(0)).isTrue();
    assertThat(ExpectedVersion.any().isSatisfiedBy(7)).isTrue();
    assertThat(ExpectedVersion.noStream().isSatisfiedBy(0)).isTrue();
    assertThat(ExpectedVersion.noStream().isSatisfiedBy(1)).isFalse();
    assertThat(ExpectedVersion.streamExists().isSatisfiedBy(0)).isFalse();
    assertThat(ExpectedVersion.streamExists().isSatisfiedBy(3)).isTrue();
    assertThat(ExpectedVersion.exactly(3).isSatisfiedBy(3)).isTrue();
    assertThat(ExpectedVersion.exactly(3).isSatisfiedBy(4)).isFalse();
    assertThatThrownBy(() -> ExpectedVersion.exactly(-2)).hasMessageContaining("-2");
  }

  @Test
  void conflict_exception_carries_its_facts_as_fields() {
    StreamId s = StreamId.of("account", "1");
    ConcurrencyConflictException e = new ConcurrencyConflictException(s, ExpectedVersion.exactly(3), 5);
    assertThat(e.streamId()).isEqualTo(s);
    assertThat(e.expected()).isEqualTo(ExpectedVersion.exactly(3));
    assertThat(e.actualVersion()).isEqualTo(5);
    assertThat(e.getMessage()).contains("account-1", "version 5", "version 3");
    assertThat(e.isRetryable()).isTrue();
  }

  @Test
  void metadata_extra_is_immutable_and_sorted() {
    Metadata m = Metadata.empty().with("b", "2").with("a", "1").withActor("bob")
        .withOccurredAt(Instant.EPOCH);
    assertThat(m.extra()).containsExactly(
        java.util.Map.entry("a", "1"), java.util.Map.entry("b", "2"));
    assertThatThrownBy(() -> m.extra().put("c", "3")).isInstanceOf(UnsupportedOperationException.class);
  }
}
