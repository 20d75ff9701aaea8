package dev.annals.bank.http;

import dev.annals.bank.Bank;
import dev.annals.bank.BankPublishing;
import dev.annals.bank.BankStorage;
import dev.annals.bank.Cli;
import dev.annals.core.internal.Redaction;
import dev.annals.messaging.MessageSink;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.web.EventFollowing;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.springframework.boot.Banner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.web.server.PortInUseException;
import org.springframework.boot.web.server.WebServer;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.TypeConversionException;

/**
 * The sample bank over HTTP: the JSON API of {@link BankApi}, the live event feeds of
 * {@link BankFeeds}, and a small web page, as a Spring Boot application on Spring MVC and
 * embedded Tomcat, with the Annals starter's health, Actuator's health, metrics and Prometheus
 * endpoints, and OpenTelemetry traces that run from a request through the append to the projectors.
 *
 * <pre>
 * bank serve [--port N] [--host ADDRESS] [--schema NAME] [--console]
 * </pre>
 *
 * <p>{@link #main} serves the bank in {@code --schema} (default {@value #DEFAULT_SCHEMA}, created
 * if missing, never dropped) of the database at the JDBC URL in {@code BANK_DB_URL}, else
 * {@code jdbc:postgresql://127.0.0.1:5432/test?user=postgres}, on {@code 127.0.0.1:8080} unless
 * told otherwise, and prints its URL. On the local database it runs as the demo's application
 * role, on one in {@code BANK_DB_URL} as the URL's login (see {@link BankStorage.Access}). It runs until the process is stopped. With
 * {@code BANK_PUBLISH} set, it also publishes the account events (see {@link BankPublishing}).
 * Exit status 2 for a bad command line (or {@code BANK_PUBLISH}), 3 when the database cannot be
 * used.
 */
public final class BankServer implements AutoCloseable {

  static final int DEFAULT_PORT = 8080;
  static final String DEFAULT_HOST = "127.0.0.1";
  /** The demo's schema, so that the page shows what the demo left behind. */
  static final String DEFAULT_SCHEMA = BankStorage.DEMO_SCHEMA;

  /** How long a feed stays silent before it sends a comment line; proxies drop silent connections. */
  static final Duration HEARTBEAT = Duration.ofSeconds(15);
  /** Open followers allowed at once (es-web's maxFollowers): each holds a connection and a buffer. */
  static final int MAX_FEEDS = 64;

  private static final String PREFIX = "Annals bank server: ";

  private final ConfigurableApplicationContext context;
  private final URI uri;

  private BankServer(ConfigurableApplicationContext context) {
    this.context = context;
    WebServer server = ((WebServerApplicationContext) context).getWebServer();
    String host = context.getEnvironment().getProperty("server.address", DEFAULT_HOST);
    this.uri = URI.create("http://" + host + ":" + server.getPort() + "/");
  }

  /**
   * Serves {@code bank} on {@code address} (port 0 picks a free one) until {@link #close()}.
   * The caller keeps owning the bank and closes it after the server.
   *
   * @throws UncheckedIOException if the address cannot be bound
   */
  static BankServer start(Bank bank, InetSocketAddress address) {
    return start(bank, address, HEARTBEAT);
  }

  /**
   * {@link #start(Bank, InetSocketAddress)} with feeds that send a comment line after
   * {@code heartbeat} of silence instead of 15 s.
   */
  static BankServer start(Bank bank, InetSocketAddress address, Duration heartbeat) {
    return start(bank, address, heartbeat, MAX_FEEDS);
  }

  /**
   * {@link #start(Bank, InetSocketAddress, Duration)} that serves at most {@code maxFeeds} feeds
   * at once instead of 64.
   */
  static BankServer start(Bank bank, InetSocketAddress address, Duration heartbeat, int maxFeeds) {
    Objects.requireNonNull(bank, "bank must not be null");
    return run(new BankWebApplication.Settings(Optional.of(bank), bank.store(), "unused", Optional.empty(), heartbeat,
        maxFeeds), address, false, Map.of());
  }

  /**
   * Starts the bank on {@code store} inside the application, observed by its metrics and tracing,
   * and serves it on {@code address} until {@link #close()}, which also closes the bank (and
   * {@code publishTo}). {@code properties} add to or override the application's settings.
   *
   * @param nodeId names this instance in projector ownership and status
   * @throws UncheckedIOException if the address cannot be bound
   */
  static BankServer start(PostgresEventStore store, String nodeId, Optional<MessageSink> publishTo,
      InetSocketAddress address, Map<String, Object> properties) {
    return start(store, nodeId, publishTo, address, properties, Map.of());
  }

  /**
   * {@link #start(PostgresEventStore, String, Optional, InetSocketAddress, Map)} with {@code beans}
   * added to the application by name before it starts, such as a span exporter of a test's.
   */
  static BankServer start(PostgresEventStore store, String nodeId, Optional<MessageSink> publishTo,
      InetSocketAddress address, Map<String, Object> properties, Map<String, Object> beans) {
    Objects.requireNonNull(store, "store must not be null");
    return run(new BankWebApplication.Settings(Optional.empty(), store, nodeId, publishTo, HEARTBEAT, MAX_FEEDS),
        address, false, properties, beans);
  }

  private static BankServer run(BankWebApplication.Settings settings, InetSocketAddress address, boolean shutdownHook,
      Map<String, Object> properties) {
    return run(settings, address, shutdownHook, properties, Map.of());
  }

  private static BankServer run(BankWebApplication.Settings settings, InetSocketAddress address, boolean shutdownHook,
      Map<String, Object> properties, Map<String, Object> beans) {
    Objects.requireNonNull(address, "address must not be null");
    SpringApplication application = new SpringApplication(BankWebApplication.class);
    application.setBannerMode(Banner.Mode.OFF);
    application.setLogStartupInfo(false);
    application.setRegisterShutdownHook(shutdownHook);
    Map<String, Object> defaults = new LinkedHashMap<>(BankWebApplication.defaults());
    defaults.put("server.address", address.getHostString());
    defaults.put("server.port", address.getPort());
    defaults.putAll(properties);
    application.setDefaultProperties(defaults);
    application.addInitializers(context -> {
      context.getBeanFactory().registerSingleton("bankSettings", settings);
      beans.forEach(context.getBeanFactory()::registerSingleton);
    });
    try {
      return new BankServer(application.run());
    } catch (RuntimeException e) {
      Optional<String> console = consoleFailure(e);
      if (console.isPresent()) {
        // Its own port or address, not the bank's: say so rather than blame --port.
        throw new IllegalStateException(console.get(), e);
      }
      if (portInUse(e)) {
        throw new UncheckedIOException("cannot listen on " + address + ": the port is in use",
            new java.io.IOException(e.getMessage()));
      }
      throw e;
    }
  }

  /** The console's own reason when it is what failed to start (its message names no password). */
  private static Optional<String> consoleFailure(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof IllegalStateException && t.getMessage() != null
          && t.getMessage().startsWith("the console cannot start")) {
        return Optional.of(t.getMessage());
      }
    }
    return Optional.empty();
  }

  private static boolean portInUse(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof PortInUseException || t instanceof java.net.BindException) {
        return true;
      }
    }
    return false;
  }

  /** Where the server listens, such as {@code http://127.0.0.1:8080/}. */
  URI uri() {
    return uri;
  }

  /** The bank it serves. */
  Bank bank() {
    return context.getBean(Bank.class);
  }

  /** The application's beans, for tests that read its metrics or tracing. */
  ConfigurableApplicationContext context() {
    return context;
  }

  /**
   * Ends the open feeds and stops the application: the server stops listening, and a bank it
   * started is closed (its projectors stop, pending snapshots are written).
   */
  @Override
  public void close() {
    // The followers end first: a stop does not wait for connections that never end by themselves.
    context.getBean(EventFollowing.class).close();
    context.close();
  }

  /** Serves the bank until the process is stopped; see the class description. */
  public static void main(String[] args) {
    int status = commandLine(System.out, System.err).execute(args);
    System.out.flush();
    System.err.flush();
    System.exit(status);
  }

  /**
   * The server's command line ({@code bank serve}), printing help to {@code out} and errors to
   * {@code err}; its {@code execute} serves until the process is stopped, or returns the exit
   * status of a failed start.
   */
  public static picocli.CommandLine commandLine(java.io.PrintStream out, java.io.PrintStream err) {
    return Cli.configure(new picocli.CommandLine(new Options()), PREFIX, out, err);
  }

  /** Serves the bank as {@code options} say until the process is stopped; else the exit status. */
  private static int serve(Options options) {
    String configured = System.getenv(BankStorage.URL_VARIABLE);
    String url = configured != null && !configured.isBlank() ? configured.trim() : BankStorage.LOCAL_URL;
    Optional<String> problem = BankStorage.probe(url);
    if (problem.isPresent()) {
      return unavailable(url, problem.get());
    }
    BankStorage storage;
    try {
      storage = BankStorage.postgres(url, options.schema, false, configured != null && !configured.isBlank()
          ? BankStorage.Access.AS_GIVEN : BankStorage.Access.SEPARATE_ROLES);
    } catch (RuntimeException e) {
      // Unreachable, or the schema holds something that is not an event store.
      return unavailable(url, String.valueOf(e.getMessage()));
    }
    PostgresEventStore store = storage.postgres().orElseThrow();
    // Several servers may serve one schema; each needs its own node id for projector ownership.
    Optional<MessageSink> publishing;
    try {
      publishing = BankPublishing.fromEnvironment(System.getenv());
    } catch (IllegalArgumentException e) {
      storage.close();
      System.err.println(PREFIX + Redaction.redact(e.getMessage()));
      return Cli.USAGE;
    }
    Map<String, Object> properties = new LinkedHashMap<>();
    properties.put("logging.config", "classpath:bank-server-logback.xml");
    if (options.console) {
      properties.put("annals.console.enabled", "true");
    }
    BankServer server;
    try {
      server = run(new BankWebApplication.Settings(Optional.empty(), store,
          "bank-server-" + UUID.randomUUID().toString().substring(0, 8), publishing, HEARTBEAT, MAX_FEEDS),
          new InetSocketAddress(options.host, options.port), false, properties);
    } catch (UncheckedIOException e) {
      storage.close();
      System.err.println(PREFIX + e.getMessage() + "; choose another --port");
      return Cli.USAGE;
    } catch (IllegalStateException e) {
      storage.close();
      System.err.println(PREFIX + Redaction.redact(e.getMessage()) + "; set ANNALS_CONSOLE_PORT to another port");
      return Cli.USAGE;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      storage.close();
    }, "bank-server-shutdown"));
    System.out.println(firstLine(server.uri(), url, options.schema));
    publishing.ifPresent(sink -> System.out.println("Publishing account events to " + sink.describe()));
    try {
      // Tomcat's threads are not daemons, but main returns only through System.exit: wait here.
      new CountDownLatch(1).await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }

  /** What the server prints first: where it listens and which database it uses, password hidden. */
  static String firstLine(URI uri, String jdbcUrl, String schema) {
    return "Annals sample bank at " + uri + " (" + BankStorage.redact(jdbcUrl) + ", schema " + schema
        + "); stop it with Ctrl-C";
  }

  private static int unavailable(String url, String problem) {
    System.err.println(PREFIX + "cannot use the database at " + BankStorage.redact(url) + ": "
        + Redaction.redact(problem));
    System.err.println("Set " + BankStorage.URL_VARIABLE + " to a JDBC URL "
        + "(jdbc:postgresql://HOST:5432/DB?user=USER&password=PASSWORD) or start PostgreSQL on 127.0.0.1:5432.");
    return 3;
  }

  /** The parsed command line. */
  @Command(name = "serve",
      description = "Serves the bank's JSON API, live event feeds and web page until stopped (Ctrl-C).",
      footer = {"", "Environment: BANK_DB_URL (a JDBC URL; else jdbc:postgresql://127.0.0.1:5432/test?user=postgres), "
          + "BANK_PUBLISH (a broker URL to publish the account events to).",
          "Exit status: 2 bad arguments or port in use, 3 the database cannot be used."})
  static final class Options implements Callable<Integer> {
    @picocli.CommandLine.Mixin
    Cli.Help help;

    @Option(names = "--port", paramLabel = "N", converter = Port.class,
        description = "Port to listen on, 0 picks a free one (default: " + DEFAULT_PORT + ").")
    int port = DEFAULT_PORT;

    @Option(names = "--host", paramLabel = "ADDRESS",
        description = "Address to listen on (default: " + DEFAULT_HOST + ").")
    String host = DEFAULT_HOST;

    @Option(names = "--schema", paramLabel = "NAME", converter = Cli.Schema.class,
        description = "Schema of the bank, created if missing, never dropped (default: " + DEFAULT_SCHEMA + ").")
    String schema = DEFAULT_SCHEMA;

    @Option(names = "--console",
        description = "Also serve the operator's console (es-console) on its own address, port and login "
            + "(default 127.0.0.1:8089, an operator with a password printed once; annals.console.* settings apply).")
    boolean console;

    /** @throws IllegalArgumentException naming the bad argument */
    static Options parse(String[] args) {
      Options o = new Options();
      try {
        new picocli.CommandLine(o).parseArgs(args);
      } catch (ParameterException e) {
        throw new IllegalArgumentException(e.getMessage(), e);
      }
      return o;
    }

    @Override
    public Integer call() {
      return serve(this);
    }
  }

  /** A port number, 0 to 65535. */
  static final class Port implements ITypeConverter<Integer> {
    @Override
    public Integer convert(String value) {
      try {
        int port = Integer.parseInt(value);
        if (port >= 0 && port <= 65_535) {
          return port;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      throw new TypeConversionException("bad port '" + value + "': expected 0 to 65535 (0 picks a free one)");
    }
  }
}
