package dev.annals.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.annals.testkit.PostgresTestDatabase;

/** Pools for tests, on the test database's server. */
final class Pools {

  private Pools() {}

  static HikariDataSource pool(PostgresTestDatabase db, int size) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(db.jdbcUrl());
    config.setMaximumPoolSize(size);
    config.setMinimumIdle(0);
    config.setPoolName("test-" + db.schema());
    return new HikariDataSource(config);
  }
}
