package dev.annals.bank.domain;

import dev.annals.bank.domain.AccountCommand.CreditFromTransfer;
import dev.annals.bank.domain.AccountCommand.DebitForTransfer;
import dev.annals.bank.domain.AccountCommand.RefundTransfer;
import dev.annals.bank.domain.TransferCommand.RecordCredit;
import dev.annals.bank.domain.TransferCommand.RecordCreditRefused;
import dev.annals.bank.domain.TransferCommand.RecordDebit;
import dev.annals.bank.domain.TransferCommand.RecordDebitRefused;
import dev.annals.bank.domain.TransferCommand.RecordRefund;
import dev.annals.bank.domain.TransferEvent.CreditRefused;
import dev.annals.bank.domain.TransferEvent.Requested;
import dev.annals.bank.domain.TransferEvent.SourceDebited;
import dev.annals.bank.domain.TransferState.Status;
import dev.annals.core.AggregateRepository;
import dev.annals.core.CommandContext;
import dev.annals.core.DomainException;
import dev.annals.core.LogFilter;
import dev.annals.core.RecordedEvent;
import dev.annals.projections.Projector;
import dev.annals.projections.SideEffectContext;
import java.time.Duration;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * The process manager that carries each {@link Transfer} through: it follows the transfer events
 * in the log (a side-effect projector) and answers each with the next step.
 *
 * <ul>
 *   <li>{@code Requested}: debit the source; record the debit, or its refusal (the end).</li>
 *   <li>{@code SourceDebited}: credit the target; record the credit (the end), or its refusal.</li>
 *   <li>{@code CreditRefused}: refund the source, which no account state refuses; record it.</li>
 * </ul>
 *
 * <p>Why a crash anywhere leaves nothing half-applied: the checkpoint passes an event only after
 * its step was recorded, so after a restart the step runs again; every command carries a command
 * id made of the transfer id and the step, so a step that reached the store before the crash is
 * not applied twice (the repository reports the first outcome); and a step runs only while the
 * transfer, read fresh from the store, is still in the state that event left it in, so an old
 * event delivered again cannot act on a transfer that has moved on.
 */
public final class TransferProcess {

  /** The side-effect projector's name. */
  public static final String NAME = "transfer_process";

  static final String ACTOR = "transfer-process";

  private final AggregateRepository<AccountCommand, AccountState, AccountEvent> accounts;
  private final AggregateRepository<TransferCommand, TransferState, TransferEvent> transfers;
  private final UnaryOperator<String> currentStream;

  /**
   * @param transfers a repository without a cache: the process must see each transfer as stored
   */
  public TransferProcess(AggregateRepository<AccountCommand, AccountState, AccountEvent> accounts,
      AggregateRepository<TransferCommand, TransferState, TransferEvent> transfers) {
    this(accounts, transfers, UnaryOperator.identity());
  }

  /**
   * @param transfers a repository without a cache: the process must see each transfer as stored
   * @param currentStream maps an account id to its current stream's repository id (the books of
   *     an account close yearly: see {@code Bank#currentStream})
   */
  public TransferProcess(AggregateRepository<AccountCommand, AccountState, AccountEvent> accounts,
      AggregateRepository<TransferCommand, TransferState, TransferEvent> transfers,
      UnaryOperator<String> currentStream) {
    this.accounts = Objects.requireNonNull(accounts, "accounts");
    this.transfers = Objects.requireNonNull(transfers, "transfers");
    this.currentStream = Objects.requireNonNull(currentStream, "currentStream");
  }

  /** The projector to run in a {@link dev.annals.projections.ProjectionRunner}. */
  public Projector projector() {
    return Projector.sideEffects(NAME)
        .filter(LogFilter.categories(Transfer.TYPE.category()))
        // Transfers are independent: two partitions (by stream) let two progress at once.
        .partitions(2)
        .retries(20, Duration.ofMillis(50), Duration.ofSeconds(2))
        .handler(this::on)
        .build();
  }

  void on(RecordedEvent event, SideEffectContext context) {
    String id = event.streamId().id();
    Object payload = event.payload();
    String correlation = event.metadata().correlationId() == null ? id : event.metadata().correlationId();
    TransferState transfer = transfers.load(id).state();
    if (payload instanceof Requested && transfer.status() == Status.REQUESTED) {
      try {
        accounts.handle(currentStream.apply(transfer.source()), new DebitForTransfer(id, transfer.amount(), transfer.target()),
            step(id, "debit", correlation));
      } catch (DomainException refused) {
        transfers.handle(id, new RecordDebitRefused(refused.getMessage()), step(id, "debit-refused", correlation));
        return;
      }
      transfers.handle(id, new RecordDebit(), step(id, "debited", correlation));
    } else if (payload instanceof SourceDebited && transfer.status() == Status.DEBITED) {
      try {
        accounts.handle(currentStream.apply(transfer.target()), new CreditFromTransfer(id, transfer.amount(), transfer.source()),
            step(id, "credit", correlation));
      } catch (DomainException refused) {
        transfers.handle(id, new RecordCreditRefused(refused.getMessage()), step(id, "credit-refused", correlation));
        return;
      }
      transfers.handle(id, new RecordCredit(), step(id, "credited", correlation));
    } else if (payload instanceof CreditRefused && transfer.status() == Status.REFUNDING) {
      accounts.handle(currentStream.apply(transfer.source()), new RefundTransfer(id, transfer.amount(), transfer.reason()),
          step(id, "refund", correlation));
      transfers.handle(id, new RecordRefund(), step(id, "refunded", correlation));
    }
  }

  /** The context of one step of one transfer: its command id names both, so a step runs once. */
  static CommandContext step(String transferId, String step, String correlation) {
    return CommandContext.of("transfer:" + transferId + ":" + step).withCorrelationId(correlation)
        .withActor(ACTOR);
  }
}
