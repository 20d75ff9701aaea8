package dev.annals.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.annals.testkit.PostgresTestDatabase.Server;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class PostgresTestDatabaseDiscoveryTest {

  static final String NOWHERE = "jdbc:postgresql://127.0.0.1:1/none?user=x&password=hunter2";

  @Test
  void a_configured_url_that_fails_is_an_error_naming_the_variable_without_the_password() {
    assertThatThrownBy(() -> PostgresTestDatabase.discover(NOWHERE, true, () -> {
      throw new AssertionError("must not fall back to containers");
    }, NOWHERE))
        .hasMessageContaining("ES_TEST_DB_URL is set to")
        .hasMessageContaining("password=***")
        .hasMessageNotContaining("hunter2");
  }

  @Test
  void without_any_server_the_message_says_what_to_set_and_what_was_tried() {
    assertThatThrownBy(() -> PostgresTestDatabase.discover(null, false, () -> null, NOWHERE))
        .hasMessageContaining("Set ES_TEST_DB_URL=jdbc:postgresql://")
        .hasMessageContaining("Docker")
        .hasMessageContaining("no Docker engine")
        .hasMessageContaining("127.0.0.1:1");
  }

  @Test
  void a_failing_container_falls_back_to_the_local_server_and_is_reported_if_that_fails_too() {
    assertThatThrownBy(() -> PostgresTestDatabase.discover(null, true, () -> {
      throw new IllegalStateException("docker said no");
    }, NOWHERE)).hasMessageContaining("Testcontainers: docker said no");
  }

  @Test
  void a_working_container_is_used_before_the_local_server() {
    Server container = new Server("jdbc:postgresql://container", "Testcontainers postgres");
    assertThat(PostgresTestDatabase.discover(null, true, () -> container, NOWHERE)).isSameAs(container);
  }
}
