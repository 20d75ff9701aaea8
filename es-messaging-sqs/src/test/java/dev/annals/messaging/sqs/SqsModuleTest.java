package dev.annals.messaging.sqs;

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
 * The module's descriptor, as built: it exports its API package only, and resolves on a module
 * path with the framework's modules and the AWS SDK, as an application would load it. The tests
 * run on the class path, so this is where the descriptor is held.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class SqsModuleTest {

  @Test
  void the_module_exports_its_api_package_only() throws Exception {
    ModuleDescriptor d = descriptor();
    assertThat(d.name()).isEqualTo("dev.annals.messaging.sqs");
    assertThat(d.exports()).allMatch(e -> !e.isQualified());
    assertThat(d.exports().stream().map(ModuleDescriptor.Exports::source).collect(Collectors.toSet()))
        .isEqualTo(Set.of("dev.annals.messaging.sqs"));
  }

  @Test
  void the_module_resolves_on_a_module_path_with_its_dependencies() {
    Path[] path = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
        .map(Path::of)
        .filter(p -> Files.isDirectory(p) ? Files.exists(p.resolve("module-info.class")) : neededJar(p))
        .toArray(Path[]::new);
    Configuration resolved = Configuration.resolve(ModuleFinder.of(path),
        List.of(ModuleLayer.boot().configuration()), ModuleFinder.of(), Set.of("dev.annals.messaging.sqs"));
    assertThat(resolved.modules()).extracting(m -> m.name())
        .contains("dev.annals.messaging.sqs", "dev.annals.messaging", "software.amazon.awssdk.services.sqs");
  }

  /** The jars the descriptors require; test-only jars (the in-JVM server's Scala ones) are not. */
  private static boolean neededJar(Path jar) {
    String name = jar.getFileName().toString();
    return (name.startsWith("es-") && !name.endsWith("-tests.jar") && !name.startsWith("es-testkit"))
        || jar.toString().replace(File.separatorChar, '/').contains("/software/amazon/awssdk/")
        || name.startsWith("reactive-streams-")
        || name.startsWith("jackson-") || name.startsWith("caffeine-")
        || name.startsWith("jdbi3-core-") || name.startsWith("HikariCP-") || name.startsWith("postgresql-42")
        || name.startsWith("cloudevents-") || name.startsWith("slf4j-api-")
        || name.startsWith("httpclient5-") || name.startsWith("httpcore5-")
        || name.startsWith("geantyref-") || name.startsWith("error_prone_annotations-")
        || name.startsWith("jspecify-") || name.startsWith("checker-qual-")
        // es-messaging's binary formats: Avro (and what it requires) and Protobuf.
        || name.startsWith("avro-") || name.startsWith("commons-compress-") || name.startsWith("commons-io-")
        || name.startsWith("commons-lang3-") || name.startsWith("commons-codec-")
        || name.startsWith("protobuf-java-");
  }

  private static ModuleDescriptor descriptor() throws Exception {
    Path location = Path.of(SqsSink.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    if (Files.isDirectory(location)) {
      try (InputStream in = Files.newInputStream(location.resolve("module-info.class"))) {
        return ModuleDescriptor.read(in);
      }
    }
    try (java.util.jar.JarFile jar = new java.util.jar.JarFile(location.toFile());
        InputStream in = jar.getInputStream(jar.getEntry("module-info.class"))) {
      return ModuleDescriptor.read(in);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
