package dev.annals.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.lang.module.Configuration;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

/**
 * This module's descriptor, read from the built classes (the tests run on the class path): it
 * exports its API package only and resolves on a module path with its dependencies.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ModuleDescriptorTest {

  static final String NAME = "dev.annals.micrometer";

  @Test
  void the_module_exports_its_api_package_only() throws Exception {
    ModuleDescriptor d = descriptor();
    assertThat(d.name()).isEqualTo(NAME);
    assertThat(d.exports()).extracting(ModuleDescriptor.Exports::source).containsExactly(NAME);
    assertThat(d.exports()).noneMatch(ModuleDescriptor.Exports::isQualified);
  }

  @Test
  void the_module_resolves_on_a_module_path_with_its_dependencies() {
    Path[] path = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
        .map(Path::of)
        .filter(p -> Files.isDirectory(p) ? Files.exists(p.resolve("module-info.class")) : neededJar(p))
        .toArray(Path[]::new);
    Configuration resolved = Configuration.resolve(ModuleFinder.of(path),
        List.of(ModuleLayer.boot().configuration()), ModuleFinder.of(), Set.of(NAME));
    assertThat(resolved.modules().stream().map(m -> m.name()).collect(Collectors.toSet()))
        .contains(NAME, "dev.annals.core", "dev.annals.projections");
  }

  /** The jars of the libraries the descriptors require (other jars on the test path are not). */
  private static boolean neededJar(Path jar) {
    String name = jar.getFileName().toString();
    return name.startsWith("es-") || name.startsWith("jackson-") || name.startsWith("caffeine-")
        || name.startsWith("jdbi3-core-") || name.startsWith("HikariCP-") || name.startsWith("postgresql-42")
        || name.startsWith("slf4j-api-") || name.startsWith("geantyref-")
        || name.startsWith("error_prone_annotations-") || name.startsWith("jspecify-")
        || name.startsWith("checker-qual-") || name.startsWith("micrometer-")
        || name.startsWith("HdrHistogram-") || name.startsWith("LatencyUtils-")
        || (name.startsWith("opentelemetry-") && !name.contains("sdk"));
  }

  private static ModuleDescriptor descriptor() throws IOException, java.net.URISyntaxException {
    Path classes = Path.of(AnnalsMetrics.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    try (InputStream in = Files.newInputStream(classes.resolve("module-info.class"))) {
      return ModuleDescriptor.read(in);
    }
  }
}
