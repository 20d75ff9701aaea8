package dev.annals.console.docs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.annals.testkit.internal.Snippets;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Keeps docs/console.md true: its Java blocks equal the tagged regions of
 * {@link ConsoleGuideExamples}, and it shows the screenshots the browser test writes.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ConsoleGuideTest {

  static final String GUIDE = "docs/console.md";
  static final String SOURCES = "es-console/src/test/java/dev/annals/console/docs";

  static Path guide() {
    return Snippets.root().resolve(GUIDE);
  }

  @TestFactory
  Stream<DynamicTest> every_snippet_of_the_guide_equals_its_tagged_region() {
    Map<String, Snippets.Region> regions = Snippets.regions(SOURCES);
    return Snippets.blocks(guide(), "snippet").stream().map(block -> dynamicTest(block.name(),
        () -> Snippets.mismatch(block, regions).ifPresent(problem -> fail(problem))));
  }

  @Test
  void every_java_block_of_the_guide_is_a_checked_snippet() {
    assertThat(Snippets.unmarkedJavaBlocks(guide())).isEmpty();
    assertThat(Snippets.blocks(guide(), "snippet")).hasSizeGreaterThanOrEqualTo(2);
  }

  @Test
  void every_screenshot_the_guide_shows_is_there() throws IOException {
    String doc = Files.readString(guide(), StandardCharsets.UTF_8);
    for (String view : new String[] {"projectors", "dead-letters", "webhooks", "streams", "integrity", "audit"}) {
      String image = "console/" + view + ".png";
      assertThat(doc).contains("](" + image + ")");
      assertThat(Snippets.root().resolve("docs").resolve(image)).isRegularFile();
    }
  }
}
