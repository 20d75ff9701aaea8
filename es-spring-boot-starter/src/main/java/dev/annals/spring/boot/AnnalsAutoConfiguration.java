package dev.annals.spring.boot;

import dev.annals.core.EventRegistry;
import dev.annals.core.EventStore;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.postgres.PostgresSnapshotStore;
import javax.sql.DataSource;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.actuate.endpoint.SanitizingFunction;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * The event store and snapshot store on the application's {@link DataSource}, and an
 * {@code AggregateRepository} for each {@code AggregateType} bean. Needs an {@link EventRegistry}
 * bean. Each bean backs off when the application defines its own.
 */
@AutoConfiguration(afterName = "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration")
@EnableConfigurationProperties(AnnalsProperties.class)
public class AnnalsAutoConfiguration {

  /** Created by Spring. */
  public AnnalsAutoConfiguration() {}

  /**
   * The PostgreSQL event store in {@code annals.store.schema}, installing the schema first when
   * so configured (as the owner, when one is set, who then grants the application role). Backs
   * off for any {@link EventStore} of the application's, such as an in-memory one.
   */
  @Bean
  @ConditionalOnMissingBean(EventStore.class)
  @ConditionalOnSingleCandidate(DataSource.class)
  public PostgresEventStore annalsEventStore(DataSource dataSource, EventRegistry registry, AnnalsProperties properties,
      Environment environment) {
    AnnalsProperties.Store store = properties.store();
    SchemaSetup.prepare(store, () -> environment.getProperty("spring.datasource.url"));
    PostgresEventStore.Builder builder = PostgresEventStore.builder(registry);
    encryption(builder, registry, store.personalData());
    return builder
        .dataSource(dataSource)
        .schema(store.schema())
        .installSchema(SchemaSetup.applicationInstalls(store))
        .notifyInterval(store.notifyInterval())
        .maxEventSize((int) store.maxEventSize().toBytes())
        .horizonLag(store.horizonLag())
        .groupCommit(store.groupCommit().toStoreSetting())
        .build();
  }

  private static void encryption(PostgresEventStore.Builder builder, EventRegistry registry,
      AnnalsProperties.PersonalDataKeys keys) {
    if (!registry.declaresPersonalData() || registry.subjectKeys().isPresent()) {
      return;
    }
    if (keys.withoutMasterKey()) {
      builder.encryptPersonalDataWithoutMasterKey();
    } else {
      builder.encryptPersonalData(keys.key().orElseThrow(() -> new IllegalStateException(
          "the event registry declares personal data, which is stored encrypted: set "
              + "annals.store.personal-data.master-key (a 256-bit AES key in base64, kept outside the "
              + "database) or annals.store.personal-data.without-master-key=true (docs/compliance.md)")));
    }
  }

  /** The snapshot store in the event store's schema and pool. */
  @Bean
  @ConditionalOnMissingBean(dev.annals.core.SnapshotStore.class)
  @ConditionalOnBean(PostgresEventStore.class)
  public PostgresSnapshotStore annalsSnapshotStore(PostgresEventStore store) {
    return store.snapshotStore();
  }

  /** Registers a repository for each aggregate type bean that has none. */
  @Bean
  static AggregateRepositoryRegistrar annalsAggregateRepositoryRegistrar() {
    return new AggregateRepositoryRegistrar();
  }

  /** Actuator's endpoints, when on the class path, mask the starter's secrets. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "org.springframework.boot.actuate.endpoint.SanitizingFunction")
  static class SecretsConfiguration {

    /**
     * Masks the personal-data master key and the owner's password in {@code /actuator/env} and
     * {@code /actuator/configprops}, even where an application shows other values.
     */
    @Bean
    SanitizingFunction annalsSecretsSanitizer() {
      return SanitizingFunction.sanitizeValue().ifKeyMatches(AnnalsAutoConfiguration::isSecret);
    }
  }

  /**
   * Whether {@code key} names one of the starter's secrets, in any of the forms Actuator shows:
   * a property name in relaxed form, an environment variable, or a bound record's component.
   */
  static boolean isSecret(String key) {
    String k = key.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9]", "");
    return k.endsWith("personaldatamasterkey") || k.equals("masterkey") || k.endsWith("storeownerpassword")
        || k.equals("password");
  }
}
