package dev.annals.projections;

import dev.annals.postgres.SchemaException;
import dev.annals.postgres.internal.RoleScript;
import dev.annals.postgres.internal.SchemaScripts;
import java.util.List;
import javax.sql.DataSource;

/**
 * Installs and checks the projection tables (checkpoints, dead letters, active versions, the
 * nodes running each projector, the tables each version created) in the event store's schema.
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
  public static final int CURRENT_VERSION = 3;

  /** Where the scripts are on the classpath. */
  public static final String SCRIPT_DIRECTORY = "dev/annals/projections/schema/";

  private static final SchemaScripts SCRIPTS = SchemaScripts.of("projection tables",
      ProjectionSchema.class::getResourceAsStream, SCRIPT_DIRECTORY, "projection_schema_version",
      List.of("V1__projections.sql", "V2__projection_members.sql",
          "V3__projection_tables.sql"));

  private static final RoleScript APPLICATION_ROLE = RoleScript.of("projection tables",
      ProjectionSchema.class::getResourceAsStream, SCRIPT_DIRECTORY + "application_role.sql");

  private ProjectionSchema() {}

  /**
   * Grants the application role {@code role} what projectors need: to read and write the
   * checkpoint, dead-letter and version tables, and to create read-model tables and views in
   * {@code schema}. Run it as the owner of the projection tables, after {@link #install} and
   * together with {@link dev.annals.postgres.PostgresSchema#grantApplicationRole}; running it
   * twice changes nothing. The script is {@code application_role.sql} under
   * {@value #SCRIPT_DIRECTORY}.
   *
   * @throws IllegalArgumentException if a name is invalid
   * @throws SchemaException if the role does not exist, the projection tables are not installed,
   *     or the connection's role does not own them
   */
  public static void grantApplicationRole(DataSource dataSource, String schema, String role) {
    APPLICATION_ROLE.grant(dataSource, schema, role);
  }

  /**
   * The text of the grants {@link #grantApplicationRole} runs, for tools that apply SQL themselves.
   *
   * @throws IllegalArgumentException if a name is invalid
   */
  public static String applicationRoleScript(String schema, String role) {
    return APPLICATION_ROLE.script(schema, role);
  }

  /**
   * Applies every projection script {@code schema} has not had yet. The event store must be
   * installed in the same schema first.
   *
   * @return the projection schema version afterwards
   * @throws IllegalArgumentException if {@code schema} is not a valid schema name
   * @throws SchemaException if the schema holds a newer version or a script fails
   */
  public static int install(DataSource dataSource, String schema) {
    return SCRIPTS.install(dataSource, schema);
  }

  /**
   * Checks that {@code schema} holds the projection tables at {@link #CURRENT_VERSION}.
   *
   * @throws SchemaException saying what is there, what is needed and how to fix it
   */
  public static void check(DataSource dataSource, String schema) {
    SCRIPTS.check(dataSource, schema, "ProjectionRunner.builder(store).installSchema(true) or "
        + "ProjectionSchema.install(dataSource, \"" + schema + "\")");
  }

  /**
   * The text of a shipped script with the schema name filled in, for tools that apply DDL
   * themselves.
   *
   * @param name a file name such as {@code V1__projections.sql}
   * @throws IllegalArgumentException if there is no such script or the schema name is invalid
   */
  public static String script(String name, String schema) {
    return SCRIPTS.script(name, schema);
  }

  /** The shipped script names, oldest first. */
  public static List<String> scripts() {
    return SCRIPTS.scripts();
  }
}
