package dev.annals.opentelemetry.docs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.annals.testkit.internal.Snippets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Keeps docs/observability.md true: its Java blocks equal the tagged regions of
 * {@link ObservabilityGuideExamples}, its metrics table names exactly the meters es-micrometer
 * registers, and its span table exactly the attributes es-opentelemetry sets.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ObservabilityGuideTest {

  static final String GUIDE = "docs/observability.md";
  static final String SOURCES = "es-opentelemetry/src/test/java/dev/annals/opentelemetry/docs";

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
    assertThat(Snippets.unmarkedJavaBlocks(guide())).as("unmarked ```java blocks of %s", GUIDE).isEmpty();
    assertThat(Snippets.blocks(guide(), "snippet")).hasSizeGreaterThanOrEqualTo(2);
  }

  @Test
  void the_metrics_table_names_every_meter_of_es_micrometer_and_no_other() throws IOException {
    Set<String> inCode = literals("es-micrometer/src/main/java/dev/annals/micrometer", "\"(annals\\.[a-z.]+)\"");
    Set<String> inTable = tableNames("`(annals\\.[a-z.]+)` \\| (?:timer|counter|gauge|summary|function counter) \\|");
    assertThat(inCode).hasSizeGreaterThanOrEqualTo(15);
    assertThat(inTable).as("meter names in the guide's metrics table").isEqualTo(inCode);
  }

  @Test
  void the_attribute_table_names_every_span_attribute_of_es_opentelemetry() throws IOException {
    Set<String> inCode = literals("es-opentelemetry/src/main/java/dev/annals/opentelemetry",
        "Key\\(\"([a-z_.]+)\"\\)");
    assertThat(inCode).hasSizeGreaterThanOrEqualTo(10);
    assertThat(tableNames("`([a-z_.]+)`")).as("names in the first column of the guide's tables").containsAll(inCode);
  }

  private static Set<String> literals(String dir, String regex) throws IOException {
    Set<String> found = new TreeSet<>();
    Pattern p = Pattern.compile(regex);
    try (Stream<Path> files = Files.list(Snippets.root().resolve(dir))) {
      for (Path f : files.filter(f -> f.toString().endsWith(".java")).toList()) {
        Matcher m = p.matcher(Files.readString(f));
        while (m.find()) {
          found.add(m.group(1));
        }
      }
    }
    return found;
  }

  /** Names in backquotes at the start of a table row. */
  private static Set<String> tableNames(String regex) throws IOException {
    Set<String> found = new TreeSet<>();
    Pattern p = Pattern.compile("^\\| " + regex);
    for (String line : Files.readAllLines(guide())) {
      Matcher m = p.matcher(line);
      if (m.find()) {
        found.add(m.group(1));
      }
    }
    return found;
  }
}
