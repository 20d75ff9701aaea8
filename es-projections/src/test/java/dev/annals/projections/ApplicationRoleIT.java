package dev.annals.projections;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.annals.core.LogFilter;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.postgres.PostgresSchema;
import dev.annals.testkit.PostgresTestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Projectors run by the application role of docs/postgres.md, on tables its owner installed:
 * they create their read models, move checkpoints, park dead letters and switch versions, while
 * the projection tables themselves stay the owner's.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ApplicationRoleIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  static final String SUFFIX = UUID.randomUUID().toString().substring(0, 8);
  static final String OWNER = "annals_owner_" + SUFFIX;
  static final String APP = "annals_app_" + SUFFIX;

  static String schema;
  static HikariDataSource ownerPool;
  static HikariDataSource appPool;
  static PostgresEventStore store;

  @BeforeAll
  static void install() throws SQLException {
    schema = db.newSchema();
    superuser("CREATE ROLE " + OWNER + " NOLOGIN", "CREATE ROLE " + APP + " NOLOGIN",
        "ALTER SCHEMA " + schema + " OWNER TO " + OWNER);
    ownerPool = pool(OWNER);
    appPool = pool(APP);
    PostgresSchema.install(ownerPool, schema);
    ProjectionSchema.install(ownerPool, schema);
    PostgresSchema.grantApplicationRole(ownerPool, schema, APP);
    ProjectionSchema.grantApplicationRole(ownerPool, schema, APP);
    store = PostgresEventStore.builder(Bank.registry()).dataSource(appPool).schema(schema).installSchema(true)
        .build();
  }

  @AfterAll
  static void drop() throws SQLException {
    if (store != null) {
      store.close();
    }
    for (HikariDataSource pool : new HikariDataSource[] {appPool, ownerPool}) {
      if (pool != null) {
        pool.close();
      }
    }
    superuser("DROP SCHEMA IF EXISTS " + schema + " CASCADE", "DROP OWNED BY " + APP + ", " + OWNER,
        "DROP ROLE " + APP, "DROP ROLE " + OWNER);
  }

  /** Sums deposits per account; parks frozen accounts' events and goes on. */
  static Projector totals(int version) {
    return Projector.builder("totals")
        .version(version)
        .filter(LogFilter.categories("account"))
        .onFailure(FailurePolicy.CONTINUE)
        .retries(1, Duration.ofMillis(1), Duration.ofMillis(2))
        .tables("totals")
        .setup(t -> t.handle().execute("CREATE TABLE " + t.table("totals")
            + " (account text PRIMARY KEY, cents bigint NOT NULL)"))
        .handler((event, ctx) -> {
          if (event.payload() instanceof Bank.Frozen f) {
            throw new IllegalStateException("frozen: " + f.reason());
          }
          ctx.handle().execute("INSERT INTO " + ctx.table("totals") + " VALUES (?, ?) ON CONFLICT (account) "
              + "DO UPDATE SET cents = " + ctx.table("totals") + ".cents + excluded.cents",
              event.streamId().id(), event.payload(Bank.Deposited.class).cents());
        })
        .build();
  }

  @Test
  void projectors_build_switch_and_park_as_the_application_role() {
    Bank.deposit(store, Bank.account(1), 5);
    Bank.deposit(store, Bank.account(1), 7);
    Bank.deposit(store, Bank.account(2), 1);
    store.append(Bank.account(3), dev.annals.core.ExpectedVersion.any(),
        dev.annals.core.NewEvent.of(new Bank.Frozen("court order")));

    try (ProjectionRunner v1 = Bank.runner(store, "one", totals(1)).build()) {
      v1.start();
      assertThat(v1.awaitCaughtUp("totals", Duration.ofSeconds(30))).isTrue();
      assertThat(total("a1")).isEqualTo(12);
      assertThat(v1.deadLetters("totals")).as("the frozen account's event, parked").hasSize(1);
    }
    try (ProjectionRunner v2 = Bank.runner(store, "two", totals(2)).build()) {
      v2.start();
      Bank.await("version 2 serves reads", Duration.ofSeconds(30), () -> activeVersion() == 2);
      assertThat(total("a1")).isEqualTo(12);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "DROP TABLE ${s}.projection_checkpoints",
      "TRUNCATE ${s}.projection_dead_letters",
      "ALTER TABLE ${s}.projection_versions ADD COLUMN x int",
      "UPDATE ${s}.events SET type = 'Forged'",
      "ALTER TABLE ${s}.events DISABLE TRIGGER ALL",
  })
  void the_application_role_still_cannot(String statement) {
    String sql = statement.replace("${s}", schema);
    assertThatThrownBy(() -> {
      try (Connection c = appPool.getConnection(); Statement st = c.createStatement()) {
        st.execute(sql);
      }
    }).as(sql).isInstanceOfSatisfying(SQLException.class,
        e -> assertThat(e.getSQLState()).as(e.getMessage()).isEqualTo("42501"));
  }

  private static long total(String account) {
    return store.jdbi().withHandle(h -> h.createQuery("SELECT cents FROM " + schema + ".totals WHERE account = :a")
        .bind("a", account).mapTo(Long.class).one());
  }

  private static int activeVersion() {
    return store.jdbi().withHandle(h -> h.createQuery("SELECT coalesce(max(active_version), 0) FROM " + schema
        + ".projection_versions WHERE projector = 'totals'").mapTo(Integer.class).one());
  }

  private static HikariDataSource pool(String role) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(db.jdbcUrl());
    config.setMaximumPoolSize(6);
    config.setMinimumIdle(0);
    config.setPoolName("test-" + role);
    config.setConnectionInitSql("SET ROLE " + role);
    return new HikariDataSource(config);
  }

  private static void superuser(String... statements) throws SQLException {
    try (Connection c = db.connect(); Statement st = c.createStatement()) {
      for (String sql : statements) {
        st.execute(sql);
      }
    }
  }
}
