package dev.annals.bank;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.annals.bank.domain.AccountEvent;
import dev.annals.core.ExpectedVersion;
import dev.annals.core.NewEvent;
import dev.annals.core.StreamId;
import dev.annals.testkit.PostgresTestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The roles the bank runs as: its own owner and application roles, or the login it is given. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class BankStorageIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  @Test
  void with_separate_roles_the_owner_role_owns_the_log_and_the_bank_runs_as_the_application_role() {
    String schema = db.newSchema();
    try (BankStorage storage = BankStorage.postgres(db.jdbcUrl(), schema, true, BankStorage.Access.SEPARATE_ROLES)) {
      assertThat(currentUser(storage)).isEqualTo(BankStorage.APPLICATION_ROLE);
      assertThat(tableOwner(storage, schema + ".events")).isEqualTo(BankStorage.OWNER_ROLE);
      assertThat(tableOwner(storage, schema + ".projection_checkpoints")).isEqualTo(BankStorage.OWNER_ROLE);
      assertThat(storage.description()).contains("running as role " + BankStorage.APPLICATION_ROLE);
    }
    try (BankStorage again = BankStorage.postgres(db.jdbcUrl(), schema, false, BankStorage.Access.SEPARATE_ROLES)) {
      assertThat(currentUser(again)).as("opening the schema the bank made before").isEqualTo(BankStorage.APPLICATION_ROLE);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "UPDATE ${s}.events SET type = 'Forged'",
      "DELETE FROM ${s}.events",
      "TRUNCATE ${s}.events",
      "ALTER TABLE ${s}.events DISABLE TRIGGER events_append_only",
      "DROP TABLE ${s}.events CASCADE",
  })
  void with_separate_roles_the_bank_cannot_rewrite_its_log(String statement) {
    String schema = db.newSchema();
    try (BankStorage storage = BankStorage.postgres(db.jdbcUrl(), schema, true, BankStorage.Access.SEPARATE_ROLES)) {
      storage.store().append(StreamId.of("account", "1001"), ExpectedVersion.noStream(),
          NewEvent.of(new AccountEvent.Closed()));
      String sql = statement.replace("${s}", schema);
      assertThatThrownBy(() -> storage.store().jdbi().useHandle(h -> h.execute(sql)))
          .as(sql).isInstanceOfSatisfying(UnableToExecuteStatementException.class,
              e -> assertThat(((SQLException) e.getCause()).getSQLState()).isEqualTo("42501"));
    }
  }

  @Test
  void as_given_the_bank_runs_as_the_urls_login() throws SQLException {
    String login;
    try (Connection c = db.connect(); Statement st = c.createStatement();
        var rs = st.executeQuery("SELECT current_user")) {
      rs.next();
      login = rs.getString(1);
    }
    String schema = db.newSchema();
    try (BankStorage storage = BankStorage.postgres(db.jdbcUrl(), schema, false, BankStorage.Access.AS_GIVEN)) {
      assertThat(currentUser(storage)).isEqualTo(login);
      assertThat(storage.description()).doesNotContain("role");
    }
  }

  @Test
  void a_schema_of_another_role_is_refused_with_separate_roles_naming_its_owner() throws SQLException {
    String schema = db.newSchema();
    String owner;
    try (Connection c = db.connect(); Statement st = c.createStatement();
        var rs = st.executeQuery("SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = '" + schema + "'")) {
      rs.next();
      owner = rs.getString(1);
    }
    assertThatThrownBy(() -> BankStorage.postgres(db.jdbcUrl(), schema, false, BankStorage.Access.SEPARATE_ROLES))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("schema " + schema)
        .hasMessageContaining("belongs to role " + owner);
  }

  private static String currentUser(BankStorage storage) {
    return storage.store().jdbi().withHandle(h -> h.createQuery("SELECT current_user").mapTo(String.class).one());
  }

  private static String tableOwner(BankStorage storage, String table) {
    return storage.store().jdbi().withHandle(h -> h.createQuery(
        "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = CAST(:t AS regclass)")
        .bind("t", table).mapTo(String.class).one());
  }
}
