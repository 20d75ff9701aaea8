package dev.annals.bank;

import dev.annals.bank.AccountCommand.Deposit;
import dev.annals.bank.AccountCommand.Open;
import dev.annals.bank.AccountCommand.Withdraw;
import dev.annals.core.AggregateHistory;
import dev.annals.core.AggregateRepository;
import dev.annals.core.AggregateState;
import dev.annals.core.AsOf;
import dev.annals.core.CommandContext;
import dev.annals.core.CommandResult;
import dev.annals.core.ConcurrencyConflictException;
import dev.annals.core.DomainException;
import dev.annals.core.EventStore;
import dev.annals.core.RecordedEvent;
import dev.annals.core.Snapshot;
import dev.annals.core.SnapshotStore;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.projections.ProjectionRunner;
import dev.annals.projections.ProjectionStatus;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Currency;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The demo {@link BankMain} runs: opens accounts, hammers them with deposits and withdrawals from
 * several threads through one {@link AggregateRepository}, then audits the result from the event
 * log. The stores are in memory or in PostgreSQL ({@link BankStorage}); on PostgreSQL a projector
 * also builds the {@code balances} read model ({@link BalancesProjection}) while the commands run,
 * and the demo checks it against the log.
 */
final class BankDemo {

  private static final AccountSpec[] ACCOUNTS = {
      new AccountSpec("1001", "alice", "EUR"),
      new AccountSpec("1002", "bob", "EUR"),
      new AccountSpec("1003", "carol", "EUR"),
      new AccountSpec("1004", "dave", "USD"),
      new AccountSpec("1005", "erin", "USD"),
  };

  /** How long the read model may take to catch up with the log after the commands. */
  private static final Duration CATCH_UP_TIMEOUT = Duration.ofSeconds(60);

  private BankDemo() {}

  private record AccountSpec(String id, String owner, String currency) {}

  /**
   * How big a run is.
   *
   * @param commands deposits and withdrawals to send, 1 or more
   * @param threads threads sending them, 1 to 16
   * @param seed makes the sequence of commands each thread sends repeatable (their interleaving
   *     is not)
   */
  record Settings(int commands, int threads, long seed) {
    Settings {
      if (commands < 1) {
        throw new IllegalArgumentException("commands must be 1 or more, was " + commands);
      }
      if (threads < 1 || threads > 16) {
        throw new IllegalArgumentException("threads must be 1 to 16, was " + threads);
      }
    }
  }

  /**
   * What a run did and whether its checks passed.
   *
   * @param accepted commands that wrote an event
   * @param refused commands the domain refused (mostly insufficient funds)
   * @param gaveUp commands that met a concurrent writer on every attempt
   * @param retries extra attempts the repository made after conflicts
   * @param eventsWritten events the commands wrote, read back from the store's head position
   * @param seconds how long sending the commands took
   * @param replayMatches whether {@code loadAsOf} and {@code history} agreed on an earlier state
   * @param audit the money conservation check
   * @param readModelAgrees on PostgreSQL, whether the projected balances caught up and agree with
   *     the loaded balances and the log; empty in memory, where there is no read model
   */
  record Outcome(long accepted, long refused, long gaveUp, long retries, long eventsWritten,
      double seconds, boolean replayMatches, MoneyAudit.Report audit, Optional<Boolean> readModelAgrees) {

    /** Whether every check passed. */
    boolean ok() {
      return replayMatches && audit.conserved() && readModelAgrees.orElse(true);
    }
  }

  /** Runs the demo on fresh in-memory stores, printing a short report to {@code out}. */
  static Outcome run(Settings settings, PrintStream out) {
    try (BankStorage storage = BankStorage.inMemory()) {
      return run(settings, storage, out);
    }
  }

  /**
   * Runs the demo on {@code storage}, whose log must hold no accounts yet, printing a short
   * report to {@code out}. On PostgreSQL the {@code balances} projector runs beside the commands.
   */
  static Outcome run(Settings settings, BankStorage storage, PrintStream out) {
    Optional<PostgresEventStore> postgres = storage.postgres();
    ProjectionRunner runner = postgres.map(pg -> ProjectionRunner.builder(pg)
        .nodeId("bank-demo")
        .projector(BalancesProjection.PROJECTOR)
        .installSchema(true)
        .build()).orElse(null);
    try {
      return run(settings, storage, runner, out);
    } finally {
      if (runner != null) {
        runner.close();
      }
    }
  }

  private static Outcome run(Settings settings, BankStorage storage, ProjectionRunner runner, PrintStream out) {
    EventStore store = storage.events();
    SnapshotStore snapshots = storage.snapshots();
    out.println("Annals sample bank: " + ACCOUNTS.length + " accounts, " + storage.description());
    storage.note().ifPresent(out::println);
    if (runner != null) {
      runner.start();
      out.println("Projector " + BalancesProjection.NAME + " started: it builds the read model while the "
          + "commands run");
    }

    Counters counters = new Counters();
    long eventsWritten;
    double seconds;
    try (AggregateRepository<AccountCommand, AccountState, AccountEvent> bank =
        AggregateRepository.builder(Account.TYPE, store).snapshotStore(snapshots).maxAttempts(10).build()) {
      List<String> opened = new ArrayList<>();
      for (AccountSpec a : ACCOUNTS) {
        bank.handle(a.id(), new Open(a.owner(), Currency.getInstance(a.currency())),
            CommandContext.of("open-" + a.id()).withActor("clerk"));
        opened.add(a.id() + " " + a.owner() + " " + a.currency());
      }
      out.println("Opened: " + String.join(", ", opened));

      out.printf(Locale.ROOT, "Sending %,d deposits and withdrawals from %d threads:", settings.commands(),
          settings.threads());
      long headBefore = store.headPosition();
      long start = System.nanoTime();
      sendConcurrently(bank, settings, counters, new Progress(settings.commands(), out));
      seconds = (System.nanoTime() - start) / 1e9;
      eventsWritten = store.headPosition() - headBefore;
      out.println();
      out.printf(Locale.ROOT, "  %,d accepted, %,d refused by the domain, %,d conflicts retried, %,d given up%n",
          counters.accepted.get(), counters.refused.get(), counters.retries.get(), counters.gaveUp.get());

      showIdempotency(bank, store, out);
      showRefusal(() -> bank.handle("1001", new Withdraw(Money.of("1000000", "EUR"))), out);
      showRefusal(() -> bank.handle("1002", new Deposit(Money.of("5", "USD"))), out);
    }
    // Closing the repository waited for the snapshot writes, so loads below can use them.

    Map<String, AccountState> states = new LinkedHashMap<>();
    boolean replayMatches;
    try (AggregateRepository<AccountCommand, AccountState, AccountEvent> auditor =
        AggregateRepository.builder(Account.TYPE, store).snapshotStore(snapshots).cacheSize(0).build()) {
      out.println("Balances (each loaded from its latest snapshot plus the events after it):");
      for (AccountSpec a : ACCOUNTS) {
        AggregateState<AccountState> loaded = auditor.load(a.id());
        states.put(a.id(), loaded.state());
        String snapshot = snapshots.latest(loaded.streamId()).map(Snapshot::version)
            .map(v -> "snapshot at v" + v).orElse("no snapshot");
        out.printf(Locale.ROOT, "  %s %-6s %14s  v%-5d %s%n", a.id(), a.owner(),
            amount(loaded.state().balance()), loaded.version(), snapshot);
      }
      replayMatches = showHistory(auditor, "1001", out);
    }
    MoneyAudit.Report audit = MoneyAudit.check(store, states.values());

    out.printf(Locale.ROOT, "Events written: %,d in %.2f s (%,.0f events/s); %,d account events in the log%n",
        eventsWritten, seconds, eventsWritten / Math.max(seconds, 1e-9), audit.eventsRead());
    for (MoneyAudit.Line line : audit.lines()) {
      out.printf(Locale.ROOT, "  %s: balances %s %s deposits %s - withdrawals %s%n",
          line.currency(), amount(line.balances()), line.holds() ? "=" : "!=", amount(line.deposited()),
          amount(line.withdrawn()));
    }
    out.println(audit.conserved() ? "Money conserved: yes" : "Money conserved: NO");
    Optional<Boolean> readModelAgrees = Optional.empty();
    if (runner != null) {
      readModelAgrees = Optional.of(checkReadModel(runner, storage.postgres().orElseThrow(), states, audit, out));
    }
    return new Outcome(counters.accepted.get(), counters.refused.get(), counters.gaveUp.get(),
        counters.retries.get(), eventsWritten, seconds, replayMatches, audit, readModelAgrees);
  }

  /**
   * Waits for the {@code balances} projector to catch up, prints its status, and compares the
   * projected balances with the loaded ones and with the audit of the log.
   */
  private static boolean checkReadModel(ProjectionRunner runner, PostgresEventStore store,
      Map<String, AccountState> loaded, MoneyAudit.Report audit, PrintStream out) {
    long start = System.nanoTime();
    boolean caughtUp = runner.awaitCaughtUp(BalancesProjection.NAME, CATCH_UP_TIMEOUT);
    double waited = (System.nanoTime() - start) / 1e9;
    for (ProjectionStatus s : runner.status(BalancesProjection.NAME)) {
      out.printf(Locale.ROOT, "Projector %s v%d: %s, position %,d of head %,d, lag %,d events / %.2f s, "
          + "%,d events processed, %d dead letters%n", s.projector(), s.version(), s.state(),
          s.cursor().position(), s.headPosition(), s.lagEvents(), s.lagSeconds(), s.processedEvents(),
          s.openDeadLetters());
    }
    if (!caughtUp) {
      out.printf(Locale.ROOT, "Read model did NOT catch up within %d s%n", CATCH_UP_TIMEOUT.toSeconds());
      out.println("Read model agrees with the log: NO");
      return false;
    }
    out.printf(Locale.ROOT, "  caught up %.2f s after the audit%n", waited);
    Map<String, Money> projected = BalancesProjection.read(store);
    boolean agrees = BalancesProjection.agrees(projected, loaded, audit);
    if (!agrees) {
      for (AccountSpec a : ACCOUNTS) {
        Money row = projected.get(a.id());
        AccountState state = loaded.get(a.id());
        out.printf(Locale.ROOT, "  %s read model %s, loaded %s%n", a.id(),
            row == null ? "no row" : amount(row), state == null ? "nothing" : amount(state.balance()));
      }
    }
    out.println(agrees ? "Read model agrees with the log: yes" : "Read model agrees with the log: NO");
    return agrees;
  }

  private static final class Counters {
    final AtomicLong accepted = new AtomicLong();
    final AtomicLong refused = new AtomicLong();
    final AtomicLong gaveUp = new AtomicLong();
    final AtomicLong retries = new AtomicLong();
  }

  private static void sendConcurrently(AggregateRepository<AccountCommand, AccountState, AccountEvent> bank,
      Settings settings, Counters counters, Progress progress) {
    AtomicInteger threadNumber = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(settings.threads(),
        r -> new Thread(r, "teller-" + threadNumber.getAndIncrement()));
    try {
      List<Future<?>> tellers = new ArrayList<>();
      for (int t = 0; t < settings.threads(); t++) {
        int teller = t;
        int share = settings.commands() / settings.threads()
            + (t < settings.commands() % settings.threads() ? 1 : 0);
        tellers.add(pool.submit(() -> sendCommands(bank, teller, share, settings.seed(), counters, progress)));
      }
      for (Future<?> teller : tellers) {
        teller.get();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while the tellers were working", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw new IllegalStateException("a teller failed", e.getCause());
    } finally {
      pool.shutdownNow();
    }
  }

  private static void sendCommands(AggregateRepository<AccountCommand, AccountState, AccountEvent> bank,
      int teller, int count, long seed, Counters counters, Progress progress) {
    Random random = new Random(seed * 31 + teller);
    for (int i = 0; i < count; i++) {
      AccountSpec account = ACCOUNTS[random.nextInt(ACCOUNTS.length)];
      Money amount = new Money(BigDecimal.valueOf(random.nextInt(100, 20_001), 2),
          Currency.getInstance(account.currency()));
      AccountCommand command = random.nextBoolean() ? new Deposit(amount) : new Withdraw(amount);
      // The command id makes a resend after a timeout harmless: its events are stored once.
      CommandContext context = CommandContext.of("teller-" + teller + "-" + i).withActor("teller-" + teller);
      try {
        CommandResult<AccountState, AccountEvent> result = bank.handle(account.id(), command, context);
        counters.accepted.incrementAndGet();
        counters.retries.addAndGet(result.attempts() - 1);
      } catch (DomainException refused) {
        counters.refused.incrementAndGet();
      } catch (ConcurrencyConflictException conflict) {
        counters.gaveUp.incrementAndGet();
      }
      progress.tick();
    }
  }

  private static void showIdempotency(AggregateRepository<AccountCommand, AccountState, AccountEvent> bank,
      EventStore store, PrintStream out) {
    CommandContext context = CommandContext.of("resend-demo").withActor("atm-7");
    Deposit deposit = new Deposit(Money.of("20", "EUR"));
    bank.handle("1003", deposit, context);
    long head = store.headPosition();
    CommandResult<AccountState, AccountEvent> again = bank.handle("1003", deposit, context);
    out.printf(Locale.ROOT, "Resent command 'resend-demo': %s (head position still %,d: %s)%n",
        again.events(), store.headPosition(), store.headPosition() == head ? "nothing written" : "WRITTEN TWICE");
  }

  private static void showRefusal(Runnable command, PrintStream out) {
    try {
      command.run();
      out.println("NOT refused: a command that breaks the rules was accepted");
    } catch (DomainException e) {
      out.println("Domain error, nothing written: " + e.getMessage());
    }
  }

  /** Replays an account as of half its history both ways and reports whether they agree. */
  private static boolean showHistory(AggregateRepository<AccountCommand, AccountState, AccountEvent> auditor,
      String id, PrintStream out) {
    long version = Math.max(1, auditor.load(id).version() / 2);
    AggregateState<AccountState> asOf = auditor.loadAsOf(id, AsOf.version(version));
    AggregateHistory<AccountState> history = auditor.history(id, AsOf.version(version));
    RecordedEvent last = history.events().get(history.events().size() - 1);
    boolean matches = asOf.equals(history.state()) && history.events().size() == version;
    out.printf(Locale.ROOT, "Account %s as of v%d: balance %s; history: %d events, the last %s %s by %s%s%n",
        id, version, amount(asOf.state().balance()), history.events().size(), last.type(),
        amountOf(last.payload()), last.metadata().actor(), matches ? "" : " (loadAsOf DISAGREES)");
    return matches;
  }

  private static String amountOf(Object event) {
    if (event instanceof AccountEvent.Deposited d) {
      return d.amount().toString();
    }
    if (event instanceof AccountEvent.Withdrawn w) {
      return w.amount().toString();
    }
    return "";
  }

  private static String amount(Money money) {
    return amount(money.amount()) + " " + money.currency().getCurrencyCode();
  }

  private static String amount(BigDecimal value) {
    return String.format(Locale.ROOT, "%,.2f", value);
  }

  /** Prints 25%, 50%, 75%, 100% on one line as the commands get done, from whichever thread. */
  private static final class Progress {
    private final int total;
    private final PrintStream out;
    private final AtomicInteger done = new AtomicInteger();

    Progress(int total, PrintStream out) {
      this.total = total;
      this.out = out;
    }

    void tick() {
      int n = done.incrementAndGet();
      int quarter = (int) (4L * n / total);
      int previous = (int) (4L * (n - 1) / total);
      if (quarter > previous) {
        synchronized (out) {
          out.print(" " + (quarter * 25) + "%");
          out.flush();
        }
      }
    }
  }
}
