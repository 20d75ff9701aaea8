package dev.annals.console;

import static org.assertj.core.api.Assertions.assertThat;

import dev.annals.core.EventRegistry;
import dev.annals.spring.boot.AnnalsAutoConfiguration;
import dev.annals.spring.boot.AnnalsProjectionsAutoConfiguration;
import dev.annals.testkit.PostgresTestDatabase;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The console in a Spring Boot application through the starter: off by default, on by a property. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ConsoleAutoConfigurationIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  @Configuration(proxyBeanMethods = false)
  static class Application {
    @Bean
    EventRegistry registry() {
      return Shop.registry();
    }
  }

  private final ApplicationContextRunner contexts = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class, AnnalsAutoConfiguration.class,
          AnnalsProjectionsAutoConfiguration.class, ConsoleAutoConfiguration.class))
      .withUserConfiguration(Application.class)
      .withPropertyValues("spring.datasource.url=" + db.jdbcUrl(), "spring.datasource.hikari.maximum-pool-size=4",
          "annals.store.schema=" + db.schema());

  @Test
  void the_console_is_off_unless_enabled() {
    contexts.run(context -> {
      assertThat(context).hasNotFailed();
      assertThat(context).doesNotHaveBean(ConsoleServer.class);
    });
  }

  @Test
  void enabled_it_listens_on_loopback_behind_the_configured_users() {
    contexts.withPropertyValues("annals.console.enabled=true", "annals.console.port=0",
        "annals.console.users[0]=ops:operator:{noop}ops-pass").run(context -> {
          assertThat(context).hasNotFailed();
          ConsoleServer console = context.getBean(ConsoleServer.class);
          assertThat(console.uri().getHost()).isEqualTo("127.0.0.1");
          HttpClient http = HttpClient.newHttpClient();
          HttpResponse<String> anonymous = http.send(HttpRequest.newBuilder(console.uri().resolve("/api/session")).build(),
              HttpResponse.BodyHandlers.ofString());
          assertThat(anonymous.statusCode()).isEqualTo(401);
          HttpResponse<String> ops = http.send(HttpRequest.newBuilder(console.uri().resolve("/api/session"))
              .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                  "ops:ops-pass".getBytes(StandardCharsets.UTF_8))).build(), HttpResponse.BodyHandlers.ofString());
          assertThat(ops.statusCode()).isEqualTo(200);
          assertThat(ops.body()).contains("\"role\":\"operator\"").doesNotContain("ops-pass");
        });
  }

  @Test
  void a_bad_user_setting_fails_the_start_naming_the_setting_and_not_the_password() {
    contexts.withPropertyValues("annals.console.enabled=true", "annals.console.port=0",
        "annals.console.users[0]=ops:admin:{noop}hunter2").run(context -> {
          assertThat(context).hasFailed();
          assertThat(context.getStartupFailure()).rootCause().hasMessageContaining("unknown console role 'admin'");
          Throwable t = context.getStartupFailure();
          while (t != null) {
            assertThat(String.valueOf(t.getMessage())).doesNotContain("hunter2");
            t = t.getCause();
          }
        });
  }
}
