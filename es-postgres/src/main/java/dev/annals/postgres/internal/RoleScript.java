package dev.annals.postgres.internal;

import dev.annals.postgres.PostgresSchema;
import dev.annals.postgres.SchemaException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import javax.sql.DataSource;

/**
 * One component's grants to the application role: a script on the classpath with the
 * placeholders {@code ${schema}} and {@code ${role}}, run after the component's migrations by
 * its owner. It first takes back what it grants, so running it again leaves exactly its grants.
 * Immutable and thread-safe; for the framework's own modules.
 */
public final class RoleScript {

  private static final List<String> RESERVED = List.of("public", "none", "current_user", "current_role",
      "session_user", "user");

  private final String component;
  private final Function<String, InputStream> opener;
  private final String resource;

  private RoleScript(String component, Function<String, InputStream> opener, String resource) {
    this.component = component;
    this.opener = opener;
    this.resource = resource;
  }

  /**
   * A grant script.
   *
   * @param component what the script grants access to, for messages ({@code "event store"})
   * @param opener opens a resource by absolute name, within the owning module
   * @param resource the script's classpath name, such as {@code dev/annals/postgres/schema/application_role.sql}
   */
  public static RoleScript of(String component, Function<String, InputStream> opener, String resource) {
    return new RoleScript(Objects.requireNonNull(component, "component must not be null"),
        Objects.requireNonNull(opener, "opener must not be null"),
        Objects.requireNonNull(resource, "resource must not be null"));
  }

  /**
   * Checks that {@code role} is a role name this library accepts: the rule of
   * {@link PostgresSchema#checkName}, and not a reserved name such as {@code public}, which
   * would grant to everyone.
   *
   * @throws IllegalArgumentException naming the bad value
   */
  public static String checkRole(String role) {
    Objects.requireNonNull(role, "role name must not be null");
    try {
      PostgresSchema.checkName(role);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("invalid role name '" + role + "': use 1 to 63 "
          + "lower-case letters, digits or underscores, starting with a letter or underscore");
    }
    // Each of these means another role than one named so (public: everyone).
    if (RESERVED.contains(role) || role.startsWith("pg_")) {
      throw new IllegalArgumentException("invalid role name '" + role + "': " + String.join(", ", RESERVED)
          + " and names starting with pg_ are reserved");
    }
    return role;
  }

  /**
   * The script's text for {@code schema} and {@code role}.
   *
   * @throws IllegalArgumentException if a name is invalid
   */
  public String script(String schema, String role) {
    PostgresSchema.checkName(schema);
    checkRole(role);
    try (InputStream in = opener.apply("/" + resource)) {
      if (in == null) {
        throw new IllegalStateException("no " + component + " grant script " + resource + " on the classpath");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8)
          .replace("${schema}", schema).replace("${role}", role);
    } catch (IOException e) {
      throw new SchemaException("cannot read " + component + " grant script " + resource + ": " + e.getMessage(), e);
    }
  }

  /**
   * Runs the script in one transaction on a connection of {@code dataSource}, which must be the
   * owner of the component's objects (or a superuser).
   *
   * @throws IllegalArgumentException if a name is invalid
   * @throws SchemaException if the role does not exist, the connection's role is not the owner,
   *     or the component is not installed in {@code schema}
   * @throws dev.annals.core.StoreUnavailableException if the database cannot be reached
   */
  public void grant(DataSource dataSource, String schema, String role) {
    Objects.requireNonNull(dataSource, "dataSource must not be null");
    String sql = script(schema, role);
    try (Connection c = dataSource.getConnection()) {
      boolean autoCommit = c.getAutoCommit();
      c.setAutoCommit(false);
      try (Statement st = c.createStatement()) {
        st.execute(sql);
        c.commit();
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      } finally {
        c.setAutoCommit(autoCommit);
      }
    } catch (SQLException e) {
      RuntimeException translated = SqlErrors.translate("grant role " + role + " access to the " + component
          + " in schema '" + schema + "'", schema, e);
      if (translated instanceof dev.annals.postgres.PostgresStoreException) {
        throw new SchemaException("cannot grant role " + role + " access to the " + component + " in schema '"
            + schema + "' (run it as the owner of the " + component + "'s tables, after installing them, "
            + "for a role that exists): " + e.getMessage(), e);
      }
      throw translated;
    }
  }
}
