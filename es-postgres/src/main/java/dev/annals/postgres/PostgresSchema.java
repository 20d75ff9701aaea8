package dev.annals.postgres;

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
import java.util.regex.Pattern;
import javax.sql.DataSource;

/**
 * Installs and checks the event store's tables in a PostgreSQL schema.
 *
 * <p>The DDL ships as versioned scripts on the classpath under {@value #SCRIPT_DIRECTORY}
 * ({@code V1__event_store.sql}, ...), with {@code ${schema}} as placeholder for the schema name,
 * so Flyway or Liquibase users can run them from their own migrations instead. {@link #install}
 * applies the missing ones in order, each once, in one transaction under an advisory lock, so
 * several nodes starting together do not race. A table {@code schema_version} records what ran.
 */
public final class PostgresSchema {

  /** The schema version this library needs. */
  public static final int CURRENT_VERSION = 2;

  /** Where the scripts are on the classpath. */
  public static final String SCRIPT_DIRECTORY = "dev/annals/postgres/schema/";

  private static final List<String> SCRIPTS = List.of("V1__event_store.sql", "V2__rebase_transaction_ids.sql");
  private static final Pattern NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

  private PostgresSchema() {}

  /**
   * Checks that {@code schema} is a name this library accepts: lower-case letters, digits and
   * underscores, starting with a letter or underscore, at most 63 characters.
   *
   * @throws IllegalArgumentException naming the bad value
   */
  public static String checkName(String schema) {
    Objects.requireNonNull(schema, "schema name must not be null");
    if (!NAME.matcher(schema).matches()) {
      throw new IllegalArgumentException("invalid schema name '" + schema + "': use 1 to 63 "
          + "lower-case letters, digits or underscores, starting with a letter or underscore");
    }
    return schema;
  }

  /**
   * Creates the schema if needed and applies every script it has not had yet.
   *
   * @return the schema version afterwards
   * @throws SchemaException if the database holds a newer version or a script fails
   */
  public static int install(DataSource dataSource, String schema) {
    checkName(schema);
    try (Connection c = dataSource.getConnection()) {
      boolean autoCommit = c.getAutoCommit();
      c.setAutoCommit(false);
      try {
        try (PreparedStatement lock = c.prepareStatement("SELECT pg_advisory_xact_lock(hashtext(?))")) {
          lock.setString(1, "annals.schema:" + schema);
          lock.execute();
        }
        try (Statement st = c.createStatement()) {
          st.execute("CREATE SCHEMA IF NOT EXISTS " + schema);
          st.execute("CREATE TABLE IF NOT EXISTS " + schema + ".schema_version ("
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
            throw new SchemaException("script " + script + " failed in schema '" + schema
                + "': " + e.getMessage(), e);
          }
          try (PreparedStatement ps = c.prepareStatement(
              "INSERT INTO " + schema + ".schema_version (version, script) VALUES (?, ?)")) {
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
      throw new SchemaException("cannot install the event store in schema '" + schema + "': "
          + e.getMessage(), e);
    }
  }

  /**
   * Checks that {@code schema} holds the event store at {@link #CURRENT_VERSION}.
   *
   * @throws SchemaException saying what is there, what is needed and how to fix it
   */
  public static void check(DataSource dataSource, String schema) {
    checkName(schema);
    int found;
    try (Connection c = dataSource.getConnection()) {
      found = readVersion(c, schema);
    } catch (SQLException e) {
      throw new SchemaException("cannot read the event store version in schema '" + schema
          + "': " + e.getMessage(), e);
    }
    if (found == 0) {
      throw new SchemaException("schema '" + schema + "' has no Annals event store (this library "
          + "needs schema version " + CURRENT_VERSION + "). Install it with "
          + "PostgresEventStore.builder(...).installSchema(true), PostgresSchema.install(dataSource, \""
          + schema + "\"), or your migration tool using the scripts under " + SCRIPT_DIRECTORY);
    }
    if (found < CURRENT_VERSION) {
      throw new SchemaException("schema '" + schema + "' holds event store version " + found
          + " but this library needs version " + CURRENT_VERSION + ". Upgrade it with "
          + "PostgresSchema.install(dataSource, \"" + schema + "\") or the scripts V" + (found + 1)
          + ".. under " + SCRIPT_DIRECTORY);
    }
    if (found > CURRENT_VERSION) {
      throw newerThanLibrary(schema, found);
    }
  }

  /**
   * The text of a shipped script with the schema name filled in, for tools that apply DDL
   * themselves.
   *
   * @param name a file name such as {@code V1__event_store.sql}
   */
  public static String script(String name, String schema) {
    checkName(schema);
    try (InputStream in = PostgresSchema.class.getClassLoader().getResourceAsStream(SCRIPT_DIRECTORY + name)) {
      if (in == null) {
        throw new IllegalArgumentException("no script " + name + " under " + SCRIPT_DIRECTORY);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("${schema}", schema);
    } catch (IOException e) {
      throw new SchemaException("cannot read script " + name + ": " + e.getMessage(), e);
    }
  }

  /** The shipped script names, oldest first. */
  public static List<String> scripts() {
    return SCRIPTS;
  }

  /**
   * Checks that the stored events' transaction ids are behind this cluster's transaction counter.
   * They are not after a dump and restore into another cluster, and readers would then miss new
   * events; this fails before that can happen, saying how to repair it.
   *
   * @throws SchemaException with the remedy when stored ids are ahead of the cluster
   */
  public static void checkTransactionIds(DataSource dataSource, String schema) {
    checkName(schema);
    try (Connection c = dataSource.getConnection();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT (SELECT max(transaction_id) FROM " + schema
            + ".events)::text, pg_snapshot_xmax(pg_current_snapshot())::text")) {
      rs.next();
      String storedText = rs.getString(1);
      if (storedText == null) {
        return;
      }
      long stored = Long.parseUnsignedLong(storedText);
      long next = Long.parseUnsignedLong(rs.getString(2));
      if (Long.compareUnsigned(stored, next) >= 0) {
        long epoch = (stored >>> 32) + 1;
        throw new SchemaException("schema '" + schema + "' holds events written by transaction id "
            + stored + " but this cluster is only at " + next + " (restored from another cluster?). "
            + "Readers would miss new events. Stop the cluster and start it in a later epoch with "
            + "`pg_resetwal -e " + epoch + " <data directory>` (exact, keeps every checkpoint), or, "
            + "with writers stopped and every projector caught up, run `SELECT " + schema
            + ".rebase_transaction_ids()` and move checkpoints to (1, head position). See docs/postgres.md.");
      }
    } catch (SQLException e) {
      throw new SchemaException("cannot compare transaction ids in schema '" + schema + "': "
          + e.getMessage(), e);
    }
  }

  private static int readVersion(Connection c, String schema) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT to_regclass(quote_ident(?) || '.schema_version') IS NOT NULL")) {
      ps.setString(1, schema);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        if (!rs.getBoolean(1)) {
          return 0;
        }
      }
    }
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT coalesce(max(version), 0) FROM " + schema + ".schema_version")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  private static SchemaException newerThanLibrary(String schema, int found) {
    return new SchemaException("schema '" + schema + "' holds event store version " + found
        + ", newer than this library's version " + CURRENT_VERSION
        + "; upgrade the application's Annals library");
  }
}
