package dev.annals.spring.boot.docs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.annals.postgres.PostgresEventStore;
import dev.annals.projections.ProjectionRunner;
import dev.annals.testkit.PostgresTestDatabase;
import java.time.Duration;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.health.registry.HealthContributorRegistry;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The example of docs/spring-boot.md started as Spring Boot starts an application: its
 * auto-configuration found through the starter's {@code AutoConfiguration.imports}, with Boot's
 * own DataSource.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class WalletApplicationIT {

  // tag::spring-boot-test[]
  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  @Test
  void a_deposit_reaches_the_balances_view() {
    try (ConfigurableApplicationContext app = new SpringApplicationBuilder(WalletApplication.class)
        .properties("spring.datasource.url=" + db.jdbcUrl(), "annals.store.schema=" + db.schema())
        .run()) {
      assertThat(app.getBean(Teller.class).deposit("w-1", 250)).isEqualTo(250);

      assertThat(app.getBean(ProjectionRunner.class).awaitCaughtUp("balances", Duration.ofSeconds(30))).isTrue();
      long cents = app.getBean(PostgresEventStore.class).withHandle("read balances", h -> h
          .createQuery("SELECT cents FROM " + db.schema() + ".balances WHERE wallet = 'w-1'")
          .mapTo(Long.class).one());
      assertThat(cents).isEqualTo(250);
    }
  }
  // end::spring-boot-test[]

  @Test
  void the_application_gets_health_for_its_projector() {
    try (ConfigurableApplicationContext app = new SpringApplicationBuilder(WalletApplication.class)
        .properties("spring.datasource.url=" + db.jdbcUrl(), "annals.store.schema=" + db.newSchema(),
            "spring.datasource.hikari.maximum-pool-size=6")
        .run()) {
      app.getBean(Teller.class).deposit("w-2", 5);
      assertThat(app.getBean(ProjectionRunner.class).awaitCaughtUp("balances", Duration.ofSeconds(30))).isTrue();
      // Registered as Boot names it, so the endpoint shows it at /actuator/health/annals/projectors/balances.
      CompositeHealthContributor annals = (CompositeHealthContributor) app.getBean(HealthContributorRegistry.class)
          .getContributor("annals");
      assertThat(annals).isSameAs(app.getBean("annalsHealthContributor"));
      HealthIndicator balances = (HealthIndicator) ((CompositeHealthContributor) annals.getContributor("projectors"))
          .getContributor("balances");
      dev.annals.testkit.Await.until("balances UP", Duration.ofSeconds(30),
          () -> balances.health().getStatus().equals(Status.UP));
    }
  }
}
