package dev.annals.bank;

import dev.annals.bank.audit.MoneyAudit;
import dev.annals.bank.domain.Account;
import dev.annals.bank.domain.AccountCommand;
import dev.annals.bank.domain.AccountCommand.Deposit;
import dev.annals.bank.domain.AccountCommand.Open;
import dev.annals.bank.domain.AccountCommand.Withdraw;
import dev.annals.bank.domain.AccountEvent;
import dev.annals.bank.domain.AccountState;
import dev.annals.bank.domain.Money;
import dev.annals.bank.domain.TransferState.Status;
import dev.annals.bank.views.BalancesProjection;
import dev.annals.bank.views.DailyTotalsProjection;
import dev.annals.bank.views.StatementsProjection;
import dev.annals.core.AggregateHistory;
import dev.annals.core.AggregateRepository;
import dev.annals.core.AggregateState;
import dev.annals.core.AsOf;
import dev.annals.core.CommandContext;
import dev.annals.core.CommandResult;
import dev.annals.core.ConcurrencyConflictException;
import dev.annals.core.DomainException;
import dev.annals.core.RecordedEvent;
import dev.annals.core.Shredder;
import dev.annals.messaging.MessageSink;
import dev.annals.postgres.IntegrityVerifier;
import dev.annals.postgres.PostgresEventStore;
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
 * The demo {@link BankMain} runs on a PostgreSQL event store, through {@link Bank}: opens
 * accounts, sends deposits, withdrawals and transfers from several threads with a progress bar,
 * waits for the projectors and the transfer process to settle, takes snapshots, shows the
 * balances, replays one account as of an earlier point in the log, and audits the result: money
 * conserved, no transfer half-applied, read models in agreement with the log.
 */
final class BankDemo {

  private static final AccountSpec[] ACCOUNTS = {
      new AccountSpec("1001", "alice", "EUR"),
      new AccountSpec("1002", "bob", "EUR"),
      new AccountSpec("1003", "carol", "EUR"),
      new AccountSpec("1004", "dave", "EUR"),
      new AccountSpec("2001", "erin", "USD"),
      new AccountSpec("2002", "frank", "USD"),
      new AccountSpec("2003", "grace", "USD"),
  };

  /** How long the projectors and the transfer process may take to settle after the commands. */
  private static final Duration SETTLE_TIMEOUT = Duration.ofSeconds(120);

  private BankDemo() {}

  private record AccountSpec(String id, String owner, String currency) {}

  /**
   * How big a run is.
   *
   * @param commands deposits, withdrawals and transfers to send, 1 or more
   * @param threads threads sending them, 1 to 16
   * @param transferPercent the share of transfers among the commands, 0 to 100; the rest are
   *     deposits and withdrawals in equal parts
   * @param seed makes the sequence of commands each thread sends repeatable (their interleaving
   *     is not)
   */
  record Settings(int commands, int threads, int transferPercent, long seed) {
    Settings {
      check(commands, threads, transferPercent);
    }

    /**
     * Settings from numbers as the command line gives them, checked before they are narrowed to
     * {@code int}, so that a refusal names the value given; more commands than an {@code int}
     * holds are as many as it holds.
     */
    static Settings of(long commands, long threads, long transferPercent, long seed) {
      check(commands, threads, transferPercent);
      return new Settings((int) Math.min(Integer.MAX_VALUE, commands), (int) threads, (int) transferPercent, seed);
    }

    private static void check(long commands, long threads, long transferPercent) {
      if (commands < 1) {
        throw new IllegalArgumentException("commands must be 1 or more, was " + commands);
      }
      if (threads < 1 || threads > 16) {
        throw new IllegalArgumentException("threads must be 1 to 16, was " + threads);
      }
      if (transferPercent < 0 || transferPercent > 100) {
        throw new IllegalArgumentException("transfer percent must be 0 to 100, was " + transferPercent);
      }
    }

    /** The default run: 4,000 commands, 30% of them transfers. */
    static Settings defaults(int threads) {
      return new Settings(4_000, threads, 30, 42);
    }
  }

  /**
   * What a run did and whether its checks passed.
   *
   * @param accepted commands that wrote an event
   * @param refused commands the domain refused (mostly insufficient funds)
   * @param gaveUp commands that met a concurrent writer on every attempt
   * @param retries extra attempts the repository made after conflicts
   * @param transfers transfers requested, by final status
   * @param eventsWritten events written from the first command to the settled state, transfer
   *     steps included
   * @param seconds how long sending the commands took
   * @param settled whether the projectors caught up and every transfer ended within the timeout
   * @param replayMatches whether {@code loadAsOf} and {@code history} agreed on an earlier state
   * @param audit the money conservation check
   * @param readModelAgrees whether the projected balances agree with the loaded balances and the log
   */
  record Outcome(long accepted, long refused, long gaveUp, long retries, Map<Status, Long> transfers,
      long eventsWritten, double seconds, boolean settled, boolean replayMatches, MoneyAudit.Report audit,
      boolean readModelAgrees) {

    /** Whether every check passed. */
    boolean ok() {
      return settled && replayMatches && audit.conserved() && audit.atRest() && readModelAgrees;
    }
  }

  /**
   * Runs the demo on {@code storage}, whose log must hold no accounts yet, printing a report to
   * {@code out}.
   */
  static Outcome run(Settings settings, BankStorage storage, PrintStream out) {
    return run(settings, storage, Optional.empty(), out);
  }

  /** {@link #run(Settings, BankStorage, PrintStream)}, publishing the account events to {@code publishTo}. */
  static Outcome run(Settings settings, BankStorage storage, Optional<MessageSink> publishTo, PrintStream out) {
    PostgresEventStore store = storage.store();
    out.println("Annals sample bank: " + storage.description());
    storage.note().ifPresent(out::println);
    publishTo.ifPresent(sink -> out.println("Publishing account events to " + sink.describe()));
    try (Bank bank = Bank.start(store, "bank-demo", publishTo)) {
      out.println("Schema " + store.schema() + " ready: event store, snapshots, read models "
          + String.join(", ", new java.util.TreeSet<>(Bank.READ_MODELS.keySet())) + " and the transfer process");
      return run(settings, bank, out);
    }
  }

  private static Outcome run(Settings settings, Bank bank, PrintStream out) {
    PostgresEventStore store = bank.store();
    List<String> opened = new ArrayList<>();
    for (AccountSpec a : ACCOUNTS) {
      bank.handle(a.id(), new Open(a.owner(), Currency.getInstance(a.currency())),
          CommandContext.of("open-" + a.id()).withActor("clerk"));
      opened.add(a.id() + " " + a.owner() + " " + a.currency());
    }
    out.println("Opened " + ACCOUNTS.length + " accounts: " + String.join(", ", opened));

    out.printf(Locale.ROOT, "Sending %,d commands (%d%% transfers, the rest deposits and withdrawals) from %d threads%n",
        settings.commands(), settings.transferPercent(), settings.threads());
    Counters counters = new Counters();
    long headBefore = store.headPosition();
    long start = System.nanoTime();
    sendConcurrently(bank, settings, counters, new ProgressBar(settings.commands(), out));
    double seconds = (System.nanoTime() - start) / 1e9;
    out.printf(Locale.ROOT, "  %,d accepted, %,d refused by the domain, %,d conflicts retried, %,d given up; "
            + "%,d transfers requested%n", counters.accepted.get(), counters.refused.get(), counters.retries.get(),
        counters.gaveUp.get(), counters.transfers.get());

    showIdempotency(bank, out);
    showRefusal(() -> bank.handle("1001", new Withdraw(Money.of("1000000", "EUR")), CommandContext.random()), out);
    showRefusal(() -> bank.handle("1002", new Deposit(Money.of("5", "USD")), CommandContext.random()), out);
    // Funded first, so that it is the target, not the source, that refuses it.
    bank.handle("1003", new Deposit(Money.of("200", "EUR")), CommandContext.of("demo-cross-currency-funds")
        .withActor("carol"));
    bank.transfer("demo-cross-currency", "1003", "2001", Money.of("25", "EUR"),
        CommandContext.of("demo-cross-currency").withActor("carol"));

    out.print("Waiting for the projectors and the transfer process to settle...");
    out.flush();
    long waitStart = System.nanoTime();
    boolean settled = bank.awaitSettled(SETTLE_TIMEOUT);
    out.printf(Locale.ROOT, settled ? " done in %.2f s%n" : " NOT settled within %.0f s%n",
        settled ? (System.nanoTime() - waitStart) / 1e9 : (double) SETTLE_TIMEOUT.toSeconds());
    long eventsWritten = store.headPosition() - headBefore;
    bank.transferStatus("demo-cross-currency").ifPresent(t -> out.printf(Locale.ROOT,
        "Transfer of %s from 1003 to the USD account 2001: %s (%s)%n", t.amount(), t.status(), t.reason()));

    Map<String, AccountState> states = new LinkedHashMap<>();
    Map<String, Long> snapshotVersions = new LinkedHashMap<>();
    for (AccountSpec a : ACCOUNTS) {
      snapshotVersions.put(a.id(), bank.accounts().snapshot(a.id()));
    }
    out.println("Snapshots taken: " + snapshotVersions.entrySet().stream()
        .map(e -> e.getKey() + " at v" + e.getValue()).reduce((x, y) -> x + ", " + y).orElse("none"));

    boolean replayMatches;
    try (AggregateRepository<AccountCommand, AccountState, AccountEvent> auditor =
        AggregateRepository.builder(Account.TYPE, store).snapshotStore(store.snapshotStore()).cacheSize(0).build()) {
      Map<String, BalancesProjection.Balance> rows = new LinkedHashMap<>();
      bank.balances().forEach(b -> rows.put(b.account(), b));
      out.println("Balances (read model 'balances'; each account also loaded from its snapshot):");
      for (AccountSpec a : ACCOUNTS) {
        AggregateState<AccountState> loaded = auditor.load(a.id());
        states.put(a.id(), loaded.state());
        BalancesProjection.Balance row = rows.get(a.id());
        out.printf(Locale.ROOT, "  %s %-6s %14s  %-6s v%-5d%s%n", a.id(), a.owner(),
            row == null ? "no row" : amount(row.balance()), row == null ? "" : row.status(), loaded.version(),
            row != null && row.balance().compareTo(loaded.state().balance()) == 0 ? "" : "  loaded "
                + amount(loaded.state().balance()) + " DISAGREES");
      }
      replayMatches = showHistory(auditor, store, "1001", out);
    }

    Map<Status, Long> transfers = bank.transfersByStatus();
    out.println("Transfers: " + (transfers.isEmpty() ? "none" : transfers.entrySet().stream()
        .map(e -> String.format(Locale.ROOT, "%,d %s", e.getValue(), e.getKey().name().toLowerCase(Locale.ROOT)))
        .reduce((x, y) -> x + ", " + y).orElseThrow()));
    for (DailyTotalsProjection.Totals d : bank.dailyTotals()) {
      out.printf(Locale.ROOT, "Daily totals %s %s: deposited %s, withdrawn %s, transferred %s, %,d movements%n",
          d.day(), d.currency().getCurrencyCode(), amount(d.deposited()), amount(d.withdrawn()),
          amount(d.transferred()), d.movements());
    }

    showForgetting(bank, ACCOUNTS[3], out);

    MoneyAudit.Report audit = MoneyAudit.check(store, states.values());
    Map<String, Money> projected = BalancesProjection.read(store);
    boolean readModelAgrees = MoneyAudit.balancesAgree(projected, states, audit);

    out.println("Summary");
    out.printf(Locale.ROOT, "  Events written: %,d (commands and transfer steps); commands sent in %.2f s, "
        + "%,.0f events/s%n", eventsWritten, seconds, eventsWritten / Math.max(seconds, 1e-9));
    List<ProjectionStatus> statuses = new ArrayList<>(bank.projections().status());
    statuses.sort(java.util.Comparator.comparing((ProjectionStatus s) -> s.partition().projector())
        .thenComparing(s -> s.partition().index()));
    out.println("  (A projector's position is that of the last event it handled. It handles only its own event "
        + "types, and a partition only its own streams, so it may rest short of the log's head with no work left.)");
    for (ProjectionStatus s : statuses) {
      out.println(projectorLine(s));
    }
    for (MoneyAudit.Line line : audit.lines()) {
      out.printf(Locale.ROOT, "  %s: balances %s %s deposits %s - withdrawals %s%s%n",
          line.currency(), amount(line.balances()), line.holds() ? "=" : "!=", amount(line.deposited()),
          amount(line.withdrawn()), line.inTransit().signum() == 0 ? "" : " - in transit " + amount(line.inTransit()));
    }
    out.println("  Money conserved: " + (audit.conserved() ? "yes" : "NO"));
    out.println("  Transfers half-applied: " + (audit.atRest() ? "none" : "SOME (money in transit)"));
    out.println("  Read model agrees with the log: " + (readModelAgrees ? "yes" : "NO"));
    return new Outcome(counters.accepted.get(), counters.refused.get(), counters.gaveUp.get(),
        counters.retries.get(), transfers, eventsWritten, seconds, settled, replayMatches, audit, readModelAgrees);
  }

  /**
   * One projector partition in the summary: where it is against the log's head, and how many
   * of its own events it has still to handle.
   */
  static String projectorLine(ProjectionStatus s) {
    ProjectionStatus.Partition p = s.partition();
    ProjectionStatus.Position at = s.position();
    long after = Math.max(0, at.headPosition() - at.cursor().position());
    String rest;
    if (after == 0) {
      rest = "at the log's head";
    } else if (at.lagEvents() == 0) {
      rest = String.format(Locale.ROOT, "log head %,d: the %,d event%s after it %s not its own", at.headPosition(),
          after, after == 1 ? "" : "s", after == 1 ? "is" : "are");
    } else {
      rest = String.format(Locale.ROOT, "log head %,d", at.headPosition());
    }
    return String.format(Locale.ROOT, "  Projector %-16s v%d p%d: %s, last handled position %,d (%s), "
            + "%,d events / %.2f s behind, %d dead letters", p.projector(), p.version(), p.index(),
        s.health().state(), at.cursor().position(), rest, at.lagEvents(), at.lagSeconds(),
        s.health().openDeadLetters());
  }

  private static final class Counters {
    final AtomicLong accepted = new AtomicLong();
    final AtomicLong refused = new AtomicLong();
    final AtomicLong gaveUp = new AtomicLong();
    final AtomicLong retries = new AtomicLong();
    final AtomicLong transfers = new AtomicLong();
  }

  /**
   * Forgets the owner of {@code a} (crypto-shredding) and shows that their name is gone from the
   * aggregate and the views while the balance and the hash chains stay as they were.
   */
  private static void showForgetting(Bank bank, AccountSpec a, PrintStream out) {
    PostgresEventStore store = bank.store();
    String customer = Account.customerOf(a.owner());
    Money before = bank.accounts().load(a.id()).state().balance();
    Shredder.Forgotten forgotten = bank.forget(customer, "dpo", "erasure request 2026-01");
    // The views erase their copies when their projectors reach the notice in the log.
    long deadline = System.nanoTime() + SETTLE_TIMEOUT.toNanos();
    String shown = viewOwner(bank, a.id());
    String statement = statementOwner(bank, a.id());
    while (!(Account.ERASED.equals(shown) && statement.endsWith(Account.ERASED)) && System.nanoTime() < deadline) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      shown = viewOwner(bank, a.id());
      statement = statementOwner(bank, a.id());
    }
    AccountState after = bank.accounts().load(a.id()).state();
    boolean intact = store.integrityVerifier().verify(IntegrityVerifier.Scope.all()).intact();
    out.printf(Locale.ROOT, "Forgot customer %s, owner of %s (asked by dpo; key %s, snapshots of %s discarded): "
            + "owner now '%s' loaded, '%s' in the balances view, '%s' in the statement%n", customer, a.id(),
        forgotten.keyDestroyed() ? "destroyed" : "already gone", forgotten.streams().isEmpty() ? "no stream"
            : forgotten.streams().stream().map(Object::toString).reduce((x, y) -> x + ", " + y).orElseThrow(),
        after.owner(), shown, statement);
    out.printf(Locale.ROOT, "  Balance of %s after forgetting: %s (%s); hash chains verify: %s%n", a.id(),
        amount(after.balance()), after.balance().compareTo(before) == 0 ? "unchanged" : "CHANGED from " + amount(before),
        intact ? "intact" : "BROKEN");
  }

  private static String statementOwner(Bank bank, String account) {
    return bank.statement(account).stream().findFirst().map(StatementsProjection.Line::reference).orElse("none");
  }

  private static String viewOwner(Bank bank, String account) {
    return bank.balances().stream().filter(b -> b.account().equals(account)).findFirst()
        .map(BalancesProjection.Balance::owner).orElse("no row");
  }

  private static void sendConcurrently(Bank bank, Settings settings, Counters counters, ProgressBar progress) {
    AtomicInteger threadNumber = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(settings.threads(),
        r -> new Thread(r, "teller-" + threadNumber.getAndIncrement()));
    try {
      List<Future<?>> tellers = new ArrayList<>();
      for (int t = 0; t < settings.threads(); t++) {
        int teller = t;
        int share = settings.commands() / settings.threads()
            + (t < settings.commands() % settings.threads() ? 1 : 0);
        tellers.add(pool.submit(() -> sendCommands(bank, teller, share, settings, counters, progress)));
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
      progress.finish();
    }
  }

  private static void sendCommands(Bank bank, int teller, int count, Settings settings, Counters counters,
      ProgressBar progress) {
    Random random = new Random(settings.seed() * 31 + teller);
    for (int i = 0; i < count; i++) {
      AccountSpec account = ACCOUNTS[random.nextInt(ACCOUNTS.length)];
      boolean transfer = random.nextInt(100) < settings.transferPercent();
      // Transfers are smaller, so that most find the money they need.
      Money amount = new Money(BigDecimal.valueOf(random.nextInt(100, transfer ? 5_001 : 20_001), 2),
          Currency.getInstance(account.currency()));
      // The command id makes a resend after a timeout harmless: its events are stored once.
      String commandId = "teller-" + teller + "-" + i;
      CommandContext context = CommandContext.of(commandId).withActor("teller-" + teller);
      try {
        CommandResult<?, ?> result;
        if (transfer) {
          // Mostly within a currency; now and then across, which the target refuses and the
          // transfer process compensates.
          boolean sameCurrency = random.nextInt(10) != 0;
          AccountSpec target;
          do {
            target = ACCOUNTS[random.nextInt(ACCOUNTS.length)];
          } while (target == account || sameCurrency != target.currency().equals(account.currency()));
          result = bank.transfer(commandId, account.id(), target.id(), amount, context);
          counters.transfers.incrementAndGet();
        } else {
          AccountCommand command = random.nextBoolean() ? new Deposit(amount) : new Withdraw(amount);
          result = bank.handle(account.id(), command, context);
        }
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

  private static void showIdempotency(Bank bank, PrintStream out) {
    CommandContext context = CommandContext.of("resend-demo").withActor("atm-7");
    Deposit deposit = new Deposit(Money.of("20", "EUR"));
    bank.handle("1003", deposit, context);
    // The account's own version, not the log's head: the transfer process writes meanwhile.
    long version = bank.store().streamVersion(Account.TYPE.streamId("1003"));
    CommandResult<AccountState, AccountEvent> again = bank.handle("1003", deposit, context);
    boolean unchanged = bank.store().streamVersion(Account.TYPE.streamId("1003")) == version
        || again.replayed();
    out.printf(Locale.ROOT, "Resent command 'resend-demo': %s%s%n", again.replayed() ? "replayed" : "handled again",
        unchanged && again.replayed() ? ", nothing written" : ", WRITTEN TWICE");
  }

  private static void showRefusal(Runnable command, PrintStream out) {
    try {
      command.run();
      out.println("NOT refused: a command that breaks the rules was accepted");
    } catch (DomainException e) {
      out.println("Domain error, nothing written: " + e.getMessage());
    }
  }

  /**
   * Replays an account as of the middle of the log by position, and checks it against a replay by
   * version of the same events.
   */
  private static boolean showHistory(AggregateRepository<AccountCommand, AccountState, AccountEvent> auditor,
      PostgresEventStore store, String id, PrintStream out) {
    long position = Math.max(1, store.headPosition() / 2);
    AggregateHistory<AccountState> history = auditor.history(id, AsOf.position(position));
    AggregateState<AccountState> byVersion = auditor.loadAsOf(id, AsOf.version(history.state().version()));
    boolean matches = byVersion.equals(history.state());
    if (history.events().isEmpty()) {
      out.printf(Locale.ROOT, "Account %s as of log position %,d: not opened yet%n", id, position);
      return matches;
    }
    RecordedEvent last = history.events().get(history.events().size() - 1);
    out.printf(Locale.ROOT, "Account %s as of log position %,d (half-way): balance %s at v%d, after %s at #%,d "
            + "by %s%s%n", id, position, amount(history.state().state().balance()), history.state().version(),
        last.type(), last.position(), last.metadata().actor(), matches ? "" : " (replay by version DISAGREES)");
    return matches;
  }

  private static String amount(Money money) {
    return amount(money.amount()) + " " + money.currency().getCurrencyCode();
  }

  private static String amount(BigDecimal value) {
    return String.format(Locale.ROOT, "%,.2f", value);
  }
}
