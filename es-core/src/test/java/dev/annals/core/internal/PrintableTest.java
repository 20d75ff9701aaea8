package dev.annals.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class PrintableTest {

  @Test
  void a_long_value_is_cut_and_says_how_long_it_was() {
    assertThat(Printable.cut("x".repeat(100), 10)).isEqualTo("xxxxxxxxxx...(100 chars)");
    assertThat(Printable.cut("short", 10)).isEqualTo("short");
    assertThat(Printable.cut(null, 10)).isEqualTo("null");
  }

  @Test
  void control_and_format_characters_and_lone_surrogates_are_escaped_but_whole_pairs_kept() {
    assertThat(Printable.cut("a\nb\u0000c\u202ed\ud800e\ud83d\ude00", 60))
        .isEqualTo("a\\u000ab\\u0000c\\u202ed\\ud800e\ud83d\ude00");
  }
}
