package dev.annals.projections;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.annals.testkit.internal.Snippets;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Keeps the Java of docs/projections.md true: every {@code ```java} block there is marked
 * {@code <!-- snippet: NAME -->} and equals the region tagged NAME in ProjectionsGuideIT, which
 * compiles and runs against the real database.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ProjectionsGuideTest {

  static final String GUIDE = "docs/projections.md";
  static final String SOURCES = "es-projections/src/test/java/dev/annals/projections/docs";

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
    assertThat(Snippets.unmarkedJavaBlocks(guide()))
        .as("lines of %s with a ```java block not preceded by <!-- snippet: NAME -->", GUIDE)
        .isEmpty();
    // Guards against a wrong path or marker format making the checks above pass vacuously.
    assertThat(Snippets.blocks(guide(), "snippet")).hasSizeGreaterThanOrEqualTo(13);
  }
}
