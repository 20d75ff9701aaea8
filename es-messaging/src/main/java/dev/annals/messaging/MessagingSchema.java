package dev.annals.messaging;

import dev.annals.postgres.internal.RoleScript;
import dev.annals.postgres.internal.SchemaScripts;
import java.util.List;
import javax.sql.DataSource;

/**
 * Installs the messaging tables (inbox, inbox dead letters, webhook subscriptions and
 * deliveries) in a schema. Version 2 renames {@code webhook_subscriptions.secret} to
 * {@code sealed_secret}: secrets are stored encrypted from then on (see {@code Webhooks.Builder#secretKey}).
 * Version 3 adds {@code payload_schemas}, the Avro schemas of event payloads (see
 * {@link dev.annals.messaging.schemas.PayloadSchemas}).
 *
 * <p>The DDL ships as versioned scripts on the classpath under {@value #SCRIPT_DIRECTORY} with
 * {@code ${schema}} as placeholder, so Flyway or Liquibase users can run them from their own
 * migrations. {@link #install} applies the missing ones in order, each once, in one transaction
 * under an advisory lock; the table {@code messaging_schema_version} records what ran.
 *
 * <p>Thread-safe: stateless.
 */
public final class MessagingSchema {

  /** Where the scripts are on the classpath. */
  public static final String SCRIPT_DIRECTORY = "dev/annals/messaging/schema/";

  private static final SchemaScripts SCRIPTS = SchemaScripts.of("messaging tables",
      MessagingSchema.class::getResourceAsStream, SCRIPT_DIRECTORY, "messaging_schema_version",
      List.of("V1__messaging.sql", "V2__webhook_secrets.sql", "V3__payload_schemas.sql"));

  private static final RoleScript APPLICATION_ROLE = RoleScript.of("messaging tables",
      MessagingSchema.class::getResourceAsStream, SCRIPT_DIRECTORY + "application_role.sql");

  private MessagingSchema() {}

  /**
   * Grants the application role {@code role} what the inbox and webhooks need on the messaging
   * tables, and nothing on the others. Run it as the owner of the messaging tables, after
   * {@link #install} and together with the event store's and projections'
   * {@code grantApplicationRole}; running it twice changes nothing. The script is
   * {@code application_role.sql} under {@value #SCRIPT_DIRECTORY}.
   *
   * @throws IllegalArgumentException if a name is invalid
   * @throws dev.annals.postgres.SchemaException if the role does not exist, the messaging tables
   *     are not installed, or the connection's role does not own them
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
   * Creates the schema if needed and applies every messaging script it has not had yet.
   * Idempotent; safe when several nodes start together.
   *
   * @return the messaging schema version afterwards
   * @throws IllegalArgumentException if {@code schema} is not a valid schema name
   * @throws dev.annals.postgres.SchemaException if the schema holds a newer version or a script fails
   */
  public static int install(DataSource dataSource, String schema) {
    return SCRIPTS.install(dataSource, schema);
  }

  /**
   * The text of a shipped script with the schema name filled in.
   *
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
