package dev.annals.bank.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class BrowserTest {

  private static final Set<Path> BOTH = Set.of(Browser.CHROMIUM, Browser.CHROMEDRIVER);

  @Test
  void with_chromium_and_its_driver_the_test_runs() {
    assertThat(Browser.skipReason(Map.of(), BOTH::contains)).isEmpty();
    assertThat(Browser.skipReason(Map.of("CI", "true"), BOTH::contains)).isEmpty();
  }

  @Test
  void without_either_it_is_skipped_with_a_one_line_reason() {
    assertThat(Browser.skipReason(Map.of(), Set.of(Browser.CHROMIUM)::contains)).hasValueSatisfying(reason -> {
      assertThat(reason).contains("/usr/bin/chromium", "/usr/bin/chromedriver", "apt-get install").doesNotContain("\n");
    });
    assertThat(Browser.skipReason(Map.of(), Set.of(Browser.CHROMEDRIVER)::contains)).isPresent();
    assertThat(Browser.skipReason(Map.of(), path -> false)).isPresent();
  }

  @Test
  void on_ci_it_runs_even_without_them_so_that_it_fails() {
    assertThat(Browser.skipReason(Map.of("CI", "true"), path -> false)).isEmpty();
    assertThat(Browser.skipReason(Map.of("CI", ""), path -> false)).isEmpty();
  }
}
