package dev.annals.web.docs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.annals.testkit.internal.Snippets;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

/**
 * Keeps the es-web part of docs/messaging.md true: its properties table names every property of
 * the module's generated metadata, and no other. (Its snippet is checked by es-messaging's
 * MessagingGuideTest, which reads this package.)
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class WebGuideTest {

  @Test
  void the_properties_table_lists_exactly_the_properties_of_the_metadata() throws IOException {
    Path metadata = Snippets.root().resolve("es-web/target/classes/META-INF/spring-configuration-metadata.json");
    List<String> declared = new ArrayList<>();
    new ObjectMapper().readTree(Files.readString(metadata, StandardCharsets.UTF_8)).get("properties")
        .forEach(p -> declared.add(p.get("name").asText()));
    assertThat(declared).as("properties in the metadata").hasSizeGreaterThanOrEqualTo(5);

    String doc = Files.readString(Snippets.root().resolve("docs/messaging.md"), StandardCharsets.UTF_8);
    String section = doc.substring(doc.indexOf("## Following the log over HTTP"), doc.indexOf("## Status and operations"));
    List<String> documented = new ArrayList<>();
    Matcher rows = Pattern.compile("\\| `(annals\\.web\\.[a-z.-]+)` \\|").matcher(section);
    while (rows.find()) {
      documented.add(rows.group(1));
    }
    assertThat(documented).as("the table of docs/messaging.md").containsExactlyInAnyOrderElementsOf(declared);
  }
}
