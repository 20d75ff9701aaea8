package dev.annals.bank;

import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Runs the sample bank's demo ({@link BankDemo}) at its default size.
 *
 * <p>The stores are chosen as follows, and the first line of output says which:
 * <ol>
 *   <li>the PostgreSQL database at the JDBC URL in the environment variable {@code BANK_DB_URL},
 *       when it is set;</li>
 *   <li>else {@code jdbc:postgresql://127.0.0.1:5432/test?user=postgres}, when a connection to it
 *       succeeds within 3 s;</li>
 *   <li>else in-memory stores.</li>
 * </ol>
 * On PostgreSQL the demo uses the schema {@code bank_demo}, dropped first so every run starts
 * from an empty log, and builds a {@code balances} read model with a projector.
 *
 * <p>Exit status: 0 when every check passes; 1 if one fails (money not conserved, a replayed
 * history that disagrees with itself, or a read model that disagrees with the log); 2 if the
 * chosen database cannot be used (a database named in {@code BANK_DB_URL} is never silently
 * replaced by the in-memory stores).
 */
public final class BankMain {

  /** Held so that its level stays set: the library's progress messages would interleave with the report. */
  private static final Logger LIBRARY_LOG = Logger.getLogger("dev.annals");

  private BankMain() {}

  /** Takes no arguments; reads {@code BANK_DB_URL} from the environment. */
  public static void main(String[] args) {
    quietLogs();
    int threads = Math.max(2, Math.min(4, Runtime.getRuntime().availableProcessors()));
    BankDemo.Settings settings = new BankDemo.Settings(4_000, threads, 42);
    BankStorage.Choice choice = BankStorage.choose(System.getenv());
    BankDemo.Outcome outcome;
    try (BankStorage storage = open(choice)) {
      outcome = BankDemo.run(settings, storage, System.out);
    }
    if (!outcome.ok()) {
      System.out.flush();
      System.exit(1);
    }
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
      return BankStorage.inMemory(choice.reason());
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
      return BankStorage.postgres(url, BankStorage.DEMO_SCHEMA, true, choice.reason());
    } catch (RuntimeException e) {
      exit(source, url, String.valueOf(e.getMessage()), choice.explicit());
      throw e; // not reached
    }
  }

  private static void exit(String source, String url, String problem, boolean explicit) {
    System.out.flush();
    System.err.println("Annals sample bank: cannot use " + source + ", " + BankStorage.redact(url) + ": "
        + problem);
    if (explicit) {
      System.err.println("Fix the URL (jdbc:postgresql://HOST:5432/DB?user=USER&password=PASSWORD) or "
          + "unset " + BankStorage.URL_VARIABLE + " to use a local PostgreSQL or the in-memory stores.");
    } else {
      System.err.println("Set " + BankStorage.URL_VARIABLE + " to a database the demo may create the schema "
          + BankStorage.DEMO_SCHEMA + " in.");
    }
    System.exit(2);
  }
}
