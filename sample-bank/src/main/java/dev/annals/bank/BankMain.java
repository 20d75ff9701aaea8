package dev.annals.bank;

import dev.annals.bank.audit.AuditMain;
import dev.annals.bank.http.BankServer;
import dev.annals.core.internal.Redaction;
import dev.annals.messaging.MessageSink;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Runs the sample bank's demo ({@link BankDemo}).
 *
 * <pre>
 * BankMain [--commands N] [--threads T] [--transfers PERCENT] [--seed S]
 * BankMain serve [--port N] [--host ADDRESS] [--schema NAME]     (see {@link BankServer})
 * BankMain audit [--schema NAME] [--json] COMMAND ...            (see {@link AuditMain})
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
 *       deleted at exit, where that can run.</li>
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
public final class BankMain {

  /** Held so that its level stays set: the library's progress messages would interleave with the report. */
  private static final Logger LIBRARY_LOG = Logger.getLogger("dev.annals");

  private BankMain() {}

  /** See the class description; reads {@code BANK_DB_URL} from the environment. */
  public static void main(String[] args) {
    if (args.length > 0 && args[0].equals("serve")) {
      BankServer.main(java.util.Arrays.copyOfRange(args, 1, args.length));
      return;
    }
    if (args.length > 0 && args[0].equals("audit")) {
      AuditMain.main(java.util.Arrays.copyOfRange(args, 1, args.length));
      return;
    }
    quietLogs();
    BankDemo.Settings settings;
    try {
      settings = parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("Annals sample bank: " + Redaction.redact(e.getMessage()));
      System.err.println("usage: BankMain [--commands N] [--threads T] [--transfers PERCENT] [--seed S]"
          + " | serve [--port N] ... | audit COMMAND ...");
      System.exit(2);
      return;
    }
    Optional<MessageSink> publishing;
    try {
      publishing = BankPublishing.fromEnvironment(System.getenv());
    } catch (IllegalArgumentException e) {
      System.err.println("Annals sample bank: " + Redaction.redact(e.getMessage()));
      System.exit(2);
      return;
    }
    BankStorage.Choice choice = BankStorage.choose(System.getenv());
    BankDemo.Outcome outcome;
    try (BankStorage storage = open(choice)) {
      outcome = BankDemo.run(settings, storage, publishing, System.out);
    }
    if (!outcome.ok()) {
      System.out.flush();
      System.exit(1);
    }
  }

  /** The settings the arguments ask for, over the defaults. */
  static BankDemo.Settings parse(String[] args) {
    int defaultThreads = Math.max(2, Math.min(4, Runtime.getRuntime().availableProcessors()));
    BankDemo.Settings d = BankDemo.Settings.defaults(defaultThreads);
    long commands = d.commands();
    long threads = d.threads();
    long transfers = d.transferPercent();
    long seed = d.seed();
    for (int i = 0; i < args.length; i++) {
      String option = args[i];
      if (!option.equals("--commands") && !option.equals("--threads") && !option.equals("--transfers")
          && !option.equals("--seed")) {
        throw new IllegalArgumentException("unknown argument '" + option + "'");
      }
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException("option " + option + " needs a value");
      }
      String value = args[++i];
      long number;
      try {
        number = Long.parseLong(value);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("option " + option + " needs a whole number, was '" + value + "'");
      }
      switch (option) {
        case "--commands" -> commands = number;
        case "--threads" -> threads = number;
        case "--transfers" -> transfers = number;
        default -> seed = number;
      }
    }
    return BankDemo.Settings.of(commands, threads, transfers, seed);
  }

  /** Keeps warnings and errors of the libraries on the console, but not their progress messages. */
  private static void quietLogs() {
    LIBRARY_LOG.setLevel(Level.WARNING);
    if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
      System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    }
  }

  private static BankStorage open(BankStorage.Choice choice) {
    if (choice.jdbcUrl().isEmpty()) {
      try {
        return BankStorage.embedded(BankStorage.DEMO_SCHEMA, "No PostgreSQL answered at 127.0.0.1:5432, so the demo "
            + "started an embedded one; set " + BankStorage.URL_VARIABLE + " to use another database");
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
