package dev.annals.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.annals.testkit.PostgresTestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * schema/current.sql, the hand-kept picture of today's schema, against what the migrations
 * build: every relation, column, constraint, index, trigger and function, as the catalogs give
 * them back, must be the same.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class CurrentSchemaIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  /** Each query lists one kind of object of schema {@code ?}, one line per object. */
  private static final List<String> CATALOG = List.of(
      "SELECT 'relation ' || c.relname || ' kind ' || c.relkind::text || ' options '"
          + " || coalesce(array_to_string(c.reloptions, ','), '')"
          + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ?",
      "SELECT 'column ' || c.relname || '.' || a.attname || ' #' || a.attnum || ' '"
          + " || format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END"
          + " || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')"
          + " || CASE WHEN a.attidentity <> '' THEN ' identity ' || a.attidentity::text ELSE '' END"
          + " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
          + " JOIN pg_namespace n ON n.oid = c.relnamespace"
          + " LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
          + " WHERE n.nspname = ? AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped",
      "SELECT 'constraint ' || c.relname || '.' || k.conname || ' ' || pg_get_constraintdef(k.oid)"
          + " FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid"
          + " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ?",
      "SELECT 'index ' || indexname || ' ' || indexdef FROM pg_indexes WHERE schemaname = ?",
      "SELECT 'trigger ' || t.tgname || ' enabled ' || t.tgenabled::text || ' ' || pg_get_triggerdef(t.oid)"
          + " FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
          + " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ? AND NOT t.tgisinternal",
      "SELECT 'function ' || p.proname || ' ' || pg_get_functiondef(p.oid)"
          + " FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = ?");

  @Test
  void current_sql_describes_exactly_what_the_migrations_build() throws SQLException {
    String migrated = db.newSchema();
    PostgresSchema.install(db.dataSource(), migrated);
    String current = db.newSchema();
    try (Connection c = db.connect(); Statement st = c.createStatement()) {
      st.execute(PostgresSchema.script("current.sql", current));
    }

    List<String> expected = catalog(migrated);
    assertThat(expected).as("the catalog queries find the migrated schema's objects")
        .anyMatch(line -> line.startsWith("function append_events "))
        .anyMatch(line -> line.startsWith("trigger events_append_only "))
        .anyMatch(line -> line.startsWith("index events_reader_order "))
        .anyMatch(line -> line.startsWith("function forget_subject "));
    assertThat(catalog(current)).containsExactlyElementsOf(expected);
  }

  /** The objects of {@code schema}, sorted, with its name written as the scripts' placeholder. */
  private static List<String> catalog(String schema) throws SQLException {
    List<String> lines = new ArrayList<>();
    try (Connection c = db.connect()) {
      for (String query : CATALOG) {
        try (PreparedStatement ps = c.prepareStatement(query)) {
          ps.setString(1, schema);
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              lines.add(rs.getString(1).replace(schema, "${schema}"));
            }
          }
        }
      }
    }
    lines.sort(null);
    return lines;
  }
}
