package dev.annals.bank;

import static org.assertj.core.api.Assertions.assertThat;

import dev.annals.core.EventStore;
import dev.annals.messaging.MessageSink;
import dev.annals.messaging.kafka.KafkaSink;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.projections.ProjectionRunner;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.module.Configuration;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

/**
 * The framework's module descriptors, read from the built library modules the bank runs on:
 * each exports its API packages only (plumbing goes to our own modules alone), and together
 * with their dependencies they resolve as a module layer, as an application on the module path
 * would load them. The tests run on the class path, so this is where the descriptors are held.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class FrameworkModulesTest {

  private static final Map<Class<?>, String> MODULES = Map.of(
      EventStore.class, "dev.annals.core",
      PostgresEventStore.class, "dev.annals.postgres",
      ProjectionRunner.class, "dev.annals.projections",
      MessageSink.class, "dev.annals.messaging",
      KafkaSink.class, "dev.annals.messaging.kafka");

  @Test
  void each_library_module_exports_its_api_packages_and_no_plumbing() {
    Map<String, Set<String>> exported = new TreeMap<>();
    MODULES.forEach((type, name) -> {
      ModuleDescriptor d = descriptor(type);
      assertThat(d.name()).isEqualTo(name);
      exported.put(name, d.exports().stream().filter(e -> !e.isQualified())
          .map(ModuleDescriptor.Exports::source).collect(Collectors.toCollection(TreeSet::new)));
      d.exports().stream().filter(ModuleDescriptor.Exports::isQualified).forEach(e -> assertThat(e.targets())
          .as("%s exports %s only to our own modules", name, e.source())
          .allMatch(target -> target.startsWith("dev.annals.")));
    });
    assertThat(exported).isEqualTo(Map.of(
        "dev.annals.core", Set.of("dev.annals.core"),
        "dev.annals.postgres", Set.of("dev.annals.postgres", "dev.annals.postgres.archive"),
        "dev.annals.projections", Set.of("dev.annals.projections", "dev.annals.projections.testing"),
        "dev.annals.messaging", Set.of("dev.annals.messaging", "dev.annals.messaging.inbox",
            "dev.annals.messaging.nats", "dev.annals.messaging.rabbitmq", "dev.annals.messaging.schemas",
            "dev.annals.messaging.webhooks"),
        "dev.annals.messaging.kafka", Set.of("dev.annals.messaging.kafka")));
  }

  @Test
  void the_library_modules_resolve_on_a_module_path_with_their_dependencies() {
    Path[] path = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
        .map(Path::of)
        .filter(p -> Files.isDirectory(p) ? Files.exists(p.resolve("module-info.class")) : neededJar(p))
        .toArray(Path[]::new);
    Configuration resolved = Configuration.resolve(ModuleFinder.of(path), List.of(
        ModuleLayer.boot().configuration()), ModuleFinder.of(), Set.copyOf(MODULES.values()));
    assertThat(resolved.modules()).extracting(m -> m.name()).containsAll(MODULES.values());
  }

  /** The jars of the libraries the descriptors require (other jars on the test path are not). */
  private static boolean neededJar(Path jar) {
    String name = jar.getFileName().toString();
    return name.startsWith("es-") || name.startsWith("jackson-") || name.startsWith("caffeine-")
        || name.startsWith("jdbi3-core-") || name.startsWith("HikariCP-") || name.startsWith("postgresql-42")
        || name.startsWith("cloudevents-") || name.startsWith("amqp-client-") || name.startsWith("jnats-")
        || name.startsWith("kafka-clients-") || name.startsWith("slf4j-api-") || name.startsWith("avro-")
        || name.startsWith("httpclient5-") || name.startsWith("httpcore5-")
        || name.startsWith("geantyref-") || name.startsWith("error_prone_annotations-")
        || name.startsWith("jspecify-") || name.startsWith("checker-qual-")
        || name.startsWith("avro-") || name.startsWith("protobuf-java-");
  }

  private static ModuleDescriptor descriptor(Class<?> type) {
    try {
      Path location = Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
      if (Files.isDirectory(location)) {
        try (InputStream in = Files.newInputStream(location.resolve("module-info.class"))) {
          return ModuleDescriptor.read(in);
        }
      }
      try (JarFile jar = new JarFile(location.toFile());
          InputStream in = jar.getInputStream(jar.getEntry("module-info.class"))) {
        return ModuleDescriptor.read(in);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }
}
