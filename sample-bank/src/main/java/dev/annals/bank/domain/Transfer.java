package dev.annals.bank.domain;

import dev.annals.bank.domain.TransferCommand.RecordCredit;
import dev.annals.bank.domain.TransferCommand.RecordCreditRefused;
import dev.annals.bank.domain.TransferCommand.RecordDebit;
import dev.annals.bank.domain.TransferCommand.RecordDebitRefused;
import dev.annals.bank.domain.TransferCommand.RecordRefund;
import dev.annals.bank.domain.TransferCommand.Request;
import dev.annals.bank.domain.TransferEvent.CreditRefused;
import dev.annals.bank.domain.TransferEvent.DebitRefused;
import dev.annals.bank.domain.TransferEvent.Requested;
import dev.annals.bank.domain.TransferEvent.SourceDebited;
import dev.annals.bank.domain.TransferEvent.SourceRefunded;
import dev.annals.bank.domain.TransferEvent.TargetCredited;
import dev.annals.bank.domain.TransferState.Status;
import dev.annals.core.AggregateType;
import dev.annals.core.Decider;
import dev.annals.core.DomainException;
import dev.annals.core.EventRegistry;
import dev.annals.core.StreamId;
import java.util.List;

/**
 * A transfer between two accounts as a decider: the record of one saga run by
 * {@link TransferProcess}. Its state machine allows each step only from the state before it, so
 * a step recorded twice (after a crash, say) is refused instead of applied twice.
 *
 * <pre>
 * REQUESTED --debit--> DEBITED --credit--> COMPLETED
 *     |                   |
 *     +--debit refused--> FAILED        credit refused --> REFUNDING --refund--> COMPENSATED
 * </pre>
 */
public final class Transfer {

  static final Decider<TransferCommand, TransferState, TransferEvent> DECIDER =
      Decider.of(() -> TransferState.NONE, Transfer::evolve, Transfer::decide);

  /**
   * Stable names for the transfer events; renaming a class must not change them. A store that
   * holds accounts too needs {@link BankEvents#REGISTRY}.
   */
  public static final EventRegistry REGISTRY = registerEvents(EventRegistry.builder()).build();

  /** Streams {@code transfer-<id>}; a transfer has at most four events, so no snapshots. */
  public static final AggregateType<TransferCommand, TransferState, TransferEvent> TYPE =
      AggregateType.builder("transfer", TransferEvent.class, DECIDER).build();

  private Transfer() {}

  /** Adds the transfer events under their stable names to {@code builder}. */
  static EventRegistry.Builder registerEvents(EventRegistry.Builder builder) {
    return builder
        .register(Requested.class, "TransferRequested")
        .register(SourceDebited.class, "TransferSourceDebited")
        .register(DebitRefused.class, "TransferDebitRefused")
        .register(TargetCredited.class, "TransferTargetCredited")
        .register(CreditRefused.class, "TransferCreditRefused")
        .register(SourceRefunded.class, "TransferSourceRefunded");
  }

  static List<TransferEvent> decide(TransferCommand command, TransferState state) {
    if (command instanceof Request request) {
      if (state.status() != Status.NONE) {
        throw new TransferIdTaken("a transfer was already requested under this id, from " + state.source()
            + " to " + state.target() + "; use a new transfer id");
      }
      checkAccount(request.source(), "source");
      checkAccount(request.target(), "target");
      if (request.source().equals(request.target())) {
        throw new DomainException("a transfer needs two different accounts, was " + request.source()
            + " to itself");
      }
      if (request.amount() == null || request.amount().signum() <= 0) {
        throw new DomainException("a transfer amount must be positive, was " + request.amount());
      }
      return List.of(new Requested(request.source(), request.target(), request.amount()));
    }
    if (command instanceof RecordDebit) {
      require(state, Status.REQUESTED, "record the debit");
      return List.of(new SourceDebited());
    }
    if (command instanceof RecordDebitRefused refused) {
      require(state, Status.REQUESTED, "record the refused debit");
      return List.of(new DebitRefused(refused.reason()));
    }
    if (command instanceof RecordCredit) {
      require(state, Status.DEBITED, "record the credit");
      return List.of(new TargetCredited());
    }
    if (command instanceof RecordCreditRefused refused) {
      require(state, Status.DEBITED, "record the refused credit");
      return List.of(new CreditRefused(refused.reason()));
    }
    if (command instanceof RecordRefund) {
      require(state, Status.REFUNDING, "record the refund");
      return List.of(new SourceRefunded());
    }
    throw new IllegalArgumentException("unknown transfer command " + command);
  }

  static TransferState evolve(TransferState state, TransferEvent event) {
    if (event instanceof Requested r) {
      return new TransferState(Status.REQUESTED, r.source(), r.target(), r.amount(), null);
    }
    if (event instanceof SourceDebited) {
      return state.with(Status.DEBITED, null);
    }
    if (event instanceof DebitRefused refused) {
      return state.with(Status.FAILED, refused.reason());
    }
    if (event instanceof TargetCredited) {
      return state.with(Status.COMPLETED, null);
    }
    if (event instanceof CreditRefused refused) {
      return state.with(Status.REFUNDING, refused.reason());
    }
    if (event instanceof SourceRefunded) {
      return state.with(Status.COMPENSATED, null);
    }
    throw new IllegalArgumentException("unknown transfer event " + event);
  }

  /** Another transfer was already requested under the id. */
  public static final class TransferIdTaken extends DomainException {
    private static final long serialVersionUID = 1L;

    TransferIdTaken(String message) {
      super(message);
    }
  }

  private static void require(TransferState state, Status expected, String step) {
    if (state.status() != expected) {
      throw new DomainException("cannot " + step + ": the transfer is " + state.status() + ", not " + expected);
    }
  }

  private static void checkAccount(String id, String role) {
    if (id == null || id.isBlank()) {
      throw new DomainException("a transfer needs a " + role + " account id");
    }
    try {
      StreamId.of(Account.TYPE.category(), id);
    } catch (IllegalArgumentException e) {
      throw new DomainException("invalid " + role + " account id '" + id + "': " + e.getMessage());
    }
  }
}
