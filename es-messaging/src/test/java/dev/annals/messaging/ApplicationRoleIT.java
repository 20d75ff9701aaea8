package dev.annals.messaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.annals.core.StreamId;
import dev.annals.messaging.inbox.Inbox;
import dev.annals.messaging.webhooks.WebhookSecretKey;
import dev.annals.messaging.webhooks.WebhookSubscription;
import dev.annals.messaging.webhooks.Webhooks;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.postgres.PostgresSchema;
import dev.annals.projections.ProjectionRunner;
import dev.annals.projections.ProjectionSchema;
import dev.annals.testkit.PostgresTestDatabase;
import java.net.URI;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Publishing, the inbox and webhooks run by the application role of docs/postgres.md, on tables
 * its owner installed and granted with the three grantApplicationRole methods.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ApplicationRoleIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  static final String SUFFIX = UUID.randomUUID().toString().substring(0, 8);
  static final String OWNER = "annals_owner_" + SUFFIX;
  static final String APP = "annals_app_" + SUFFIX;
  static final StreamId ACCOUNT = StreamId.of("account", "a1");

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
    MessagingSchema.install(ownerPool, schema);
    PostgresSchema.grantApplicationRole(ownerPool, schema, APP);
    ProjectionSchema.grantApplicationRole(ownerPool, schema, APP);
    MessagingSchema.grantApplicationRole(ownerPool, schema, APP);
    store = PostgresEventStore.builder(Fixtures.registry()).dataSource(appPool).schema(schema)
        .installSchema(true).build();
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
  void the_publisher_sends_the_log_as_the_application_role() throws Exception {
    List<OutgoingMessage> sent = new CopyOnWriteArrayList<>();
    MessageSink sink = new MessageSink() {
      @Override
      public String describe() {
        return "memory";
      }

      @Override
      public void send(List<OutgoingMessage> batch) {
        sent.addAll(batch);
      }

      @Override
      public void close() {}
    };
    UUID one = Fixtures.append(store, ACCOUNT, new Fixtures.Deposited(1));
    try (ProjectionRunner runner = Fixtures.runner(store, "a",
        Publisher.builder("mirror", sink).mapper(Fixtures.mapper()).build())) {
      runner.start();
      // Other tests of the class append to the same log: wait for this event, not the first one.
      Fixtures.await("the event published", Duration.ofSeconds(30),
          () -> sent.stream().anyMatch(m -> m.id().equals(one.toString())));
    }
    assertThat(sent).extracting(OutgoingMessage::id).contains(one.toString());
  }

  @Test
  void the_inbox_records_forgets_and_parks_as_the_application_role() throws Exception {
    Inbox inbox = Inbox.install(store);
    assertThat(inbox.process("wallets", "m1", h -> { })).isTrue();
    assertThat(inbox.process("wallets", "m1", h -> { })).as("redelivered").isFalse();
    long dead = inbox.deadLetter("wallets", "m2", Map.of("k", "v"), new byte[] {1}, "undecodable", 1);
    assertThat(inbox.deadLetters("wallets")).hasSize(1);
    inbox.discardDeadLetter(dead);
    assertThat(inbox.forgetBefore("wallets", Instant.now().plusSeconds(60))).isEqualTo(1);
  }

  @Test
  void webhook_subscriptions_and_deliveries_are_kept_by_the_application_role() {
    try (Webhooks webhooks = Webhooks.builder(store, Fixtures.mapper()).secretKey(WebhookSecretKey.generate())
        .allowLoopback(true).build();
        ProjectionRunner runner = Fixtures.runner(store, "w", webhooks.projector())) {
      WebhookSubscription s = webhooks.subscribe(URI.create("http://127.0.0.1:1/hooks"), Set.of(),
          "a-secret-of-enough-length-0123456789");
      Fixtures.append(store, ACCOUNT, new Fixtures.Deposited(2));
      runner.start();
      Fixtures.await("a delivery queued", Duration.ofSeconds(30), () -> !webhooks.pending(s.id()).isEmpty());
      assertThat(webhooks.unsubscribe(s.id())).isTrue();
    }
  }

  @Test
  void the_application_role_cannot_drop_or_truncate_the_messaging_tables() {
    for (String sql : List.of("DROP TABLE " + schema + ".inbox", "TRUNCATE " + schema + ".webhook_deliveries",
        "ALTER TABLE " + schema + ".inbox_dead_letters DISABLE TRIGGER ALL")) {
      assertThatThrownBy(() -> {
        try (Connection c = appPool.getConnection(); Statement st = c.createStatement()) {
          st.execute(sql);
        }
      }).as(sql).isInstanceOfSatisfying(SQLException.class,
          e -> assertThat(e.getSQLState()).as(e.getMessage()).isEqualTo("42501"));
    }
  }

  private static HikariDataSource pool(String role) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(db.jdbcUrl());
    config.setMaximumPoolSize(8);
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
