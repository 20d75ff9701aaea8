package dev.annals.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.util.unit.DataSize;

/**
 * How {@code annals.*} binds: defaults, relaxed names and units, and a start-up failure naming
 * the property for each bad value. No database: without a DataSource the stores are not built,
 * but the settings are still bound and checked.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class PropertiesTest {

  final ApplicationContextRunner contexts = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(AnnalsAutoConfiguration.class));

  @Test
  void defaults_hold_without_any_setting() {
    contexts.run(context -> {
      AnnalsProperties p = context.getBean(AnnalsProperties.class);
      assertThat(p.store().schema()).isEqualTo("annals");
      assertThat(p.store().installSchema()).isTrue();
      assertThat(p.store().notifyInterval()).isEqualTo(Duration.ofMillis(20));
      assertThat(p.store().maxEventSize()).isEqualTo(DataSize.ofMegabytes(1));
      assertThat(p.store().owner().isSet()).isFalse();
      assertThat(p.store().horizonLag()).isEqualTo(Duration.ofMillis(300));
      assertThat(p.store().groupCommit().enabled()).isFalse();
      assertThat(p.store().groupCommit().toStoreSetting()).isEqualTo(dev.annals.postgres.GroupCommit.off());
      assertThat(p.repositories().cacheSize()).isEqualTo(10_000);
      assertThat(p.repositories().maxAttempts()).isEqualTo(5);
      assertThat(p.projections().autoStart()).isTrue();
      assertThat(p.projections().leaseDuration()).isEqualTo(Duration.ofSeconds(10));
      assertThat(p.health().maxLagEvents()).isEqualTo(10_000);
      assertThat(p.health().maxLag()).isEqualTo(Duration.ofMinutes(5));
      assertThat(p.publishers()).isEmpty();
    });
  }

  @Test
  void settings_bind_with_relaxed_names_and_units() {
    contexts.withPropertyValues("annals.store.schema=bank", "annals.store.install-schema=false",
            "annals.store.max-event-size=64KB", "annals.store.owner.role=bank_owner",
            "annals.store.owner.password=s3cret", "annals.repositories.cacheSize=0",
            "annals.projections.node-id=web-1", "annals.health.max-lag=30s",
            "annals.publishers.accounts_out.sink=rabbit", "annals.publishers.accounts_out.source=urn:bank:accounts",
            "annals.publishers.accounts_out.categories=account,card")
        .run(context -> {
          AnnalsProperties p = context.getBean(AnnalsProperties.class);
          assertThat(p.store().schema()).isEqualTo("bank");
          assertThat(p.store().installSchema()).isFalse();
          assertThat(p.store().maxEventSize()).isEqualTo(DataSize.ofKilobytes(64));
          assertThat(p.store().owner().role()).isEqualTo("bank_owner");
          assertThat(p.store().owner().toString()).as("no password in toString").doesNotContain("s3cret");
          assertThat(p.repositories().cacheSize()).isZero();
          assertThat(p.projections().nodeId()).isEqualTo("web-1");
          assertThat(p.health().maxLag()).isEqualTo(Duration.ofSeconds(30));
          assertThat(p.publishers().get("accounts_out").categories()).containsExactly("account", "card");
          assertThat(p.publishers().get("accounts_out").batchSize()).isEqualTo(500);
        });
  }

  @Test
  void group_commit_and_the_horizon_lag_bind_to_the_stores_settings() {
    contexts.withPropertyValues("annals.store.group-commit.enabled=true", "annals.store.group-commit.max-wait=2ms",
            "annals.store.group-commit.max-group=16", "annals.store.horizon-lag=0")
        .run(context -> {
          AnnalsProperties.Store store = context.getBean(AnnalsProperties.class).store();
          assertThat(store.groupCommit().toStoreSetting())
              .isEqualTo(dev.annals.postgres.GroupCommit.of(Duration.ofMillis(2), 16, dev.annals.postgres.GroupCommit.DEFAULT_MAX_IN_FLIGHT));
          assertThat(store.horizonLag()).as("0 turns the fence off").isZero();
        });
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "annals.store.schema=Bank-Schema | annals.store.schema: invalid schema name 'Bank-Schema'",
      "annals.store.max-event-size=1GB | annals.store.max-event-size must be 1B to 256MB, was 1073741824B",
      "annals.store.application-role=bank_app | annals.store.application-role (bank_app) is granted by the owner",
      "annals.store.owner.url=mysql://db | annals.store.owner.url must start with jdbc:postgresql:",
      "annals.store.owner.role=public | annals.store.owner.role must not be public",
      "annals.store.horizon-lag=5ms | annals.store.horizon-lag must be 0 (no fence) or 10ms to 1m, was PT0.005S",
      "annals.store.group-commit.max-wait=20ms | annals.store.group-commit: group commit maxWait must be 0 to 10 ms, was PT0.02S",
      "annals.store.group-commit.max-in-flight=0 | annals.store.group-commit: group commit maxInFlight must be 1 to 64, was 0",
      "annals.repositories.max-attempts=0 | annals.repositories.max-attempts must be 1 or more, was 0",
      "annals.projections.lease-duration=50ms | annals.projections.lease-duration must be 200ms to 10m, was PT0.05S",
      "annals.projections.poll-min=1s | 1ms <= poll-min <= poll-max <= 1m, were PT1S and PT0.5S",
      "annals.health.max-lag-events=-1 | annals.health.max-lag-events must be 0 or more, was -1",
      "annals.publishers.Accounts.sink=x;annals.publishers.Accounts.source=urn:x | annals.publishers.Accounts: a publisher name must be a lower-case letter",
  })
  void a_bad_value_stops_the_start_naming_the_property(String setting, String message) {
    contexts.withPropertyValues(setting.split(";")).run(context -> {
      assertThat(context).hasFailed();
      assertThat(context.getStartupFailure()).rootCause().hasMessageContaining(message);
    });
  }

  @Test
  void a_value_of_the_wrong_type_names_the_property_and_the_value() {
    contexts.withPropertyValues("annals.health.max-lag=soon").run(context -> {
      assertThat(context).hasFailed();
      assertThat(context.getStartupFailure())
          .hasStackTraceContaining("Failed to bind properties under 'annals.health.max-lag' to java.time.Duration")
          .rootCause().hasMessageContaining("'soon' is not a valid duration");
    });
  }

  @Test
  void a_publisher_without_its_sink_is_refused() {
    contexts.withPropertyValues("annals.publishers.out.source=urn:x").run(context -> {
      assertThat(context).hasFailed();
      assertThat(context.getStartupFailure()).rootCause()
          .hasMessageContaining("sink: name the MessageSink bean to publish to");
    });
  }

  @Test
  void the_metadata_lists_every_setting_for_ides() throws Exception {
    String json;
    try (var in = getClass().getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
      assertThat(in).as("generated by spring-boot-configuration-processor").isNotNull();
      json = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
    for (String name : new String[] {"annals.store.schema", "annals.store.install-schema", "annals.store.owner.url",
        "annals.store.application-role", "annals.repositories.cache-size", "annals.projections.auto-start",
        "annals.projections.node-id", "annals.health.max-lag-events", "annals.health.max-lag", "annals.publishers"}) {
      assertThat(json).as(name).contains("\"name\": \"" + name + "\"");
    }
  }
}
