package dev.annals.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.annals.core.EventRegistry;
import dev.annals.core.LogFilter;
import dev.annals.core.StreamId;
import dev.annals.messaging.CloudEventMapper;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.spring.boot.AnnalsAutoConfiguration;
import dev.annals.testkit.PostgresTestDatabase;
import dev.annals.web.docs.FeedApplication.Deposited;
import java.time.Duration;
import javax.sql.DataSource;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The builders' checks and the auto-configuration's choices, on a real store. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ConfigurationIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  static EventRegistry registry() {
    return EventRegistry.builder().register(Deposited.class, "Deposited").build();
  }

  final WebApplicationContextRunner web = new WebApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(AnnalsAutoConfiguration.class, WebFollowingAutoConfiguration.class))
      .withBean(DataSource.class, db::dataSource)
      .withBean(EventRegistry.class, ConfigurationIT::registry)
      .withPropertyValues("annals.store.schema=" + db.schema());

  @Test
  void the_auto_configuration_builds_the_followers_from_the_properties() {
    web.withPropertyValues("annals.web.max-followers=7", "annals.web.max-wait=45s").run(ctx -> {
      EventFollowing following = ctx.getBean(EventFollowing.class);
      assertThat(following.maxFollowers()).isEqualTo(7);
      assertThat(following.maxWait()).isEqualTo(Duration.ofSeconds(45));
    });
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnFollowing {
    @Bean
    EventFollowing mine(PostgresEventStore store) {
      return EventFollowing.builder(store, CloudEventMapper.builder(store.registry()).source("urn:test").build())
          .maxFollowers(3).build();
    }
  }

  @Test
  void the_auto_configuration_backs_off_to_the_applications_own_followers() {
    web.withUserConfiguration(OwnFollowing.class).run(ctx -> {
      assertThat(ctx.getBeansOfType(EventFollowing.class)).containsOnlyKeys("mine");
      assertThat(ctx.getBean(EventFollowing.class).maxFollowers()).isEqualTo(3);
    });
  }

  @Test
  void an_application_that_is_no_servlet_web_application_gets_no_followers() {
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(AnnalsAutoConfiguration.class, WebFollowingAutoConfiguration.class))
        .withBean(DataSource.class, db::dataSource)
        .withBean(EventRegistry.class, ConfigurationIT::registry)
        .withPropertyValues("annals.store.schema=" + db.schema())
        .run(ctx -> assertThat(ctx).doesNotHaveBean(EventFollowing.class));
  }

  @Test
  void the_builders_refuse_bad_settings_naming_them() {
    try (PostgresEventStore store = PostgresEventStore.builder(registry()).dataSource(db.dataSource())
        .schema(db.newSchema()).installSchema(true).build()) {
      EventFollowing.Builder b = EventFollowing.builder(store,
          CloudEventMapper.builder(store.registry()).source("urn:test").build());
      assertThatThrownBy(() -> b.maxFollowers(0)).hasMessage("maxFollowers must be 1 or more, was 0");
      assertThatThrownBy(() -> b.maxWait(Duration.ZERO)).hasMessageContaining("maxWait must be positive");
      assertThatThrownBy(() -> b.maxWait(Duration.ofHours(1))).hasMessageContaining("at most 10 minutes, was PT1H");
      assertThatThrownBy(() -> b.bufferSize(0)).hasMessage("bufferSize must be 1 or more events, was 0");
      assertThatThrownBy(() -> b.heartbeat(Duration.ofMillis(5))).hasMessage("heartbeat must be 100 ms or more, was PT0.005S");
      assertThatThrownBy(() -> b.pageSize(0)).hasMessage("pageSize must be between 1 and 10000, was 0");

      try (EventFollowing following = b.build()) {
        FollowRoutes.Builder routes = FollowRoutes.builder(following);
        assertThatThrownBy(routes::build).hasMessageContaining("at least one log(...) or stream(...) path");
        assertThatThrownBy(() -> routes.log("events")).hasMessage("path must start with /, was 'events'");
        assertThatThrownBy(() -> routes.stream("/accounts/events", id -> StreamId.of("account", id)))
            .hasMessageContaining("must hold the variable {id}");
        routes.log("/events", LogFilter.categories("account"));
        assertThatThrownBy(() -> routes.log("/events")).hasMessage("path '/events' is already mounted");
        assertThat(routes.build()).isNotNull();
      }
    }
  }
}
