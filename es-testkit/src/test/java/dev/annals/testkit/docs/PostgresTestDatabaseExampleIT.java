package dev.annals.testkit.docs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.annals.testkit.PostgresTestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The {@link PostgresTestDatabase} example in docs/testing.md; needs a PostgreSQL server. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class PostgresTestDatabaseExampleIT {

  // tag::postgres-test-database[]
  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  @Test
  void each_test_class_gets_a_schema_of_its_own() throws SQLException {
    String table = db.schema() + ".balances";
    try (Connection connection = db.dataSource().getConnection();
        Statement sql = connection.createStatement()) {
      sql.execute("CREATE TABLE " + table + " (wallet text PRIMARY KEY, cents bigint NOT NULL)");
      sql.execute("INSERT INTO " + table + " VALUES ('w-42', 500)");
      try (ResultSet rows = sql.executeQuery("SELECT cents FROM " + table)) {
        assertThat(rows.next()).isTrue();
        assertThat(rows.getLong("cents")).isEqualTo(500);
      }
    }
  }
  // end::postgres-test-database[]

  @Test
  void another_schema_is_there_for_a_test_that_needs_one() throws SQLException {
    String other = db.newSchema();
    assertThat(other).isNotEqualTo(db.schema()).startsWith("annals_");
    try (Connection connection = db.connect();
        ResultSet rows = connection.getMetaData().getSchemas(null, other)) {
      assertThat(rows.next()).as("schema %s exists", other).isTrue();
    }
  }
}
