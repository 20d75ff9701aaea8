package dev.annals.bank;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.annals.testkit.PostgresTestDatabase;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The launcher as the README uses it: {@code target/sample-bank.jar} (built by {@code package},
 * before the ITs run) and {@code bin/bank}, each in a process of its own, so that what a shell
 * pipes to {@code jq} is what is checked.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class LauncherIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  private static final Path JAR = Path.of("target", "sample-bank.jar");
  private static final Path SCRIPT = Path.of("bin", "bank");
  private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();
  private static final ObjectMapper JSON = new ObjectMapper();

  private record Run(int status, String out, String err) {}

  @BeforeAll
  static void run_a_small_workload() {
    assertThat(JAR).as("the launcher jar, built by mvn package").isRegularFile();
    try (BankStorage storage = BankStorage.postgres(db.jdbcUrl(), db.schema(), false)) {
      assertThat(DemoWorkload.run(storage, 40, 2, 30, 5)).isTrue();
    }
  }

  @Test
  void json_from_the_jars_entry_point_is_pure_json() throws Exception {
    Run run = run(List.of(JAVA, "-jar", JAR.toString(), "audit", "--schema", db.schema(), "--json", "history", "1001"));

    assertThat(run.status()).as(run.err()).isZero();
    assertThat(run.out()).as("stdout").startsWith("{");
    JsonNode doc = JSON.readTree(run.out());
    assertThat(doc.get("account").asText()).isEqualTo("1001");
    assertThat(doc.get("events").size()).isPositive();
  }

  @Test
  void the_script_runs_the_jar_and_its_json_output_parses() throws Exception {
    Run verify = run(List.of("sh", SCRIPT.toString(), "audit", "--schema", db.schema(), "--json", "verify"));

    assertThat(verify.status()).as(verify.err()).isZero();
    assertThat(verify.out()).as("stdout").startsWith("{");
    assertThat(JSON.readTree(verify.out()).get("ok").asBoolean()).isTrue();
    assertThat(verify.err()).as("progress goes to stderr").contains("Verifying hash chains");
  }

  @Test
  void the_script_passes_on_the_exit_status_and_a_one_line_error() throws Exception {
    Run bad = run(List.of("sh", SCRIPT.toString(), "audit", "--schema", db.schema(), "as-of", "1001", "--version", "x"));
    assertThat(bad.status()).isEqualTo(2);
    assertThat(bad.err().lines()).as(bad.err()).hasSize(1);
    assertThat(bad.err()).startsWith("Annals audit: ").contains("'x'");
    assertThat(bad.out()).isEmpty();

    Run demo = run(List.of("sh", SCRIPT.toString(), "--threads", "99"));
    assertThat(demo.status()).isEqualTo(2);
    assertThat(demo.err()).as(demo.err()).startsWith("Annals sample bank: threads must be 1 to 16, was 99");

    Run help = run(List.of("sh", SCRIPT.toString(), "--help"));
    assertThat(help.status()).isZero();
    assertThat(help.out()).contains("Usage: bank", "serve", "audit", "--commands");
  }

  private static Run run(List<String> command) throws IOException, InterruptedException {
    ProcessBuilder builder = new ProcessBuilder(new ArrayList<>(command));
    builder.environment().put(BankStorage.URL_VARIABLE, db.jdbcUrl());
    builder.environment().put("JAVA", JAVA);
    Process process = builder.start();
    process.getOutputStream().close();
    CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(process, true));
    CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(process, false));
    // Generous: a loaded machine starts a JVM slowly; the bound only keeps a hung process from hanging the build.
    assertThat(process.waitFor(5, TimeUnit.MINUTES)).as("the launcher ended: " + command).isTrue();
    return new Run(process.exitValue(), out.join(), err.join());
  }

  private static String read(Process process, boolean stdout) {
    try {
      return new String((stdout ? process.getInputStream() : process.getErrorStream()).readAllBytes(),
          StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
