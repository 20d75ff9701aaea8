package dev.annals.web;

import dev.annals.messaging.CloudEventMapper;
import dev.annals.postgres.PostgresEventStore;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/**
 * An {@link EventFollowing} on the application's {@link PostgresEventStore}, configured by
 * {@code annals.web.*}, in a servlet web application. Backs off when the application defines its
 * own. The application mounts paths with a {@link FollowRoutes} bean.
 */
@AutoConfiguration(afterName = "dev.annals.spring.boot.AnnalsAutoConfiguration")
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@EnableConfigurationProperties(WebFollowingProperties.class)
public class WebFollowingAutoConfiguration {

  /** Created by Spring. */
  public WebFollowingAutoConfiguration() {}

  /**
   * The followers of the store's log, writing events with the application's
   * {@link CloudEventMapper} if it has one, else with one of source {@code annals.web.source}.
   */
  @Bean
  @ConditionalOnMissingBean
  @ConditionalOnBean(PostgresEventStore.class)
  public EventFollowing annalsEventFollowing(PostgresEventStore store,
      ObjectProvider<CloudEventMapper> mappers, WebFollowingProperties properties) {
    CloudEventMapper mapper = mappers.getIfUnique(() -> CloudEventMapper.builder(store.registry())
        .source(properties.source()).build());
    return EventFollowing.builder(store, mapper)
        .maxFollowers(properties.maxFollowers())
        .maxWait(properties.maxWait())
        .bufferSize(properties.bufferSize())
        .heartbeat(properties.heartbeat())
        .build();
  }
}
