package dev.annals.bank.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.annals.bank.Bank;
import dev.annals.bank.BankPublishing;
import dev.annals.bank.BankStorage;
import dev.annals.bank.Cli;
import dev.annals.core.internal.Redaction;
import dev.annals.messaging.MessageSink;
import dev.annals.postgres.PostgresEventStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.TypeConversionException;

/**
 * The sample bank over HTTP: the JSON API and live event feeds of {@link BankApi}, and a small
 * web page, on the JDK's built-in HTTP server behind a {@link RequestGate}, which answers
 * malformed request heads with the API's JSON errors.
 *
 * <pre>
 * bank serve [--port N] [--host ADDRESS] [--schema NAME]
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
  private static final Duration HEARTBEAT = Duration.ofSeconds(15);
  /** Open feeds allowed at once: each holds a thread. */
  private static final int MAX_FEEDS = 64;
  /** Threads for requests besides the feeds', so a full set of feeds cannot starve commands. */
  private static final int REQUEST_THREADS = 16;

  /** The JDK server's switch for TCP_NODELAY on its connections. */
  private static final String NO_DELAY = "sun.net.httpserver.nodelay";

  private static final String PREFIX = "Annals bank server: ";
  /** Held so that its level stays set: the library's progress messages would fill the console. */
  private static final Logger LIBRARY_LOG = Logger.getLogger("dev.annals");

  private final RequestGate gate;
  private final HttpServer server;
  private final ThreadPoolExecutor threads;
  private final EventFeed feed;

  private BankServer(RequestGate gate, HttpServer server, ThreadPoolExecutor threads, EventFeed feed) {
    this.gate = gate;
    this.server = server;
    this.threads = threads;
    this.feed = feed;
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
    Objects.requireNonNull(address, "address must not be null");
    // The JDK server writes a response's head and body separately; without this (read once, when
    // its first server starts) the body waits for the gate's delayed acknowledgement of the head.
    if (System.getProperty(NO_DELAY) == null) {
      System.setProperty(NO_DELAY, "true");
    }
    // The JDK server listens on the loopback only; clients reach it through the gate, which
    // answers the requests the JDK server would answer with HTML pages of its own.
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen on the loopback address: " + e.getMessage(), e);
    }
    AtomicInteger number = new AtomicInteger();
    int size = maxFeeds + REQUEST_THREADS;
    // A fixed size with an unbounded queue: a burst waits for a thread instead of being refused,
    // and idle threads time out so a quiet server holds none.
    ThreadPoolExecutor threads = new ThreadPoolExecutor(size, size, 60, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), r -> {
          Thread t = new Thread(r, "bank-http-" + number.getAndIncrement());
          t.setDaemon(true);
          return t;
        });
    threads.allowCoreThreadTimeOut(true);
    ObjectMapper json = BankApi.mapper();
    EventFeed feed = new EventFeed(bank.store(), json, heartbeat, maxFeeds);
    server.createContext("/", new BankApi(bank, feed, json));
    server.setExecutor(threads);
    server.start();
    RequestGate gate;
    try {
      gate = RequestGate.start(address, server.getAddress());
    } catch (UncheckedIOException e) {
      server.stop(0);
      threads.shutdownNow();
      throw e;
    }
    return new BankServer(gate, server, threads, feed);
  }

  /** Where the server listens, such as {@code http://127.0.0.1:8080/}. */
  URI uri() {
    InetSocketAddress address = gate.address();
    return URI.create("http://" + address.getHostString() + ":" + address.getPort() + "/");
  }

  /** Stops listening, ends the open feeds and waits up to 5 s for requests in progress. */
  @Override
  public void close() {
    gate.close();
    feed.close();
    server.stop(0);
    // Feeds wait for new events; the interrupt ends the wait.
    threads.shutdownNow();
    try {
      threads.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
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
    LIBRARY_LOG.setLevel(Level.WARNING);
    if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
      System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    }
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
    Bank bank = Bank.start(store, "bank-server-" + UUID.randomUUID().toString().substring(0, 8), publishing);
    BankServer server;
    try {
      server = start(bank, new InetSocketAddress(options.host, options.port));
    } catch (UncheckedIOException e) {
      bank.close();
      storage.close();
      System.err.println(PREFIX + e.getMessage() + "; choose another --port");
      return Cli.USAGE;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      bank.close();
      storage.close();
    }, "bank-server-shutdown"));
    System.out.println(firstLine(server.uri(), url, options.schema));
    publishing.ifPresent(sink -> System.out.println("Publishing account events to " + sink.describe()));
    try {
      // The request threads are daemons; this keeps the process alive until it is stopped.
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
