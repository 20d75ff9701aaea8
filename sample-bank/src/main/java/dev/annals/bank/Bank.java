package dev.annals.bank;

import dev.annals.bank.domain.Account;
import dev.annals.bank.domain.AccountCommand;
import dev.annals.bank.domain.AccountEvent;
import dev.annals.bank.domain.AccountState;
import dev.annals.bank.domain.Money;
import dev.annals.bank.domain.Transfer;
import dev.annals.bank.domain.TransferCommand;
import dev.annals.bank.domain.TransferEvent;
import dev.annals.bank.domain.TransferProcess;
import dev.annals.bank.domain.TransferState.Status;
import dev.annals.bank.domain.TransferState;
import dev.annals.bank.views.BalancesProjection;
import dev.annals.bank.views.DailyTotalsProjection;
import dev.annals.bank.views.StatementsProjection;
import dev.annals.bank.views.TransferStatusProjection;
import dev.annals.core.AggregateRepository;
import dev.annals.core.AggregateState;
import dev.annals.core.BookClosing;
import dev.annals.core.DomainException;
import dev.annals.core.Metadata;
import dev.annals.core.RecordedEvent;
import dev.annals.core.StreamId;
import dev.annals.core.CommandContext;
import dev.annals.core.CommandResult;
import dev.annals.core.EventStore;
import dev.annals.core.ExpectedVersion;
import dev.annals.core.RepositoryObserver;
import dev.annals.core.Shredder;
import dev.annals.core.internal.Redaction;
import dev.annals.messaging.MessageSink;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.projections.BatchScope;
import dev.annals.projections.ProjectionObserver;
import dev.annals.projections.ProjectionRunner;
import dev.annals.projections.Projector;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * The sample bank as one application on one PostgreSQL event store: the account and transfer
 * repositories, the read models ({@code balances}, {@code statements}, {@code daily_totals},
 * {@code transfers}) and the {@link TransferProcess}, all run by one {@link ProjectionRunner}.
 * Several instances (nodes) may run against the same schema: each projector is owned by one of
 * them at a time.
 *
 * <p>Thread-safe. Close it to stop the projectors and wait for pending snapshot writes.
 */
public final class Bank implements AutoCloseable {

  /** The read models, by name; {@code audit rebuild} takes these names. */
  public static final Map<String, Projector> READ_MODELS = Map.of(
      BalancesProjection.NAME, BalancesProjection.PROJECTOR,
      StatementsProjection.NAME, StatementsProjection.PROJECTOR,
      DailyTotalsProjection.NAME, DailyTotalsProjection.PROJECTOR,
      TransferStatusProjection.NAME, TransferStatusProjection.PROJECTOR);

  private final PostgresEventStore store;
  private final AggregateRepository<AccountCommand, AccountState, AccountEvent> accounts;
  private final AggregateRepository<TransferCommand, TransferState, TransferEvent> transfers;
  private final AggregateRepository<TransferCommand, TransferState, TransferEvent> processTransfers;
  private final ProjectionRunner runner;

  private final MessageSink publishTo;

  private Bank(PostgresEventStore store, String nodeId, MessageSink publishTo, Observation observation) {
    this.store = store;
    EventStore appendTo = observation.appendThrough().apply(store);
    this.accounts = observed(AggregateRepository.builder(Account.TYPE, appendTo), observation)
        .snapshotStore(store.snapshotStore()).maxAttempts(10).build();
    this.transfers = observed(AggregateRepository.builder(Transfer.TYPE, appendTo), observation).maxAttempts(10).build();
    this.processTransfers = observed(AggregateRepository.builder(Transfer.TYPE, appendTo), observation).cacheSize(0)
        .maxAttempts(10).build();
    ProjectionRunner.Builder builder = ProjectionRunner.builder(store).nodeId(nodeId).installSchema(true);
    observation.projections().ifPresent(builder::observer);
    observation.batches().ifPresent(builder::batchScope);
    READ_MODELS.values().forEach(builder::projector);
    builder.projector(new TransferProcess(accounts, processTransfers, this::currentStream).projector());
    this.publishTo = publishTo;
    if (publishTo != null) {
      builder.projector(BankPublishing.publisher(observation.publishThrough().apply(publishTo)));
    }
    this.runner = builder.build();
    observation.runner().accept(runner);
  }

  private static <C, S, E> AggregateRepository.Builder<C, S, E> observed(AggregateRepository.Builder<C, S, E> builder,
      Observation observation) {
    observation.repositories().ifPresent(builder::observer);
    return builder;
  }

  /**
   * What observes the bank (es-micrometer's metrics, es-opentelemetry's tracing), in the
   * framework's own types so that the bank needs neither module.
   *
   * @param appendThrough wraps the store the repositories append through (tracing's store)
   * @param repositories observes the repositories
   * @param projections observes the projectors, the transfer process and the publisher
   * @param batches runs around each of their batches (tracing's span, current for the handlers)
   * @param publishThrough wraps the sink the publisher sends to
   * @param runner is told the projection runner once it is built (to bind gauges to it)
   */
  public record Observation(UnaryOperator<EventStore> appendThrough, Optional<RepositoryObserver> repositories,
      Optional<ProjectionObserver> projections, Optional<BatchScope> batches,
      UnaryOperator<MessageSink> publishThrough, Consumer<ProjectionRunner> runner) {

    /** Checks for nulls. */
    public Observation {
      Objects.requireNonNull(appendThrough, "appendThrough must not be null");
      Objects.requireNonNull(repositories, "repositories must not be null");
      Objects.requireNonNull(projections, "projections must not be null");
      Objects.requireNonNull(batches, "batches must not be null");
      Objects.requireNonNull(publishThrough, "publishThrough must not be null");
      Objects.requireNonNull(runner, "runner must not be null");
    }

    /** Nothing observed. */
    public static Observation none() {
      return new Observation(UnaryOperator.identity(), Optional.empty(), Optional.empty(), Optional.empty(),
          UnaryOperator.identity(), r -> { });
    }
  }

  /**
   * Starts the bank on {@code store}: installs the projection tables if needed and starts the
   * projectors and the transfer process.
   *
   * @param nodeId names this instance in projector ownership and status
   */
  public static Bank start(PostgresEventStore store, String nodeId) {
    return start(store, nodeId, Optional.empty());
  }

  /**
   * {@link #start(PostgresEventStore, String)}, also publishing every account event to
   * {@code publishTo} when present (see {@link BankPublishing}); the bank closes the sink.
   */
  public static Bank start(PostgresEventStore store, String nodeId, Optional<MessageSink> publishTo) {
    return start(store, nodeId, publishTo, Observation.none());
  }

  /** {@link #start(PostgresEventStore, String, Optional)}, observed as {@code observation} says. */
  public static Bank start(PostgresEventStore store, String nodeId, Optional<MessageSink> publishTo,
      Observation observation) {
    Objects.requireNonNull(store, "store must not be null");
    Objects.requireNonNull(observation, "observation must not be null");
    Bank bank = new Bank(store, Objects.requireNonNull(nodeId, "nodeId must not be null"), publishTo.orElse(null),
        observation);
    bank.runner.start();
    return bank;
  }

  /** Where account events are published, if anywhere. */
  Optional<MessageSink> publishing() {
    return Optional.ofNullable(publishTo);
  }

  /** The event store the bank runs on. */
  public PostgresEventStore store() {
    return store;
  }

  /** The runner of the read models, the transfer process and the publisher, for their status. */
  public ProjectionRunner projections() {
    return runner;
  }

  /** The accounts' repository: load, loadAsOf, history. */
  public AggregateRepository<AccountCommand, AccountState, AccountEvent> accounts() {
    return accounts;
  }

  /** The transfers' repository. */
  public AggregateRepository<TransferCommand, TransferState, TransferEvent> transfers() {
    return transfers;
  }

  /**
   * Handles a command on account {@code accountId}; see {@link AggregateRepository#handle}. The
   * context's command id makes a resend harmless. A withdrawal refused for want of funds is
   * recorded as {@link AccountEvent.WithdrawalRefused} (once per command id) before the refusal
   * is thrown, so that fraud detection downstream sees it.
   */
  public CommandResult<AccountState, AccountEvent> handle(String accountId, AccountCommand command,
      CommandContext context) {
    try {
      return onCurrentStream(accountId, stream -> accounts.handle(stream, command, context));
    } catch (Account.InsufficientFunds refused) {
      recordRefusal(accountId, command, context, refused);
      throw refused;
    }
  }

  /** Runs {@code action} on the account's current stream, once more if its books closed meanwhile. */
  private <T> T onCurrentStream(String accountId, Function<String, T> action) {
    try {
      return action.apply(currentStream(accountId));
    } catch (Account.BooksClosed closedMeanwhile) {
      return action.apply(currentStream(accountId));
    }
  }

  /**
   * The repository id of account {@code accountId}'s current stream: {@code accountId} itself
   * until its books are first closed, then {@code <accountId>.<year>} of the latest year (see
   * {@link #closeYear}). Read from the store's stream list, so every node routes alike.
   */
  public String currentStream(String accountId) {
    Objects.requireNonNull(accountId, "accountId must not be null");
    String prefix = Account.TYPE.category() + "-" + accountId + ".";
    List<String> periods = store.withHandle("find the account's current stream", h -> h.createQuery(
            "SELECT stream_id FROM " + store.schema() + ".streams WHERE category = :category "
                + "AND starts_with(stream_id, :prefix)")
        .bind("category", Account.TYPE.category())
        .bind("prefix", prefix)
        .mapTo(String.class)
        .list());
    String current = accountId;
    for (String stream : periods) {
      String id = stream.substring(Account.TYPE.category().length() + 1);
      if (Account.accountOf(id).equals(accountId) && Account.periodOf(id) > Account.periodOf(current)) {
        current = id;
      }
    }
    return current;
  }

  /**
   * Closes the books of {@code year} of account {@code accountId} with {@link BookClosing}: its
   * current stream ends with {@link AccountEvent.YearClosed} and {@code <accountId>.<year + 1>}
   * starts with {@link AccountEvent.BalanceCarriedForward}, each naming the other in its metadata.
   * The old stream can then be archived. Calling it again after a failure between the two appends
   * finishes the close.
   *
   * @throws DomainException if the account is not open, is frozen, or is already in a later year
   * @throws dev.annals.core.ConcurrencyConflictException if the account moved while closing; try again
   */
  public BookClosing.Closed closeYear(String accountId, int year, CommandContext context) {
    String current = currentStream(accountId);
    if (Account.periodOf(current) > year) {
      throw new DomainException("closing the books of " + year + " refused: account " + accountId
          + " is in " + Account.periodOf(current) + " already");
    }
    StreamId from = StreamId.of(Account.TYPE.category(), current);
    StreamId to = StreamId.of(Account.TYPE.category(), Account.periodStream(accountId, year + 1));
    AggregateState<AccountState> state = accounts.load(current);
    AccountEvent.YearClosed closing = Account.closeYear(state.state(), year);
    RecordedEvent first = store.readStream(from, 1, 1).get(0);
    String customer = first.payload() instanceof AccountEvent.Opened opened ? opened.customer()
        : ((AccountEvent.BalanceCarriedForward) first.payload()).customer();
    AccountEvent.BalanceCarriedForward opening = new AccountEvent.BalanceCarriedForward(accountId, year + 1,
        customer, closing.balance(), state.state().overdraftLimit());
    Metadata metadata = Metadata.empty().withActor(context.actor()).withCorrelationId(context.correlationId());
    return BookClosing.close(store, from, state.version(), closing, to, opening, metadata);
  }

  private void recordRefusal(String accountId, AccountCommand command, CommandContext context,
      Account.InsufficientFunds refused) {
    if (!(command instanceof AccountCommand.Withdraw withdraw)) {
      return;
    }
    // Derived from the refused command's id, so a resend of it records one refusal, not two.
    CommandContext record = new CommandContext(context.commandId() + "/refused", context.correlationId(),
        context.actor(), context.extra());
    try {
      accounts.handle(currentStream(accountId),
          new AccountCommand.RecordWithdrawalRefused(withdraw.amount(), refused.getMessage()), record);
    } catch (RuntimeException e) {
      // The caller is owed the refusal itself; failing to record it must not hide it.
      refused.addSuppressed(e);
    }
  }

  /**
   * Handles a command only if account {@code accountId} is at {@code expectedVersion}, appending
   * with exactly that version; see {@link AggregateRepository#handle(String, Object, CommandContext, ExpectedVersion)}.
   */
  public CommandResult<AccountState, AccountEvent> handle(String accountId, AccountCommand command,
      CommandContext context, ExpectedVersion expectedVersion) {
    return accounts.handle(currentStream(accountId), command, context, expectedVersion);
  }

  /**
   * Requests a transfer; {@link TransferProcess} carries it out shortly after. A request sent again
   * with the same context's command id reports the first outcome; another request under the same
   * transfer id is refused.
   *
   * @throws dev.annals.core.DomainException if the request itself is invalid (same account,
   *     non-positive amount, bad account id, transfer id taken)
   */
  public CommandResult<TransferState, TransferEvent> transfer(String transferId, String source, String target,
      Money amount, CommandContext context) {
    return transfers.handle(transferId, new TransferCommand.Request(source, target, amount), context);
  }

  /**
   * Forgets a customer (crypto-shredding): destroys their key, so their name reads
   * {@value Account#ERASED} in every load, replay and view from now on; discards their accounts'
   * snapshots and cached states; and records who asked and why in the log, where the read models
   * find it and erase their copies. Balances and the hash chains are untouched.
   *
   * @param customer a customer id, as {@link Account#customerOf} gives it
   */
  public Shredder.Forgotten forget(String customer, String by, String reason) {
    return Shredder.builder(store).snapshots(store.snapshotStore()).evicting(accounts).build()
        .forget(customer, by, reason);
  }

  /** The {@code balances} view. */
  public List<BalancesProjection.Balance> balances() {
    return BalancesProjection.rows(store);
  }

  /** The {@code statements} view of one account. */
  public List<StatementsProjection.Line> statement(String accountId) {
    return StatementsProjection.read(store, accountId);
  }

  /** The {@code transfers} view of one transfer. */
  public Optional<TransferStatusProjection.View> transferStatus(String transferId) {
    return TransferStatusProjection.read(store, transferId);
  }

  /** The {@code daily_totals} view. */
  public List<DailyTotalsProjection.Totals> dailyTotals() {
    return DailyTotalsProjection.read(store);
  }

  /**
   * Waits until every projector has caught up with the log and no transfer is under way (each is
   * completed, failed or compensated), checking the read models themselves.
   *
   * @return false if that did not happen within {@code timeout}
   */
  public boolean awaitSettled(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      // Caught up, then no transfer under way, then caught up again: a transfer's last event
      // follows its money's, so when the transfers view shows it finished the balances view may
      // still be one refund behind; the second wait covers everything written before the count.
      if (allCaughtUp(deadline) && transfersUnderWay() == 0 && allCaughtUp(deadline)) {
        return true;
      }
      if (System.nanoTime() >= deadline) {
        return false;
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
  }

  private boolean allCaughtUp(long deadline) {
    boolean caughtUp = true;
    for (String name : projectorNames()) {
      Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
      caughtUp &= runner.awaitCaughtUp(name, left);
    }
    return caughtUp;
  }

  /** Transfers the {@code transfers} view shows neither completed, failed nor compensated. */
  long transfersUnderWay() {
    return TransferStatusProjection.countByStatus(store).entrySet().stream()
        .filter(e -> !e.getKey().isFinal()).mapToLong(Map.Entry::getValue).sum();
  }

  /** Transfers per status, from the {@code transfers} view. */
  public Map<Status, Long> transfersByStatus() {
    return TransferStatusProjection.countByStatus(store);
  }

  private List<String> projectorNames() {
    List<String> names = new java.util.ArrayList<>(List.of(TransferProcess.NAME, BalancesProjection.NAME,
        StatementsProjection.NAME, DailyTotalsProjection.NAME, TransferStatusProjection.NAME));
    if (publishTo != null) {
      names.add(BankPublishing.PUBLISHER);
    }
    return names;
  }

  @Override
  public void close() {
    runner.close();
    if (publishTo != null) {
      try {
        publishTo.close();
      } catch (Exception e) {
        System.getLogger(Bank.class.getName()).log(System.Logger.Level.WARNING,
            "closing " + publishTo.describe() + " failed: " + Redaction.redact(e.getMessage()));
      }
    }
    accounts.close();
    transfers.close();
    processTransfers.close();
  }
}
