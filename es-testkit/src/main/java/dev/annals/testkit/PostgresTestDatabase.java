package dev.annals.testkit;

import dev.annals.core.internal.Redaction;
import java.io.File;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A JUnit 5 extension giving each test class its own PostgreSQL schema, dropped afterwards, so
 * test classes can run in parallel and leave nothing behind.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final PostgresTestDatabase db = PostgresTestDatabase.create();
 *
 * @Test void works() {
 *   try (var store = PostgresEventStore.builder(registry)
 *       .dataSource(db.dataSource()).schema(db.schema()).installSchema(true).build()) { ... }
 * }
 * }</pre>
 *
 * <p>It finds a server in this order and remembers the choice for the whole JVM:
 * <ol>
 *   <li>the JDBC URL in the environment variable {@code ES_TEST_DB_URL} (or the system property
 *       {@code es.test.db.url}), with user and password as URL parameters;</li>
 *   <li>a Testcontainers PostgreSQL container, when a Docker engine answers;</li>
 *   <li>a server on 127.0.0.1:5432, database {@code test}, user {@code postgres}.</li>
 * </ol>
 * When none works, every test class using it fails with one message saying what to set.
 *
 * <p>Plain JDBC only. Thread-safe after {@code beforeAll}.
 */
public final class PostgresTestDatabase implements BeforeAllCallback, AfterAllCallback {

  /** Environment variable (and, lower-cased with dots, system property) naming the test database. */
  public static final String URL_VARIABLE = "ES_TEST_DB_URL";

  private static final String LOCAL_URL = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";
  private static volatile Server server;
  private static volatile String unavailable;

  private final List<String> schemas = new ArrayList<>();
  private String schema;

  record Server(String url, String description) {}

  private PostgresTestDatabase() {}

  /** An extension to register with {@code @RegisterExtension} on a static field. */
  public static PostgresTestDatabase create() {
    return new PostgresTestDatabase();
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    server();
    String base = context.getRequiredTestClass().getSimpleName().toLowerCase(Locale.ROOT)
        .replaceAll("[^a-z0-9]", "");
    schema = newSchemaNamed(base);
  }

  @Override
  public void afterAll(ExtensionContext context) throws SQLException {
    List<String> toDrop;
    synchronized (schemas) {
      toDrop = new ArrayList<>(schemas);
      schemas.clear();
    }
    try (Connection c = connect(); Statement st = c.createStatement()) {
      for (String s : toDrop) {
        st.execute("DROP SCHEMA IF EXISTS " + s + " CASCADE");
      }
    }
  }

  /** The schema of this test class: created before its tests, dropped after them. */
  public String schema() {
    if (schema == null) {
      throw new IllegalStateException("PostgresTestDatabase is not started: register it with "
          + "@RegisterExtension on a static field");
    }
    return schema;
  }

  /** Another empty schema, for a test that needs one of its own; dropped with the class's. */
  public String newSchema() {
    return newSchemaNamed("t");
  }

  /** The JDBC URL of the server (without a schema). */
  public String jdbcUrl() {
    return server().url();
  }

  /** Where the server came from, for messages: the variable, Testcontainers or the local server. */
  public String description() {
    return server().description();
  }

  /** A new unpooled data source on the server. */
  public DataSource dataSource() {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setURL(server().url());
    return ds;
  }

  /** A new connection to the server. */
  public Connection connect() throws SQLException {
    return DriverManager.getConnection(server().url(), new Properties());
  }

  private String newSchemaNamed(String base) {
    String trimmed = base.length() > 30 ? base.substring(0, 30) : base;
    String name = "annals_" + trimmed + "_" + UUID.randomUUID().toString().substring(0, 8);
    try (Connection c = connect(); Statement st = c.createStatement()) {
      st.execute("CREATE SCHEMA " + name);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create test schema " + name + " on "
          + description() + ": " + e.getMessage(), e);
    }
    synchronized (schemas) {
      schemas.add(name);
    }
    return name;
  }

  private static Server server() {
    Server s = server;
    if (s != null) {
      return s;
    }
    synchronized (PostgresTestDatabase.class) {
      if (server != null) {
        return server;
      }
      if (unavailable != null) {
        throw new IllegalStateException(unavailable);
      }
      String configured = System.getenv(URL_VARIABLE);
      if (configured == null || configured.isBlank()) {
        configured = System.getProperty("es.test.db.url");
      }
      try {
        server = discover(configured, dockerLikelyAvailable(), Containers::start, LOCAL_URL);
        return server;
      } catch (IllegalStateException e) {
        // Remembered so that every later test class fails at once with the same message.
        unavailable = e.getMessage();
        throw e;
      }
    }
  }

  /** Something that starts a container and returns where it listens. */
  interface ContainerStarter {
    Server start();
  }

  /**
   * Picks the server: the configured URL, else a container when Docker is there, else the local
   * URL; fails with one message naming what to set and what was tried.
   */
  static Server discover(String configuredUrl, boolean docker, ContainerStarter containers,
      String localUrl) {
    List<String> tried = new ArrayList<>();
    if (configuredUrl != null && !configuredUrl.isBlank()) {
      String problem = probe(configuredUrl);
      if (problem == null) {
        return new Server(configuredUrl, URL_VARIABLE + "=" + redact(configuredUrl));
      }
      // An explicit choice that fails is an error, not a reason to try something else.
      throw new IllegalStateException(URL_VARIABLE + " is set to " + redact(configuredUrl)
          + " but PostgreSQL does not answer there: " + problem);
    }
    if (docker) {
      try {
        return containers.start();
      } catch (RuntimeException | Error e) {
        tried.add("Testcontainers: " + e.getMessage());
      }
    } else {
      tried.add("Testcontainers: no Docker engine (no DOCKER_HOST, no /var/run/docker.sock)");
    }
    String problem = probe(localUrl);
    if (problem == null) {
      return new Server(localUrl, "local PostgreSQL at " + redact(localUrl));
    }
    tried.add(redact(localUrl) + ": " + problem);
    throw new IllegalStateException("no PostgreSQL for the tests. Set " + URL_VARIABLE
        + "=jdbc:postgresql://HOST:5432/DB?user=USER&password=PASSWORD, or start a Docker engine "
        + "for Testcontainers, or run PostgreSQL 15+ on 127.0.0.1:5432 with a database 'test' "
        + "that user 'postgres' can use. Tried: " + String.join("; ", tried));
  }

  private static String probe(String url) {
    Properties props = new Properties();
    // Fail within seconds when nothing answers, instead of waiting for the driver's defaults.
    props.setProperty("connectTimeout", "3");
    props.setProperty("loginTimeout", "5");
    try (Connection c = DriverManager.getConnection(url, props);
        Statement st = c.createStatement()) {
      st.execute("SELECT 1");
      return null;
    } catch (SQLException e) {
      return e.getMessage();
    }
  }

  /** A quick check, so that machines without Docker do not wait for Testcontainers' probes. */
  private static boolean dockerLikelyAvailable() {
    String host = System.getenv("DOCKER_HOST");
    return (host != null && !host.isBlank()) || new File("/var/run/docker.sock").exists();
  }

  private static String redact(String url) {
    return Redaction.redact(url);
  }

  /** Isolated so that Testcontainers classes load only when Docker is there. */
  private static final class Containers {
    static Server start() {
      org.testcontainers.containers.PostgreSQLContainer<?> pg =
          new org.testcontainers.containers.PostgreSQLContainer<>("postgres:16-alpine");
      pg.start();
      Runtime.getRuntime().addShutdownHook(new Thread(pg::stop, "annals-test-postgres-stop"));
      String url = pg.getJdbcUrl() + (pg.getJdbcUrl().contains("?") ? "&" : "?")
          + "user=" + pg.getUsername() + "&password=" + pg.getPassword();
      return new Server(url, "Testcontainers " + pg.getDockerImageName());
    }
  }
}
