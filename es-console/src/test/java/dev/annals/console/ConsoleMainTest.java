package dev.annals.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

/** The standalone console's command line: defaults, and one clear line for each mistake. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ConsoleMainTest {

  @Test
  void defaults_bind_to_loopback() {
    ConsoleMain.Options o = ConsoleMain.Options.parse(new String[] {"--url=jdbc:postgresql://db/bank"},
        Map.of("ANNALS_DB_PASSWORD", "pw"));
    assertThat(o.address().getHostAddress()).isEqualTo("127.0.0.1");
    assertThat(o.port()).isEqualTo(8089);
    assertThat(o.schema()).isEqualTo("annals");
    assertThat(o.dbPassword()).isEqualTo("pw");
    assertThat(o.toString()).doesNotContain("pw]");
  }

  @Test
  void users_are_parsed_and_never_printed_with_their_password() {
    ConsoleMain.Options o = ConsoleMain.Options.parse(new String[] {"--url=jdbc:postgresql://db/bank",
        "--user=ann:viewer:{noop}s3cret", "--port=0", "--address=0.0.0.0"}, Map.of());
    assertThat(o.users()).containsExactly(new ConsoleUser("ann", ConsoleRole.VIEWER, "{noop}s3cret"));
    assertThat(o.toString()).contains("ann").doesNotContain("s3cret");
  }

  @Test
  void mistakes_are_named() {
    assertThatThrownBy(() -> ConsoleMain.Options.parse(new String[] {}, Map.of()))
        .hasMessageStartingWith("--url=jdbc:postgresql://... is required");
    assertThatThrownBy(() -> ConsoleMain.Options.parse(new String[] {"--url=jdbc:postgresql://x/y", "--port=http"}, Map.of()))
        .hasMessageStartingWith("--port must be 0 to 65535");
    assertThatThrownBy(() -> ConsoleMain.Options.parse(new String[] {"--url=jdbc:postgresql://x/y", "--bogus=1"}, Map.of()))
        .hasMessageStartingWith("unknown option --bogus");
    assertThatThrownBy(() -> ConsoleMain.Options.parse(new String[] {"--url=jdbc:postgresql://x/y",
        "--user=ann:viewer:plain-secret"}, Map.of()))
        .hasMessageContaining("must be encoded as {id}value").hasMessageNotContaining("plain-secret");
    assertThatThrownBy(() -> ConsoleMain.Options.parse(new String[] {"--url=jdbc:postgresql://x/y",
        "--address=example.org"}, Map.of()))
        .hasMessageStartingWith("--address must be an IP address");
  }
}
