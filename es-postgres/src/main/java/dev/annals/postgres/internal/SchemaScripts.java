package dev.annals.postgres.internal;

import dev.annals.postgres.PostgresSchema;
import dev.annals.postgres.PostgresStoreException;
import dev.annals.postgres.SchemaException;
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
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sql.DataSource;

/**
 * A versioned set of SQL scripts for one component (the event store, the projection tables),
 * shipped on the classpath with {@code ${schema}} as placeholder, so that Flyway or Liquibase
 * users can run them from their own migrations instead.
 *
 * <p>{@link #install} applies the missing scripts in order, each once, in one transaction under
 * an advisory lock, so several nodes starting together do not race; a version table records what
 * ran. Immutable and thread-safe. For the framework's own modules (the event store, projections,
 * messaging), not its users, who install through each component's schema class.
 */
public final class SchemaScripts {

  private static final Pattern SCRIPT_NAME = Pattern.compile("V([1-9][0-9]{0,8})__[a-z0-9_]+\\.sql");

  private final String component;
  private final Function<String, InputStream> opener;
  private final String directory;
  private final String versionTable;
  private final List<String> scripts;

  private SchemaScripts(String component, Function<String, InputStream> opener, String directory,
      String versionTable, List<String> scripts) {
    this.component = component;
    this.opener = opener;
    this.directory = directory;
    this.versionTable = versionTable;
    this.scripts = scripts;
  }

  /**
   * A script set.
   *
   * @param component what the scripts install, for messages ({@code "event store"})
   * @param opener opens a resource by absolute name; pass the owning module's
   *     {@code SomeClass.class::getResourceAsStream}, so that the scripts are found inside that
   *     module on the module path too (a module's resources are not visible to other modules)
   * @param directory classpath directory of the scripts, ending with {@code /}
   * @param versionTable table (in the target schema) that records the scripts that ran
   * @param scripts file names {@code V<n>__<name>.sql}, oldest first; script {@code V<n>} brings
   *     the component to version n. Versions must rise but may skip numbers, as Flyway's do: a
   *     number may be taken by a change still on its way
   * @throws IllegalArgumentException if a name is not a valid SQL identifier, a script name has no
   *     rising version, or the list is empty
   */
  public static SchemaScripts of(String component, Function<String, InputStream> opener, String directory,
      String versionTable, List<String> scripts) {
    Objects.requireNonNull(component, "component must not be null");
    Objects.requireNonNull(opener, "opener must not be null");
    Objects.requireNonNull(directory, "directory must not be null");
    PostgresSchema.checkName(versionTable);
    if (scripts.isEmpty()) {
      throw new IllegalArgumentException("a script set for " + component + " needs at least one script");
    }
    int previous = 0;
    for (String script : scripts) {
      int v = versionOf(script);
      if (v <= previous) {
        throw new IllegalArgumentException("the scripts of " + component + " must have rising versions, but "
            + script + " follows version " + previous);
      }
      previous = v;
    }
    return new SchemaScripts(component, opener,
        directory.endsWith("/") ? directory : directory + "/", versionTable, List.copyOf(scripts));
  }

  /** The version in a script's name: 7 for {@code V7__append_group.sql}. */
  private static int versionOf(String script) {
    Matcher m = SCRIPT_NAME.matcher(script);
    if (!m.matches()) {
      throw new IllegalArgumentException("script name must be V<version>__<name>.sql, was " + script);
    }
    return Integer.parseInt(m.group(1));
  }

  /** The version the scripts bring a schema to: the last script's. */
  public int currentVersion() {
    return versionOf(scripts.get(scripts.size() - 1));
  }

  /** The script file names, oldest first. */
  public List<String> scripts() {
    return scripts;
  }

  /** The classpath directory of the scripts. */
  public String directory() {
    return directory;
  }

  /**
   * The text of one script with the schema name filled in, for tools that apply DDL themselves.
   *
   * @throws IllegalArgumentException if there is no such script or the schema name is invalid
   */
  public String script(String name, String schema) {
    PostgresSchema.checkName(schema);
    try (InputStream in = opener.apply("/" + directory + name)) {
      if (in == null) {
        throw new IllegalArgumentException("no " + component + " script " + name + " under " + directory);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("${schema}", schema);
    } catch (IOException e) {
      throw new SchemaException("cannot read " + component + " script " + name + ": " + e.getMessage(), e);
    }
  }

  /**
   * Creates the schema if needed and applies every script it has not had yet.
   *
   * @return the version afterwards
   * @throws SchemaException if the database holds a newer version or a script fails
   * @throws dev.annals.core.StoreUnavailableException if the database cannot be reached
   */
  public int install(DataSource dataSource, String schema) {
    PostgresSchema.checkName(schema);
    Objects.requireNonNull(dataSource, "dataSource must not be null");
    try (Connection c = dataSource.getConnection()) {
      // Up to date already: no lock, no DDL. An application role that may not create anything
      // (the owner installed) can then start with installing switched on.
      int found = readVersion(c, schema);
      if (found == currentVersion()) {
        return found;
      }
      boolean autoCommit = c.getAutoCommit();
      c.setAutoCommit(false);
      try {
        try (PreparedStatement lock = c.prepareStatement("SELECT pg_advisory_xact_lock(hashtext(?))")) {
          lock.setString(1, "annals.schema:" + versionTable + ":" + schema);
          lock.execute();
        }
        try (Statement st = c.createStatement()) {
          // Only when missing: CREATE SCHEMA IF NOT EXISTS needs the privilege to create schemas
          // in the database even when the schema exists, which an owner given a schema lacks.
          if (!schemaExists(c, schema)) {
            st.execute("CREATE SCHEMA IF NOT EXISTS " + schema);
          }
          st.execute("CREATE TABLE IF NOT EXISTS " + schema + "." + versionTable + " ("
              + "version integer PRIMARY KEY, script text NOT NULL, "
              + "installed_at timestamptz NOT NULL DEFAULT now())");
        }
        int installed = readVersion(c, schema);
        if (installed > currentVersion()) {
          throw newerThanLibrary(schema, installed);
        }
        for (String script : scripts) {
          int v = versionOf(script);
          if (v <= installed) {
            continue;
          }
          try (Statement st = c.createStatement()) {
            st.execute(script(script, schema));
          } catch (SQLException e) {
            throw new SchemaException(component + " script " + script + " failed in schema '" + schema
                + "': " + e.getMessage(), e);
          }
          try (PreparedStatement ps = c.prepareStatement(
              "INSERT INTO " + schema + "." + versionTable + " (version, script) VALUES (?, ?)")) {
            ps.setInt(1, v);
            ps.setString(2, script);
            ps.executeUpdate();
          }
        }
        c.commit();
        return currentVersion();
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      } finally {
        c.setAutoCommit(autoCommit);
      }
    } catch (SQLException e) {
      throw translate("install the " + component + " in schema '" + schema + "'", schema, e);
    }
  }

  /**
   * The version of this component installed in {@code schema}; 0 when it is not installed.
   *
   * @throws dev.annals.core.StoreUnavailableException if the database cannot be reached
   */
  public int installedVersion(DataSource dataSource, String schema) {
    PostgresSchema.checkName(schema);
    try (Connection c = dataSource.getConnection()) {
      return readVersion(c, schema);
    } catch (SQLException e) {
      throw translate("read the " + component + " version in schema '" + schema + "'", schema, e);
    }
  }

  /**
   * Checks that {@code schema} holds this component at {@link #currentVersion()}.
   *
   * @param howToInstall how a user installs it, for the message when it is missing or older
   * @throws SchemaException saying what is there, what is needed and how to fix it
   */
  public void check(DataSource dataSource, String schema, String howToInstall) {
    int found = installedVersion(dataSource, schema);
    if (found == 0) {
      throw new SchemaException("schema '" + schema + "' has no Annals " + component + " (this library "
          + "needs version " + currentVersion() + "). Install it with " + howToInstall
          + ", or your migration tool using the scripts under " + directory);
    }
    if (found < currentVersion()) {
      throw new SchemaException("schema '" + schema + "' holds " + component + " version " + found
          + " but this library needs version " + currentVersion() + ". Upgrade it with " + howToInstall
          + ", or the scripts V" + (found + 1) + ".. under " + directory);
    }
    if (found > currentVersion()) {
      throw newerThanLibrary(schema, found);
    }
  }

  private static boolean schemaExists(Connection c, String schema) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = ?)")) {
      ps.setString(1, schema);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
    }
  }

  private int readVersion(Connection c, String schema) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT to_regclass(quote_ident(?) || '." + versionTable + "') IS NOT NULL")) {
      ps.setString(1, schema);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        if (!rs.getBoolean(1)) {
          return 0;
        }
      }
    }
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT coalesce(max(version), 0) FROM " + schema + "." + versionTable)) {
      rs.next();
      return rs.getInt(1);
    }
  }

  private SchemaException newerThanLibrary(String schema, int found) {
    return new SchemaException("schema '" + schema + "' holds " + component + " version " + found
        + ", newer than this library's version " + currentVersion()
        + "; upgrade the application's Annals library");
  }

  private static RuntimeException translate(String operation, String schema, SQLException e) {
    RuntimeException translated = SqlErrors.translate(operation, schema, e);
    return translated instanceof PostgresStoreException
        ? new SchemaException("cannot " + operation + ": " + e.getMessage(), e) : translated;
  }
}
