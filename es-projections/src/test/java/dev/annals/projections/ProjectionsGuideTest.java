package dev.annals.projections;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

/**
 * Keeps the Java of docs/projections.md true: every ```java block there follows a
 * {@code <!-- projections-example: NAME -->} line and equals the region tagged NAME in
 * ProjectionsGuideIT, which compiles and runs against the real database.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ProjectionsGuideTest {

  static final Path GUIDE = Path.of("..", "docs", "projections.md");
  static final Path EXAMPLES = Path.of("src", "test", "java", "dev", "annals", "projections", "docs",
      "ProjectionsGuideIT.java");
  static final Pattern MARKER = Pattern.compile("^<!--\\s*projections-example:\\s*([\\w.-]+)\\s*-->$");
  static final Pattern TAG = Pattern.compile("^\\s*//\\s*(tag|end)::([\\w.-]+)\\[\\]\\s*$");

  @Test
  void every_java_block_of_the_guide_is_a_tagged_region_of_the_examples() throws IOException {
    Map<String, String> regions = regions(Files.readAllLines(EXAMPLES));
    List<String> lines = Files.readAllLines(GUIDE);
    int checked = 0;
    for (int i = 0; i < lines.size(); i++) {
      if (!lines.get(i).trim().equals("```java")) {
        continue;
      }
      Matcher marker = i > 0 ? MARKER.matcher(lines.get(i - 1).trim()) : null;
      assertThat(marker != null && marker.matches())
          .as("line %d of %s: a ```java block without <!-- projections-example: NAME --> above it", i + 1, GUIDE)
          .isTrue();
      String name = marker.group(1);
      StringBuilder block = new StringBuilder();
      for (int j = i + 1; !lines.get(j).trim().equals("```"); j++) {
        block.append(lines.get(j)).append('\n');
      }
      assertThat(regions).as("regions of %s", EXAMPLES).containsKey(name);
      assertThat(block.toString()).as("the %s example of %s", name, GUIDE).isEqualTo(regions.get(name));
      checked++;
    }
    assertThat(checked).as("examples checked").isGreaterThanOrEqualTo(8);
  }

  /** Tagged regions, without nested tag lines, dedented to their least indented line. */
  static Map<String, String> regions(List<String> source) {
    Map<String, List<String>> open = new LinkedHashMap<>();
    Map<String, String> done = new LinkedHashMap<>();
    for (String line : source) {
      Matcher tag = TAG.matcher(line);
      if (tag.matches()) {
        if (tag.group(1).equals("tag")) {
          open.put(tag.group(2), new ArrayList<>());
        } else {
          done.put(tag.group(2), dedent(open.remove(tag.group(2))));
        }
        continue;
      }
      open.values().forEach(region -> region.add(line));
    }
    return done;
  }

  private static String dedent(List<String> lines) {
    int indent = lines.stream().filter(l -> !l.isBlank())
        .mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
    StringBuilder out = new StringBuilder();
    for (String l : lines) {
      out.append(l.isBlank() ? "" : l.substring(indent)).append('\n');
    }
    return out.toString();
  }
}
