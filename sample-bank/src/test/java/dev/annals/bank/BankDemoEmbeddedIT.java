package dev.annals.bank;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo's last resort, an embedded PostgreSQL, runs the whole demo. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class BankDemoEmbeddedIT {

  @Test
  void the_demo_runs_on_an_embedded_postgres_when_no_server_answers(@TempDir Path cache) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    BankDemo.Outcome outcome;
    try (BankStorage storage = BankStorage.embedded(BankStorage.DEMO_SCHEMA, "embedded for the test", cache);
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
      outcome = BankDemo.run(new BankDemo.Settings(100, 2, 30, 11), storage, out);
    }
    String output = bytes.toString(StandardCharsets.UTF_8);
    assertThat(output).contains("in an embedded PostgreSQL at jdbc:postgresql://localhost:", "embedded for the test",
        "its binaries are kept for the next run in " + cache);
    assertThat(outcome.ok()).as(output).isTrue();

    List<Path> unpacked = binaries(cache);
    assertThat(unpacked).as("binaries unpacked into the cache directory").hasSize(1);
    Path bin = unpacked.get(0).resolve("bin");
    FileTime unpackedAt = Files.getLastModifiedTime(bin);
    try (BankStorage again = BankStorage.embedded("bank_again", null, cache)) {
      assertThat(again.description()).contains("embedded PostgreSQL");
    }
    assertThat(binaries(cache)).as("the second run reuses them").isEqualTo(unpacked);
    assertThat(Files.getLastModifiedTime(bin)).as("not unpacked again").isEqualTo(unpackedAt);
  }

  @Test
  void the_cache_directory_follows_xdg_cache_home_else_the_home_directory() {
    assertThat(BankStorage.embeddedCache(Map.of("XDG_CACHE_HOME", "/var/cache/me")))
        .isEqualTo(Path.of("/var/cache/me/annals/embedded-postgres"));
    assertThat(BankStorage.embeddedCache(Map.of("XDG_CACHE_HOME", "relative")))
        .isEqualTo(Path.of(System.getProperty("user.home"), ".cache", "annals", "embedded-postgres"));
    assertThat(BankStorage.embeddedCache(Map.of()))
        .isEqualTo(Path.of(System.getProperty("user.home"), ".cache", "annals", "embedded-postgres"));
  }

  private static List<Path> binaries(Path cache) throws IOException {
    try (Stream<Path> entries = Files.list(cache)) {
      return entries.filter(p -> p.getFileName().toString().startsWith("PG-")).sorted().toList();
    }
  }
}
