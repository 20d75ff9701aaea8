package dev.annals.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.annals.core.AggregateRepository;
import dev.annals.core.AggregateState;
import dev.annals.core.AggregateType;
import dev.annals.core.CommandContext;
import dev.annals.core.Decider;
import dev.annals.core.EventRegistry;
import dev.annals.core.ExpectedVersion;
import dev.annals.core.NewEvent;
import dev.annals.core.StreamId;
import dev.annals.testkit.PostgresTestDatabase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
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
 * The owner and application roles of docs/postgres.md: an owner installs and grants, the
 * application (connected as a role of its own, here through SET ROLE) appends and reads, and
 * cannot change, remove or unprotect the log.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ApplicationRoleIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  record Add(int n) {}

  record Added(int n) {}

  record Total(int sum) {}

  static final EventRegistry REGISTRY = EventRegistry.builder().register(Added.class, "Added").build();
  static final AggregateType<Add, Total, Added> COUNTER = AggregateType
      .builder("counter", Added.class, Decider.<Add, Total, Added>of(() -> new Total(0),
          (t, e) -> new Total(t.sum() + e.n()), (c, t) -> List.of(new Added(c.n()))))
      .snapshots(Total.class, 1).snapshotEvery(3).build();

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
    PostgresSchema.grantApplicationRole(ownerPool, schema, APP);
    // Installing switched on, as applications start: with the schema up to date it needs nothing
    // the application role lacks.
    store = PostgresEventStore.builder(REGISTRY).dataSource(appPool).schema(schema).installSchema(true)
        .notifyInterval(Duration.ZERO).build();
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

  @Test
  void the_application_role_appends_reads_and_loads_aggregates_with_snapshots() {
    StreamId batch = StreamId.of("counter", "batch");
    store.append(batch, ExpectedVersion.noStream(), List.of(event(1), event(2)));
    store.append(batch, ExpectedVersion.exactly(2), List.of(event(3)));
    assertThat(store.readStream(batch, 1, 10)).hasSize(3);
    assertThat(store.readAll(0, 100)).hasSizeGreaterThanOrEqualTo(3);

    try (AggregateRepository<Add, Total, Added> repo = AggregateRepository.builder(COUNTER, store)
        .snapshotStore(store.snapshotStore()).snapshotExecutor(Runnable::run).build()) {
      for (int i = 1; i <= 7; i++) {
        repo.handle("c1", new Add(i), CommandContext.of("add-" + i));
      }
      repo.evict("c1");
      assertThat(repo.load("c1")).isEqualTo(new AggregateState<>(StreamId.of("counter", "c1"), new Total(28), 7));
    }
    assertThat(store.snapshotStore().latest(StreamId.of("counter", "c1")))
        .as("snapshots written by the application role").isPresent();
    assertThat(store.integrityVerifier().verify(IntegrityVerifier.Scope.all()).intact()).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "UPDATE ${s}.events SET type = 'Forged'",
      "DELETE FROM ${s}.events",
      "TRUNCATE ${s}.events",
      "ALTER TABLE ${s}.events DISABLE TRIGGER events_append_only",
      "ALTER TABLE ${s}.events DISABLE TRIGGER ALL",
      "DROP TABLE ${s}.events CASCADE",
      "DROP TRIGGER events_append_only ON ${s}.events",
      "ALTER TABLE ${s}.events OWNER TO CURRENT_USER",
      "DROP FUNCTION ${s}.reject_event_change() CASCADE",
      "SELECT ${s}.rebase_transaction_ids()",
      "INSERT INTO ${s}.events (transaction_id, stream_id, category, version, event_id, type, schema_version,"
          + " payload, metadata, recorded_at, hash) VALUES ('1', 'x-1', 'x', 1, gen_random_uuid(), 'T', 1,"
          + " '{}', '{}', now(), '\\x00')",
      "UPDATE ${s}.streams SET state = 'erased'",
      "DELETE FROM ${s}.streams",
      "DELETE FROM ${s}.snapshots",
      "CREATE FUNCTION ${s}.sha256(text) RETURNS bytea LANGUAGE sql AS 'SELECT NULL::bytea'",
  })
  void the_application_role_cannot(String statement) {
    String sql = statement.replace("${s}", schema);
    assertThatThrownBy(() -> {
      try (Connection c = appPool.getConnection(); Statement st = c.createStatement()) {
        st.execute(sql);
      }
    }).as(sql).isInstanceOfSatisfying(SQLException.class,
        e -> assertThat(e.getSQLState()).as(e.getMessage()).isEqualTo("42501"));
  }

  @Test
  void its_connections_really_run_as_the_application_role() throws SQLException {
    try (Connection c = appPool.getConnection(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT current_user, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)")) {
      rs.next();
      assertThat(rs.getString(1)).isEqualTo(APP);
      assertThat(rs.getBoolean(2)).isFalse();
    }
  }

  @Test
  void granting_again_changes_nothing() throws SQLException {
    List<String> before = privileges();
    PostgresSchema.grantApplicationRole(ownerPool, schema, APP);
    assertThat(privileges()).isEqualTo(before).isNotEmpty();
  }

  @Test
  void only_the_owner_can_grant() {
    assertThatThrownBy(() -> PostgresSchema.grantApplicationRole(appPool, schema, APP))
        .isInstanceOf(SchemaException.class)
        .hasMessageContaining(APP)
        .hasMessageContaining("owner");
  }

  @Test
  void a_missing_or_reserved_role_is_refused_with_its_name() {
    assertThatThrownBy(() -> PostgresSchema.grantApplicationRole(ownerPool, schema, "no_such_role_" + SUFFIX))
        .isInstanceOf(SchemaException.class)
        .hasMessageContaining("no_such_role_" + SUFFIX);
    assertThatThrownBy(() -> PostgresSchema.grantApplicationRole(ownerPool, schema, "public"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'public'");
    assertThatThrownBy(() -> PostgresSchema.grantApplicationRole(ownerPool, schema, "current_user"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'current_user'");
    assertThatThrownBy(() -> PostgresSchema.applicationRoleScript(schema, "App; DROP TABLE x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("invalid role name");
  }

  @Test
  void docs_postgres_md_shows_the_shipped_script() throws IOException {
    Path doc = Path.of("").toAbsolutePath();
    while (!Files.exists(doc.resolve("docs/postgres.md"))) {
      doc = Objects.requireNonNull(doc.getParent(), "no docs/postgres.md above the working directory");
    }
    List<String> lines = Files.readAllLines(doc.resolve("docs/postgres.md"));
    int start = lines.indexOf("<!-- output: application-role-sql -->") + 2;
    assertThat(start).as("the marked block in docs/postgres.md").isGreaterThan(1);
    String shown = String.join("\n", lines.subList(start, lines.subList(start, lines.size()).indexOf("```") + start));
    String script = PostgresSchema.applicationRoleScript("bank", "bank_app");
    // The document leaves out the script's opening comment, up to the first blank line.
    assertThat(shown).isEqualTo(script.substring(script.indexOf("\n\n") + 2).strip());
  }

  private static NewEvent event(int n) {
    return NewEvent.of(new Added(n));
  }

  private static List<String> privileges() throws SQLException {
    List<String> lines = new ArrayList<>();
    try (Connection c = db.connect(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT c.relname || ' ' || coalesce(c.relacl::text, '') FROM pg_class c "
            + "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '" + schema + "' "
            + "UNION ALL SELECT a.attrelid::regclass::text || '.' || a.attname || ' ' || a.attacl::text "
            + "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            + "WHERE n.nspname = '" + schema + "' AND a.attacl IS NOT NULL "
            + "UNION ALL SELECT p.oid::regprocedure::text || ' ' || coalesce(p.proacl::text, '') FROM pg_proc p "
            + "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = '" + schema + "' ORDER BY 1")) {
      while (rs.next()) {
        lines.add(rs.getString(1));
      }
    }
    return lines;
  }

  private static HikariDataSource pool(String role) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(db.jdbcUrl());
    config.setMaximumPoolSize(3);
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
