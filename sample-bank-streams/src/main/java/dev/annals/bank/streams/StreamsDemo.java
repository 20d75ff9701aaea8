package dev.annals.bank.streams;

import dev.annals.bank.Bank;
import dev.annals.bank.BankPublishing;
import dev.annals.bank.BankStorage;
import dev.annals.bank.domain.Account;
import dev.annals.bank.domain.AccountCommand;
import dev.annals.bank.domain.AccountEvent;
import dev.annals.bank.domain.Money;
import dev.annals.core.CommandContext;
import dev.annals.core.DomainException;
import dev.annals.core.internal.Redaction;
import dev.annals.messaging.inbox.Inbox;
import dev.annals.messaging.kafka.KafkaInboxConsumer;
import dev.annals.postgres.PostgresEventStore;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Currency;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.kafka.streams.KafkaStreams;

/**
 * The stream-processing demo: a bank publishing to Kafka, the {@link BankStreams} application and
 * {@link FreezeOnAlert}, with a few accounts behaving the way the patterns look for, until their
 * alerts have come back as freezes. Then it prints the alerts, the frozen accounts and the money
 * moved this hour, and exits.
 *
 * <pre>
 * StreamsDemo [--kafka HOST:PORT]
 * </pre>
 *
 * <p>Without {@code --kafka} it starts a Kafka broker in this JVM for the run. The database is
 * the one in {@code BANK_DB_URL}, else the local PostgreSQL, as for the bank's demo; it works in
 * the schema {@value #SCHEMA}, dropped and created again on every run.
 *
 * <p>Exit status: 0 the alerts froze the accounts they should and no other; 1 they did not within
 * the wait; 2 bad arguments, or no database or broker to use (one line saying which).
 */
public final class StreamsDemo {

  /** The schema the demo works in. */
  public static final String SCHEMA = "bank_streams_demo";

  private static final Duration WAIT = Duration.ofSeconds(120);
  /** The movements the demo makes per account, so that it shows the windows once they hold them all. */
  private static final Map<String, Long> MOVEMENTS = Map.of("1001", 1L, "1002", 3L, "1003", 2L);

  private static final String USAGE = "usage: StreamsDemo [--kafka HOST:PORT]";

  /** Held so that its level stays set. */
  private static final Logger LIBRARY_LOG = Logger.getLogger("dev.annals");

  private StreamsDemo() {}

  /** Runs the demo and exits with its status. */
  public static void main(String[] args) {
    // The broker and Kafka Streams log much at INFO and WARN (a deprecated setting, an empty
    // metadata log); the framework's progress messages too. The demo's own lines are what matters.
    LIBRARY_LOG.setLevel(Level.WARNING);
    if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
      System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
      System.setProperty("org.slf4j.simpleLogger.log.org.apache.kafka", "error");
      System.setProperty("org.slf4j.simpleLogger.log.kafka", "error");
    }
    System.exit(run(args, System.getenv(), System.out, System.err));
  }

  static int run(String[] args, Map<String, String> environment, PrintStream out, PrintStream err) {
    Optional<String> kafka = Optional.empty();
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--kafka") && i + 1 < args.length && !args[i + 1].isBlank()) {
        kafka = Optional.of(args[++i]);
      } else if (args[i].equals("--help") || args[i].equals("-h")) {
        out.println(USAGE);
        return 0;
      } else {
        err.println("StreamsDemo: unexpected argument '" + Redaction.redact(args[i]) + "'; " + USAGE);
        return 2;
      }
    }
    String jdbcUrl = environment.getOrDefault(BankStorage.URL_VARIABLE, BankStorage.LOCAL_URL);
    Optional<String> problem = BankStorage.probe(jdbcUrl);
    if (problem.isPresent()) {
      err.println("StreamsDemo: cannot use PostgreSQL at " + BankStorage.redact(jdbcUrl) + " (" + problem.get()
          + "); set " + BankStorage.URL_VARIABLE + " to a JDBC URL");
      return 2;
    }
    try {
      return run(kafka, jdbcUrl, SCHEMA, out);
    } catch (IllegalStateException | IOException e) {
      err.println("StreamsDemo: " + Redaction.redact(String.valueOf(e.getMessage())));
      return 2;
    }
  }

  /**
   * The demo on the broker at {@code kafka} (one started here when empty) and the database at
   * {@code jdbcUrl}, in {@code schema}.
   *
   * @return the exit status
   */
  static int run(Optional<String> kafka, String jdbcUrl, String schema, PrintStream out) throws IOException {
    InProcessKafka started = kafka.isEmpty() ? InProcessKafka.start() : null;
    String servers = started != null ? started.bootstrapServers() : kafka.get();
    Path stateDir = Files.createTempDirectory("annals-bank-streams-");
    try (BankStorage storage = BankStorage.postgres(jdbcUrl, schema, true)) {
      out.println("Annals sample bank, stream processing: Kafka at " + Redaction.redact(servers)
          + (started != null ? " (started in this JVM for the run)" : "") + "; PostgreSQL at "
          + BankStorage.redact(jdbcUrl) + ", schema " + schema);
      List<String> topics = new ArrayList<>(BankStreams.topics());
      topics.add(FreezeOnAlert.DEAD_LETTER_TOPIC);
      InProcessKafka.createTopics(servers, topics);
      return run(storage.store(), servers, stateDir, out);
    } finally {
      if (started != null) {
        started.close();
      }
      deleteQuietly(stateDir);
    }
  }

  private static int run(PostgresEventStore store, String servers, Path stateDir, PrintStream out) {
    BankStreams streams = BankStreams.builder().build();
    try (Bank bank = Bank.start(store, "streams-demo",
            BankPublishing.fromEnvironment(Map.of("BANK_PUBLISH", "kafka://" + servers)));
        KafkaStreams app = new KafkaStreams(streams.topology(),
            streams.properties(servers, "bank-streams-demo-" + Instant.now().toEpochMilli(), stateDir));
        KafkaInboxConsumer freezer = FreezeOnAlert.consumer(bank, Inbox.install(store), servers)) {
      app.start();
      freezer.start();
      out.println("Streams application started: money moved per account per hour (tumbling and hopping windows) "
          + "and the fraud patterns, alerts on " + BankStreams.ALERTS_TOPIC + " fed back through the inbox");

      open(bank, "1003", "carol", "100");
      bank.handle("1003", new AccountCommand.Withdraw(Money.of("10", "EUR")), CommandContext.of("coffee"));
      out.println("  1003 carol: a deposit of 100.00 EUR, a withdrawal of 10.00 EUR");
      open(bank, "1001", "alice", "50");
      for (int i = 1; i <= 3; i++) {
        try {
          bank.handle("1001", new AccountCommand.Withdraw(Money.of("500", "EUR")), CommandContext.of("atm-" + i));
        } catch (DomainException refused) {
          // Expected: the bank records each refusal, which is what the pattern reads.
        }
      }
      out.println("  1001 alice: 3 withdrawals of 500.00 EUR refused, one after the other (balance 50.00 EUR)");
      open(bank, "1002", "bob", "10");
      bank.handle("1002", new AccountCommand.Deposit(Money.of("1000", "EUR")), CommandContext.of("cash-in"));
      bank.handle("1002", new AccountCommand.Withdraw(Money.of("900", "EUR")), CommandContext.of("cash-out"));
      out.println("  1002 bob:   a deposit of 1000.00 EUR, then at once a withdrawal of 900.00 EUR");

      out.print("Waiting for the alerts to come back as freezes...");
      out.flush();
      long start = System.nanoTime();
      boolean frozen = awaitFrozen(store, List.of("1001", "1002"));
      out.printf(Locale.ROOT, frozen ? " done in %.1f s%n" : " NOT within %.0f s%n",
          frozen ? (System.nanoTime() - start) / 1e9 : (double) WAIT.toSeconds());
      for (String account : List.of("1001", "1002", "1003")) {
        out.println("  " + account + ": " + freezes(store, account));
      }
      try {
        bank.handle("1001", new AccountCommand.Withdraw(Money.of("1", "EUR")), CommandContext.random());
        out.println("Withdrawal of 1.00 EUR from 1001 now: ACCEPTED");
      } catch (DomainException refused) {
        out.println("Withdrawal of 1.00 EUR from 1001 now: " + refused.getMessage());
      }
      printMoneyMoved(app, out);
      boolean onlyThose = countFrozen(store, "1003") == 0 && countFrozen(store, "1001") == 1
          && countFrozen(store, "1002") == 1;
      out.println("Alerts froze 1001 and 1002 once each, and nothing else: " + (frozen && onlyThose ? "yes" : "NO"));
      return frozen && onlyThose ? 0 : 1;
    }
  }

  private static void open(Bank bank, String id, String owner, String deposit) {
    bank.handle(id, new AccountCommand.Open(owner, Currency.getInstance("EUR")), CommandContext.of("open-" + id));
    bank.handle(id, new AccountCommand.Deposit(Money.of(deposit, "EUR")), CommandContext.of("fund-" + id));
  }

  private static boolean awaitFrozen(PostgresEventStore store, List<String> accounts) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (accounts.stream().anyMatch(a -> countFrozen(store, a) == 0)) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return true;
  }

  private static long countFrozen(PostgresEventStore store, String account) {
    return store.readStream(Account.TYPE.streamId(account)).stream()
        .filter(e -> e.payload() instanceof AccountEvent.Frozen).count();
  }

  private static String freezes(PostgresEventStore store, String account) {
    List<String> lines = store.readStream(Account.TYPE.streamId(account)).stream()
        .filter(e -> e.payload() instanceof AccountEvent.Frozen)
        .map(e -> "FROZEN by " + e.metadata().actor() + " (" + ((AccountEvent.Frozen) e.payload()).reason() + ")")
        .toList();
    return lines.isEmpty() ? "not frozen" : String.join("; ", lines);
  }

  private static void printMoneyMoved(KafkaStreams app, PrintStream out) {
    Instant now = Instant.now();
    out.println("Money moved in the current hour (store " + BankStreams.HOURLY_STORE + "):");
    for (String account : List.of("1001", "1002", "1003")) {
      long deadline = System.nanoTime() + WAIT.toNanos();
      List<MoneyMoved> hours = List.of();
      while (System.nanoTime() < deadline) {
        try {
          hours = BankStreams.hourly(app, account, now.minus(BankStreams.WINDOW), now);
          if (hours.stream().mapToLong(MoneyMoved::movements).sum() >= MOVEMENTS.get(account)) {
            break;
          }
        } catch (org.apache.kafka.streams.errors.InvalidStateStoreException notYet) {
          // Rebalancing: the store answers once the task is running.
        }
        sleep();
      }
      for (MoneyMoved m : hours) {
        out.printf(Locale.ROOT, "  %s %s %s in %d movement%s, window %s to %s%n", account,
            m.amount().toPlainString(), m.currency(), m.movements(), m.movements() == 1 ? "" : "s",
            m.windowStart(), m.windowEnd());
      }
    }
  }

  private static void sleep() {
    try {
      Thread.sleep(100);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void deleteQuietly(Path dir) {
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | RuntimeException ignored) {
      // A temporary directory; the system cleans it up eventually.
    }
  }
}
