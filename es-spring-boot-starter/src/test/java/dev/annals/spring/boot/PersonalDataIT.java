package dev.annals.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.annals.core.EventRegistry;
import dev.annals.core.ExpectedVersion;
import dev.annals.core.NewEvent;
import dev.annals.core.PersonalData;
import dev.annals.core.StreamId;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.testkit.PostgresTestDatabase;
import java.util.Base64;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.actuate.endpoint.SanitizableData;
import org.springframework.boot.actuate.endpoint.SanitizingFunction;
import org.springframework.boot.actuate.endpoint.Show;
import org.springframework.boot.actuate.env.EnvironmentEndpoint;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * A registry that declares personal data on the starter: the store encrypts it with the
 * configured master key, or with unwrapped keys when so configured, and refuses to start with
 * neither; the key never shows in an error.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class PersonalDataIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  record Joined(String memberId, String name) {}

  @Configuration(proxyBeanMethods = false)
  static class Members {
    @Bean
    EventRegistry registry() {
      return EventRegistry.builder()
          .register(Joined.class, "Joined", PersonalData.of(Joined::memberId, "/name"))
          .build();
    }
  }

  private static final String KEY = Base64.getEncoder().encodeToString(new byte[] {
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30,
      31, 32});

  private ApplicationContextRunner members(String schema) {
    return StarterContexts.on(db, schema).withUserConfiguration(Members.class);
  }

  @Test
  void with_a_master_key_the_name_is_stored_encrypted_and_read_back_plain() {
    String schema = db.newSchema();
    members(schema).withPropertyValues("annals.store.personal-data.master-key=" + KEY).run(context -> {
      assertThat(context).hasNotFailed();
      PostgresEventStore store = context.getBean(PostgresEventStore.class);
      StreamId s = StreamId.of("member", "m-1");
      store.append(s, ExpectedVersion.noStream(), NewEvent.of(new Joined("m-1", "Ann Smith")));

      assertThat(store.readStream(s).get(0).payload()).isEqualTo(new Joined("m-1", "Ann Smith"));
      assertThat(stored(store, schema)).doesNotContain("Ann Smith").contains("m-1");
      assertThat(wrapped(store, schema)).isTrue();
    });
  }

  @Test
  void without_a_master_key_when_so_configured_the_keys_are_stored_unwrapped() {
    String schema = db.newSchema();
    members(schema).withPropertyValues("annals.store.personal-data.without-master-key=true").run(context -> {
      assertThat(context).hasNotFailed();
      PostgresEventStore store = context.getBean(PostgresEventStore.class);
      StreamId s = StreamId.of("member", "m-1");
      store.append(s, ExpectedVersion.noStream(), NewEvent.of(new Joined("m-1", "Ann Smith")));

      assertThat(store.readStream(s).get(0).payload()).isEqualTo(new Joined("m-1", "Ann Smith"));
      assertThat(stored(store, schema)).doesNotContain("Ann Smith");
      assertThat(wrapped(store, schema)).isFalse();
    });
  }

  @Test
  void with_neither_the_application_does_not_start_and_says_what_to_set() {
    members(db.newSchema()).run(context -> {
      assertThat(context).hasFailed();
      assertThat(context.getStartupFailure()).rootCause()
          .hasMessageContaining("declares personal data")
          .hasMessageContaining("annals.store.personal-data.master-key")
          .hasMessageContaining("annals.store.personal-data.without-master-key=true");
    });
  }

  @Test
  void a_key_of_the_wrong_size_or_both_settings_stop_the_start_without_showing_the_key() {
    String short16 = Base64.getEncoder().encodeToString("sixteen-byte-key".getBytes());
    members(db.newSchema()).withPropertyValues("annals.store.personal-data.master-key=" + short16).run(context -> {
      assertThat(context).hasFailed();
      assertThat(context.getStartupFailure()).rootCause()
          .hasMessageContaining("must be 32 bytes (256 bits) in base64, was 16 bytes");
      assertThat(messages(context.getStartupFailure())).doesNotContain(short16).doesNotContain("sixteen");
    });
    String notBase64 = "secret!value*";
    members(db.newSchema()).withPropertyValues("annals.store.personal-data.master-key=" + notBase64).run(context -> {
      assertThat(context).hasFailed();
      assertThat(context.getStartupFailure()).rootCause().hasMessageContaining("must be base64");
      assertThat(messages(context.getStartupFailure())).doesNotContain("secret!value*").doesNotContain("!");
    });
    members(db.newSchema()).withPropertyValues("annals.store.personal-data.master-key=" + KEY,
        "annals.store.personal-data.without-master-key=true").run(context -> {
          assertThat(context).hasFailed();
          assertThat(context.getStartupFailure()).rootCause().hasMessageContaining("exclude each other");
          assertThat(messages(context.getStartupFailure())).doesNotContain(KEY);
        });
  }

  @Test
  void actuators_env_endpoint_masks_the_key_even_when_showing_values() {
    members(db.newSchema()).withPropertyValues("annals.store.personal-data.master-key=" + KEY,
        "annals.store.owner.password=hunter2", "annals.store.owner.username=postgres").run(context -> {
          assertThat(context).hasNotFailed();
          EnvironmentEndpoint env = new EnvironmentEndpoint(context.getEnvironment(),
              context.getBeanProvider(SanitizingFunction.class).orderedStream().toList(), Show.ALWAYS);
          assertThat(env.environmentEntry("annals.store.personal-data.master-key").getProperty().getValue())
              .isEqualTo(SanitizableData.SANITIZED_VALUE);
          assertThat(env.environmentEntry("annals.store.owner.password").getProperty().getValue())
              .isEqualTo(SanitizableData.SANITIZED_VALUE);
          assertThat(env.environmentEntry("annals.store.schema").getProperty().getValue())
              .as("other values still show").isNotEqualTo(SanitizableData.SANITIZED_VALUE);
        });
  }

  @Test
  void the_settings_print_without_the_key() {
    assertThat(new AnnalsProperties.PersonalDataKeys(KEY, false).toString()).doesNotContain(KEY).contains("****");
  }

  /** Every message of the failure and its causes, as a log would show them. */
  private static String messages(Throwable failure) {
    StringBuilder all = new StringBuilder();
    for (Throwable t = failure; t != null; t = t.getCause()) {
      all.append(t).append('\n');
    }
    return all.toString();
  }

  private static String stored(PostgresEventStore store, String schema) {
    return store.jdbi().withHandle(h -> h.createQuery("SELECT payload::text FROM " + schema + ".events")
        .mapTo(String.class).one());
  }

  private static boolean wrapped(PostgresEventStore store, String schema) {
    return store.jdbi().withHandle(h -> h.createQuery("SELECT wrapped FROM " + schema + ".subject_keys")
        .mapTo(Boolean.class).one());
  }
}
