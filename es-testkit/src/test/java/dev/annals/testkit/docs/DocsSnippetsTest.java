package dev.annals.testkit.docs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.annals.testkit.internal.Snippets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Keeps the Java in README.md and docs/*.md true: each {@code <!-- snippet: NAME -->} block must
 * equal the region tagged NAME in a compiling test of this package. A guide whose examples are
 * tests of another module is checked by that module instead ({@link #CHECKED_ELSEWHERE}).
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class DocsSnippetsTest {

  /**
   * Where the examples are, relative to the project root: this package, and the {@code docs}
   * test package of a module whose examples need that module (which this one cannot depend on).
   */
  static final String[] SOURCES = {"es-testkit/src/test/java/dev/annals/testkit/docs",
      "es-postgres/src/test/java/dev/annals/postgres/docs", "sample-bank/src/test/java/dev/annals/bank/docs"};

  /** Guides whose examples are tests of another module, with the test that checks them. */
  static final Map<String, String> CHECKED_ELSEWHERE =
      Map.of("docs/messaging.md", "es-messaging's MessagingGuideTest",
          "docs/projections.md", "es-projections' ProjectionsGuideTest",
          "docs/spring-boot.md", "es-spring-boot-starter's SpringBootGuideTest",
          "docs/observability.md", "es-opentelemetry's ObservabilityGuideTest",
          "docs/console.md", "es-console's ConsoleGuideTest");

  @TestFactory
  Stream<DynamicTest> every_snippet_in_the_docs_equals_its_tagged_region() {
    Map<String, Snippets.Region> regions = Snippets.regions(SOURCES);
    List<Snippets.Block> blocks = new ArrayList<>();
    for (Path doc : Snippets.documents()) {
      String name = Snippets.root().relativize(doc).toString().replace('\\', '/');
      if (!CHECKED_ELSEWHERE.containsKey(name)) {
        blocks.addAll(Snippets.blocks(doc, "snippet"));
      }
    }
    return blocks.stream().map(block -> dynamicTest(block.doc() + " " + block.name(),
        () -> Snippets.mismatch(block, regions).ifPresent(problem -> fail(problem))));
  }

  /**
   * Documents whose every Java block must be a snippet. Other docs may still show Java that no
   * test compiles; their marked blocks are checked all the same.
   */
  static final List<String> CHECKED_THROUGHOUT = List.of("README.md", "docs/concepts.md", "docs/testing.md",
      "docs/postgres.md");

  @Test
  void the_readme_and_the_concepts_and_testing_guides_have_snippets() {
    // Guards against a wrong path or marker format making the check above pass vacuously.
    for (String doc : CHECKED_THROUGHOUT) {
      assertThat(Snippets.blocks(Snippets.root().resolve(doc), "snippet")).as(doc).isNotEmpty();
    }
  }

  @Test
  void every_java_block_of_the_readme_and_the_guides_is_a_checked_snippet() {
    // Every document, not only those above: a new guide's Java must be checked from its first day.
    List<Path> documents = Snippets.documents();
    assertThat(documents).extracting(d -> Snippets.root().relativize(d).toString().replace('\\', '/'))
        .contains("README.md", "docs/messaging.md", "docs/projections.md", "docs/postgres.md");
    for (Path doc : documents) {
      assertThat(Snippets.unmarkedJavaBlocks(doc))
          .as("lines of %s with a ```java block not preceded by <!-- snippet: NAME -->", doc)
          .isEmpty();
    }
  }

  @Nested
  class The_check {

    final Map<String, Snippets.Region> regions = new LinkedHashMap<>();

    The_check() {
      Snippets.parseRegions("Example.java", String.join("\n",
          "class Example {",
          "  void example() {",
          "    // tag::outer[]",
          "    int a = 1;",
          "    // tag::inner[]",
          "    int b = 2;",
          "    // end::inner[]",
          "  // end::outer[]",
          "  }",
          "}"), regions);
    }

    @Test
    void ignores_common_indentation_and_nested_markers() {
      assertThat(regions.get("outer").code()).isEqualTo("int a = 1;\nint b = 2;");
      String doc = "text\n\n<!-- snippet: inner -->\n```java\n      int b = 2;   \n```\n";
      Snippets.Block block = Snippets.blocks("doc.md", doc, "snippet").get(0);
      assertThat(Snippets.mismatch(block, regions)).isEmpty();
    }

    @Test
    void names_the_doc_the_snippet_and_the_first_difference() {
      String doc = "# Title\n<!-- snippet: outer -->\n```java\nint a = 1;\nint b = 3;\n```\n";
      Snippets.Block block = Snippets.blocks("docs/x.md", doc, "snippet").get(0);
      assertThat(Snippets.mismatch(block, regions)).hasValueSatisfying(problem -> assertThat(problem)
          .startsWith("docs/x.md:2: snippet 'outer' differs from its tagged region at Example.java:3")
          .contains("first difference at line 2 of the snippet:")
          .contains("doc:  int b = 3;")
          .contains("code: int b = 2;"));
    }

    @Test
    void reports_a_snippet_that_stops_early() {
      String doc = "<!-- snippet: outer -->\n```java\nint a = 1;\n```\n";
      Snippets.Block block = Snippets.blocks("d.md", doc, "snippet").get(0);
      assertThat(Snippets.mismatch(block, regions))
          .hasValueSatisfying(problem -> assertThat(problem).contains("(nothing: the doc's snippet ends here)"));
    }

    @Test
    void fails_a_snippet_without_a_tagged_region() {
      String doc = "<!-- snippet: nowhere -->\n```java\nint a = 1;\n```\n";
      Snippets.Block block = Snippets.blocks("docs/y.md", doc, "snippet").get(0);
      assertThat(Snippets.mismatch(block, regions)).hasValueSatisfying(problem -> assertThat(problem)
          .startsWith("docs/y.md:1: snippet 'nowhere' has no tagged region"));
    }

    @Test
    void refuses_a_marker_without_a_java_block() {
      assertThatThrownBy(() -> Snippets.blocks("z.md", "<!-- snippet: a -->\nsome prose\n", "snippet"))
          .hasMessage("z.md:1: snippet 'a' must be followed by a ```java block");
      assertThatThrownBy(() -> Snippets.blocks("z.md", "<!-- snippet: a -->\n```text\nx\n```\n", "snippet"))
          .hasMessageContaining("must be followed by a ```java block");
    }

    @Test
    void refuses_broken_or_duplicate_regions() {
      assertThatThrownBy(() -> Snippets.parseRegions("B.java", "// tag::open[]\nint x;\n", new LinkedHashMap<>()))
          .hasMessage("B.java:1: region 'open' has no end::open[]");
      assertThatThrownBy(() -> Snippets.parseRegions("B.java", "int x;\n// end::stray[]\n", new LinkedHashMap<>()))
          .hasMessage("B.java:2: end::stray[] without tag::stray[] before it");
      assertThatThrownBy(() -> Snippets.parseRegions("C.java", "// tag::inner[]\n// end::inner[]\n", regions))
          .hasMessage("C.java:1: region 'inner' is already defined at Example.java:5");
    }

    @Test
    void finds_java_blocks_without_a_marker_but_not_other_languages() {
      String doc = "<!-- snippet: a -->\n```java\nx\n```\n\n```java\ny\n```\n\n```bash\nmvn verify\n```\n";
      assertThat(Snippets.unmarkedJavaBlocks("d.md", doc)).containsExactly(6);
    }
  }
}
