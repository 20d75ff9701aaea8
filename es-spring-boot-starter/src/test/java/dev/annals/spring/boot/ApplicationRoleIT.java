package dev.annals.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.annals.core.AggregateRepository;
import dev.annals.core.AggregateType;
import dev.annals.core.EventRegistry;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.projections.ProjectionRunner;
import dev.annals.projections.Projector;
import dev.annals.spring.boot.Wallets.Deposit;
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

/**
 * The owner and application roles of docs/postgres.md through the starter: the owner installs
 * and grants, the application (its pool acting as the application role) appends, projects and
 * reads, but cannot change the log.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ApplicationRoleIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  static final String SUFFIX = UUID.randomUUID().toString().substring(0, 8);
  static final String OWNER = "annals_sb_owner_" + SUFFIX;
  static final String APP = "annals_sb_app_" + SUFFIX;
  static String schema;

  @BeforeAll
  static void roles() throws SQLException {
    schema = db.newSchema();
    superuser("CREATE ROLE " + OWNER + " NOLOGIN", "CREATE ROLE " + APP + " NOLOGIN",
        "ALTER SCHEMA " + schema + " OWNER TO " + OWNER);
  }

  @AfterAll
  static void dropRoles() throws SQLException {
    superuser("DROP SCHEMA IF EXISTS " + schema + " CASCADE", "DROP OWNED BY " + APP + ", " + OWNER,
        "DROP ROLE " + APP, "DROP ROLE " + OWNER);
  }

  static void superuser(String... statements) throws SQLException {
    try (Connection c = db.connect(); Statement st = c.createStatement()) {
      for (String sql : statements) {
        st.execute(sql);
      }
    }
  }

  @Test
  void the_owner_installs_and_grants_and_the_application_role_appends_and_projects_but_cannot_rewrite()
      throws SQLException {
    StarterContexts.on(db, schema)
        .withPropertyValues("annals.store.owner.role=" + OWNER, "annals.store.application-role=" + APP,
            // The test server's login is a superuser: the pool acts as the application role.
            "spring.datasource.hikari.connection-init-sql=SET ROLE " + APP)
        .withBean(EventRegistry.class, () -> Wallets.REGISTRY)
        .withBean("wallet", AggregateType.class, () -> Wallets.walletType(100))
        .withBean("balances", Projector.class, Wallets::balances)
        .run(context -> {
          assertThat(context).hasNotFailed();
          @SuppressWarnings("unchecked")
          AggregateRepository<Wallets.WalletCommand, Wallets.Wallet, Wallets.WalletEvent> wallets =
              context.getBean("walletRepository", AggregateRepository.class);
          wallets.handle("w-1", new Deposit(250));
          assertThat(context.getBean(ProjectionRunner.class).awaitCaughtUp("balances", Duration.ofSeconds(60)))
              .isTrue();
          PostgresEventStore store = context.getBean(PostgresEventStore.class);
          assertThat(StarterIT.balance(store, schema, "w-1")).contains(250L);
          String user = store.withHandle("who am I", h -> h.createQuery("SELECT current_user").mapTo(String.class).one());
          assertThat(user).isEqualTo(APP);
          assertThatThrownBy(() -> store.withHandle("rewrite", h -> h.execute("UPDATE " + schema
              + ".events SET payload = '{}'")))
              .hasMessageContaining("permission denied");
        });
    assertThat(tableOwner("events")).isEqualTo(OWNER);
    assertThat(tableOwner("projection_checkpoints")).isEqualTo(OWNER);
  }

  static String tableOwner(String table) throws SQLException {
    try (Connection c = db.connect(); Statement st = c.createStatement();
        var rs = st.executeQuery("SELECT tableowner FROM pg_tables WHERE schemaname = '" + schema
            + "' AND tablename = '" + table + "'")) {
      return rs.next() ? rs.getString(1) : null;
    }
  }
}
