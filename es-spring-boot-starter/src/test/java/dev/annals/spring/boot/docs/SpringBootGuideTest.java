package dev.annals.spring.boot.docs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.annals.testkit.internal.Snippets;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Keeps docs/spring-boot.md true: every {@code ```java} block there is marked
 * {@code <!-- snippet: NAME -->} and equals the region tagged NAME in this package's compiling
 * examples (which WalletApplicationIT runs), and its properties table names every property the
 * starter's generated metadata lists, and no other.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class SpringBootGuideTest {

  static final String GUIDE = "docs/spring-boot.md";
  static final String SOURCES = "es-spring-boot-starter/src/test/java/dev/annals/spring/boot/docs";

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
    assertThat(Snippets.blocks(guide(), "snippet")).hasSizeGreaterThanOrEqualTo(3);
  }

  @Test
  void the_properties_table_lists_exactly_the_properties_of_the_metadata() throws IOException {
    String metadata;
    try (InputStream in = getClass().getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
      assertThat(in).as("the metadata spring-boot-configuration-processor generates").isNotNull();
      metadata = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    List<String> declared = new ArrayList<>();
    new ObjectMapper().readTree(metadata).get("properties").forEach(p -> declared.add(p.get("name").asText()));
    assertThat(declared).as("properties in the metadata").hasSizeGreaterThan(15);

    String doc = Files.readString(guide(), StandardCharsets.UTF_8);
    List<String> documented = new ArrayList<>();
    Matcher rows = Pattern.compile("`(annals\\.[a-z.-]+)`").matcher(doc.substring(doc.indexOf("| property |")));
    while (rows.find()) {
      documented.add(rows.group(1));
    }
    assertThat(documented).as("the table of " + GUIDE).containsAll(declared);
    assertThat(declared).as("properties named in " + GUIDE).containsAll(documented);
    assertThat(doc).contains("`annals.publishers.<name>.sink`", "`annals.publishers.<name>.source`",
        "`annals.publishers.<name>.categories`", "`annals.publishers.<name>.types`",
        "`annals.publishers.<name>.partitions`", "`annals.publishers.<name>.batch-size`");
  }
}
