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
import dev.annals.core.DomainException;
import dev.annals.testkit.AggregateFixture;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

/** The transfer's state machine, as given-when-then. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class TransferTest {

  static final Money TEN = Money.of("10", "EUR");
  static final Requested REQUESTED = new Requested("1001", "1002", TEN);

  final AggregateFixture<TransferCommand, TransferState, TransferEvent> transfer =
      AggregateFixture.of(Transfer.TYPE, Transfer.REGISTRY);

  static TransferState state(Status status, String reason) {
    return new TransferState(status, "1001", "1002", TEN, reason);
  }

  @Test
  void the_happy_path_debits_then_credits() {
    transfer.given().when(new Request("1001", "1002", TEN)).thenEvents(REQUESTED)
        .thenState(state(Status.REQUESTED, null));
    transfer.given(REQUESTED).when(new RecordDebit()).thenEvents(new SourceDebited());
    transfer.given(REQUESTED, new SourceDebited()).when(new RecordCredit()).thenEvents(new TargetCredited())
        .thenState(state(Status.COMPLETED, null));
  }

  @Test
  void a_refused_debit_ends_it_with_nothing_moved() {
    transfer.given(REQUESTED).when(new RecordDebitRefused("insufficient funds"))
        .thenEvents(new DebitRefused("insufficient funds"))
        .thenState(state(Status.FAILED, "insufficient funds"));
  }

  @Test
  void a_refused_credit_leads_to_a_refund() {
    transfer.given(REQUESTED, new SourceDebited()).when(new RecordCreditRefused("frozen"))
        .thenEvents(new CreditRefused("frozen"))
        .thenState(state(Status.REFUNDING, "frozen"));
    transfer.given(REQUESTED, new SourceDebited(), new CreditRefused("frozen")).when(new RecordRefund())
        .thenEvents(new SourceRefunded())
        .thenState(state(Status.COMPENSATED, "frozen"));
  }

  @Test
  void a_step_recorded_twice_or_out_of_turn_is_refused() {
    transfer.given(REQUESTED, new SourceDebited()).when(new RecordDebit())
        .thenError(DomainException.class, "cannot record the debit: the transfer is DEBITED, not REQUESTED");
    transfer.given(REQUESTED).when(new RecordRefund())
        .thenError(DomainException.class, "cannot record the refund: the transfer is REQUESTED, not REFUNDING");
    transfer.given(REQUESTED, new DebitRefused("no")).when(new RecordCredit())
        .thenError(DomainException.class, "the transfer is FAILED");
  }

  @Test
  void bad_requests_are_refused_with_the_reason() {
    transfer.given().when(new Request("1001", "1001", TEN))
        .thenError(DomainException.class, "two different accounts, was 1001 to itself");
    transfer.given().when(new Request("1001", "1002", Money.of("-1", "EUR")))
        .thenError(DomainException.class, "amount must be positive, was -1");
    transfer.given().when(new Request(null, "1002", TEN))
        .thenError(DomainException.class, "needs a source account id");
    transfer.given(REQUESTED).when(new Request("1001", "1003", TEN))
        .thenError(DomainException.class, "already requested under this id");
  }
}
