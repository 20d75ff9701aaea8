package dev.annals.projections;

import dev.annals.postgres.PostgresSchema;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * Installs and checks the projection tables (checkpoints, dead letters, active versions) in the
 * event store's schema.
 *
 * <p>The DDL ships as versioned scripts on the classpath under {@value #SCRIPT_DIRECTORY} with
 * {@code ${schema}} as placeholder, so Flyway or Liquibase users can run them from their own
 * migrations. {@link #install} applies the missing ones in order, each once, in one transaction
 * under an advisory lock, so several nodes starting together do not race; the table
 * {@code projection_schema_version} records what ran.
 *
 * <p>Thread-safe: stateless.
 */
public final class ProjectionSchema {

  /** The projection schema version this library needs. */
  public static final int CURRENT_VERSION = 1;

  /** Where the scripts are on the classpath. */
  public static final String SCRIPT_DIRECTORY = "dev/annals/projections/schema/";

  private static final List<String> SCRIPTS = List.of("V1__projections.sql");

  private ProjectionSchema() {}

  /**
   * Applies every projection script {@code schema} has not had yet. The event store must be
   * installed in the same schema first.
   *
   * @return the projection schema version afterwards
   * @throws IllegalArgumentException if {@code schema} is not a valid schema name
   * @throws ProjectionException if the schema holds a newer version or a script fails
   */
  public static int install(DataSource dataSource, String schema) {
    Objects.requireNonNull(dataSource, "dataSource must not be null");
    PostgresSchema.checkName(schema);
    try (Connection c = dataSource.getConnection()) {
      boolean autoCommit = c.getAutoCommit();
      c.setAutoCommit(false);
      try {
        try (PreparedStatement lock = c.prepareStatement("SELECT pg_advisory_xact_lock(hashtext(?))")) {
          lock.setString(1, "annals.projections.schema:" + schema);
          lock.execute();
        }
        try (Statement st = c.createStatement()) {
          st.execute("CREATE TABLE IF NOT EXISTS " + schema + ".projection_schema_version ("
              + "version integer PRIMARY KEY, script text NOT NULL, "
              + "installed_at timestamptz NOT NULL DEFAULT now())");
        }
        int installed = readVersion(c, schema);
        if (installed > CURRENT_VERSION) {
          throw newerThanLibrary(schema, installed);
        }
        for (int v = installed + 1; v <= CURRENT_VERSION; v++) {
          String script = SCRIPTS.get(v - 1);
          try (Statement st = c.createStatement()) {
            st.execute(script(script, schema));
          } catch (SQLException e) {
            throw new ProjectionException("projection script " + script + " failed in schema '"
                + schema + "': " + e.getMessage(), e, false);
          }
          try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + schema
              + ".projection_schema_version (version, script) VALUES (?, ?)")) {
            ps.setInt(1, v);
            ps.setString(2, script);
            ps.executeUpdate();
          }
        }
        c.commit();
        return CURRENT_VERSION;
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      } finally {
        c.setAutoCommit(autoCommit);
      }
    } catch (SQLException e) {
      throw new ProjectionException("cannot install the projection tables in schema '" + schema
          + "': " + e.getMessage(), e, Failures.isConnectionLoss(e));
    }
  }

  /**
   * Checks that {@code schema} holds the projection tables at {@link #CURRENT_VERSION}.
   *
   * @throws ProjectionException saying what is there, what is needed and how to fix it
   */
  public static void check(DataSource dataSource, String schema) {
    Objects.requireNonNull(dataSource, "dataSource must not be null");
    PostgresSchema.checkName(schema);
    int found;
    try (Connection c = dataSource.getConnection()) {
      found = readVersion(c, schema);
    } catch (SQLException e) {
      throw new ProjectionException("cannot read the projection schema version in schema '"
          + schema + "': " + e.getMessage(), e, Failures.isConnectionLoss(e));
    }
    if (found > CURRENT_VERSION) {
      throw newerThanLibrary(schema, found);
    }
    if (found < CURRENT_VERSION) {
      throw new ProjectionException("schema '" + schema + "' holds projection tables version "
          + found + " but this library needs version " + CURRENT_VERSION + ". Install them with "
          + "ProjectionRunner.builder(store).installSchema(true), ProjectionSchema.install(dataSource, \""
          + schema + "\"), or your migration tool using the scripts under " + SCRIPT_DIRECTORY,
          null, false);
    }
  }

  /**
   * The text of a shipped script with the schema name filled in, for tools that apply DDL
   * themselves.
   *
   * @param name a file name such as {@code V1__projections.sql}
   * @throws IllegalArgumentException if there is no such script or the schema name is invalid
   */
  public static String script(String name, String schema) {
    PostgresSchema.checkName(schema);
    try (InputStream in = ProjectionSchema.class.getClassLoader().getResourceAsStream(SCRIPT_DIRECTORY + name)) {
      if (in == null) {
        throw new IllegalArgumentException("no projection script " + name + " under " + SCRIPT_DIRECTORY);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("${schema}", schema);
    } catch (IOException e) {
      throw new ProjectionException("cannot read projection script " + name + ": " + e.getMessage(), e, false);
    }
  }

  /** The shipped script names, oldest first. */
  public static List<String> scripts() {
    return SCRIPTS;
  }

  private static int readVersion(Connection c, String schema) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT to_regclass(quote_ident(?) || '.projection_schema_version') IS NOT NULL")) {
      ps.setString(1, schema);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        if (!rs.getBoolean(1)) {
          return 0;
        }
      }
    }
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT coalesce(max(version), 0) FROM " + schema
            + ".projection_schema_version")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  private static ProjectionException newerThanLibrary(String schema, int found) {
    return new ProjectionException("schema '" + schema + "' holds projection tables version "
        + found + ", newer than this library's version " + CURRENT_VERSION
        + "; upgrade the application's Annals library", null, false);
  }
}
