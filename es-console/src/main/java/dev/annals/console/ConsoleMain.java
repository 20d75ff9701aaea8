package dev.annals.console;

import dev.annals.core.EventRegistry;
import dev.annals.postgres.PostgresEventStore;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * The console on its own, against any Annals database:
 * {@code java -jar es-console.jar --url=jdbc:postgresql://host/db --schema=annals}. It shows
 * streams, their events, integrity and the console's own actions, and, read-only from the
 * projection tables, the projectors, their versions and dead letters; acting on those needs the
 * application's projectors, so it is refused here (409) and works when the console runs embedded.
 * Bad arguments exit with status 2 and one line.
 */
public final class ConsoleMain {

  static final String USAGE = "usage: es-console --url=jdbc:postgresql://host:5432/db [--schema=annals] "
      + "[--db-user=name] [--address=127.0.0.1] [--port=8089] [--user=name:role:{id}password ...]; "
      + "the database password is read from ANNALS_DB_PASSWORD";

  private ConsoleMain() {}

  /** Runs until the process is stopped. */
  public static void main(String[] args) throws InterruptedException {
    // Warnings only, unless the operator asks for more: the pool's start-up lines are noise here.
    if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
      System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    }
    Options options;
    try {
      options = Options.parse(args, System.getenv());
    } catch (IllegalArgumentException e) {
      System.err.println("es-console: " + e.getMessage());
      System.exit(2);
      return;
    }
    if (options.help()) {
      System.out.println(USAGE);
      return;
    }
    ConsoleServer server;
    PostgresEventStore store;
    try {
      PostgresEventStore.Builder b = PostgresEventStore.builder(EventRegistry.builder().build())
          .jdbcUrl(options.url()).schema(options.schema()).poolSize(4).installSchema(false);
      if (options.dbUser() != null) {
        b.credentials(options.dbUser(), options.dbPassword() == null ? "" : options.dbPassword());
      }
      store = b.build();
      server = start(options, store, System.out);
    } catch (RuntimeException e) {
      // The URL may carry a password (?password=...): never echo it.
      System.err.println("es-console: " + Checks.shorten(String.valueOf(e.getMessage()).replace(options.url(), "<url>"), 300));
      System.exit(1);
      return;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      store.close();
      stopped.countDown();
    }, "console-shutdown"));
    stopped.await();
  }

  static ConsoleServer start(Options options, PostgresEventStore store, PrintStream out) {
    ConsoleServer.Builder b = ConsoleServer.builder(store).address(options.address()).port(options.port()).out(out);
    options.users().forEach(b::user);
    return b.start();
  }

  /** The parsed command line. */
  record Options(String url, String schema, String dbUser, String dbPassword, InetAddress address, int port,
      List<ConsoleUser> users, boolean help) {

    static Options parse(String[] args, Map<String, String> env) {
      String url = null;
      String schema = "annals";
      String dbUser = null;
      InetAddress address = loopback();
      int port = 8089;
      List<ConsoleUser> users = new ArrayList<>();
      for (String arg : args) {
        if (arg.equals("--help") || arg.equals("-h")) {
          return new Options(null, null, null, null, null, 0, List.of(), true);
        }
        int eq = arg.indexOf('=');
        if (!arg.startsWith("--") || eq < 0) {
          throw new IllegalArgumentException("unexpected argument '" + Checks.shorten(arg) + "'; " + USAGE);
        }
        String name = arg.substring(2, eq);
        String value = arg.substring(eq + 1);
        switch (name) {
          case "url" -> url = value;
          case "schema" -> schema = value;
          case "db-user" -> dbUser = value;
          case "address" -> address = address(value);
          case "port" -> port = port(value);
          // Never echo a user spec: it holds a password.
          case "user" -> users.add(ConsoleUser.parse(value));
          default -> throw new IllegalArgumentException("unknown option --" + Checks.shorten(name) + "; " + USAGE);
        }
      }
      if (url == null || !url.startsWith("jdbc:postgresql:")) {
        throw new IllegalArgumentException("--url=jdbc:postgresql://... is required; " + USAGE);
      }
      return new Options(url, schema, dbUser, env.get("ANNALS_DB_PASSWORD"), address, port, List.copyOf(users), false);
    }

    private static InetAddress loopback() {
      try {
        return InetAddress.getByName("127.0.0.1");
      } catch (UnknownHostException e) {
        throw new IllegalStateException(e);
      }
    }

    private static InetAddress address(String value) {
      // Literal addresses only: no name lookups while parsing arguments.
      if (!value.matches("[0-9.]+|[0-9A-Fa-f:]+")) {
        throw new IllegalArgumentException("--address must be an IP address, was '" + Checks.shorten(value) + "'");
      }
      try {
        return InetAddress.getByName(value);
      } catch (UnknownHostException e) {
        throw new IllegalArgumentException("--address must be an IP address, was '" + Checks.shorten(value) + "'");
      }
    }

    private static int port(String value) {
      try {
        int p = Integer.parseInt(value);
        if (p >= 0 && p <= 65535) {
          return p;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      throw new IllegalArgumentException("--port must be 0 to 65535, was '" + Checks.shorten(value) + "'");
    }

    /** Without the database password. */
    @Override
    public String toString() {
      return "Options[" + url + ", " + schema + ", " + address + ":" + port + ", " + users + "]";
    }
  }
}
