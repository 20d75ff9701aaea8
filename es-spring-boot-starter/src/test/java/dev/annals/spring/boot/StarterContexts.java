package dev.annals.spring.boot;

import dev.annals.testkit.PostgresTestDatabase;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** Application contexts as Spring Boot builds them: Boot's DataSource, then the starter. */
final class StarterContexts {

  private StarterContexts() {}

  /**
   * A runner of contexts on {@code db}'s server in a schema of their own, with a small pool and
   * quick projector polling. Leases outlast any handler a test holds up, so that a partition is never lost to its own slowness.
   */
  static ApplicationContextRunner on(PostgresTestDatabase db, String schema) {
    return new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class, AnnalsAutoConfiguration.class,
            AnnalsProjectionsAutoConfiguration.class, AnnalsHealthAutoConfiguration.class))
        .withPropertyValues("spring.datasource.url=" + db.jdbcUrl(),
            "spring.datasource.hikari.maximum-pool-size=6",
            "annals.store.schema=" + schema,
            "annals.projections.lease-duration=60s",
            "annals.projections.poll-max=50ms");
  }
}
