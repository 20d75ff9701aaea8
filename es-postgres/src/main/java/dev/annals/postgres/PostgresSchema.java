package dev.annals.postgres;

import dev.annals.postgres.internal.RoleScript;
import dev.annals.postgres.internal.SchemaScripts;
import java.sql.Connection;
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
 *
 * <p>Least privilege: an owner role installs and migrates, and {@link #grantApplicationRole}
 * then lets the application's role append and read, but not change, delete or truncate events,
 * nor disable the log's triggers or drop it (see docs/postgres.md).
 */
public final class PostgresSchema {

  /** The schema version this library needs. */
  public static final int CURRENT_VERSION = 10;

  /** Where the scripts are on the classpath. */
  public static final String SCRIPT_DIRECTORY = "dev/annals/postgres/schema/";

  // Before SCRIPTS: building the script set validates names with it.
  private static final Pattern NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
  private static final SchemaScripts SCRIPTS = SchemaScripts.of("event store",
      PostgresSchema.class::getResourceAsStream, SCRIPT_DIRECTORY, "schema_version",
      List.of("V1__event_store.sql", "V2__rebase_transaction_ids.sql", "V3__drop_category_index.sql",
          "V4__append_event.sql", "V5__single_event_statement.sql", "V6__snapshot_binding.sql",
          "V7__append_group.sql", "V8__horizon_fence.sql", "V9__subject_keys.sql",
          "V10__archived_streams.sql"));

  private static final RoleScript APPLICATION_ROLE = RoleScript.of("event store",
      PostgresSchema.class::getResourceAsStream, SCRIPT_DIRECTORY + "application_role.sql");

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
    return SCRIPTS.install(dataSource, schema);
  }

  /**
   * Checks that {@code schema} holds the event store at {@link #CURRENT_VERSION}.
   *
   * @throws SchemaException saying what is there, what is needed and how to fix it
   */
  public static void check(DataSource dataSource, String schema) {
    SCRIPTS.check(dataSource, schema, "PostgresEventStore.builder(...).installSchema(true) or "
        + "PostgresSchema.install(dataSource, \"" + schema + "\")");
  }

  /**
   * Grants the application role {@code role} what the event and snapshot stores need (read,
   * append, write snapshots) and nothing more, and takes execute rights on the schema's functions
   * from everyone else. Run it as the owner of the installed tables, after {@link #install}, and
   * again after each upgrade; running it twice changes nothing. The script is
   * {@code application_role.sql} under {@value #SCRIPT_DIRECTORY} (see {@link #applicationRoleScript}).
   *
   * @param role an existing role, such as {@code bank_app}; its name is checked like a schema name
   *     and must not be {@code public}
   * @throws IllegalArgumentException if a name is invalid
   * @throws SchemaException if the role does not exist, the event store is not installed, or the
   *     connection's role does not own it
   */
  public static void grantApplicationRole(DataSource dataSource, String schema, String role) {
    APPLICATION_ROLE.grant(dataSource, schema, role);
  }

  /**
   * The text of the grants {@link #grantApplicationRole} runs, for tools that apply SQL
   * themselves.
   *
   * @throws IllegalArgumentException if a name is invalid
   */
  public static String applicationRoleScript(String schema, String role) {
    return APPLICATION_ROLE.script(schema, role);
  }

  /**
   * The text of a shipped script with the schema name filled in, for tools that apply DDL
   * themselves.
   *
   * @param name a file name such as {@code V1__event_store.sql}
   */
  public static String script(String name, String schema) {
    return SCRIPTS.script(name, schema);
  }

  /** The shipped script names, oldest first. */
  public static List<String> scripts() {
    return SCRIPTS.scripts();
  }

  /**
   * Checks that the stored events' transaction ids are behind this cluster's transaction counter.
   * They are not after a dump and restore into another cluster, and readers would then miss new
   * events; this fails before that can happen, saying how to repair it.
   *
   * @throws SchemaException with the remedy when stored ids are ahead of the cluster
   */
  static void checkTransactionIds(DataSource dataSource, String schema) {
    checkName(schema);
    try (Connection c = dataSource.getConnection();
        Statement st = c.createStatement();
        // The horizon fence too: one ahead of the counter would refuse every append.
        ResultSet rs = st.executeQuery("SELECT (SELECT greatest(max(transaction_id), (SELECT nullif(h.fence, "
            + "'0') FROM " + schema + ".log_horizon h)) FROM " + schema + ".events)::text, "
            + "pg_snapshot_xmax(pg_current_snapshot())::text")) {
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
}
