package dev.annals.bank.domain;

/**
 * What a customer asks of a {@link Transfer} ({@link Request}), and what {@link TransferProcess}
 * records as the steps happen. Only the process sends the {@code Record...} commands.
 */
public sealed interface TransferCommand {

  /** Moves {@code amount} from account {@code source} to account {@code target}. */
  record Request(String source, String target, Money amount) implements TransferCommand {}

  /** The source account was debited. */
  record RecordDebit() implements TransferCommand {}

  /** The source account refused the debit; nothing moved. */
  record RecordDebitRefused(String reason) implements TransferCommand {}

  /** The target account was credited: the transfer is done. */
  record RecordCredit() implements TransferCommand {}

  /** The target account refused the credit; the source must be refunded. */
  record RecordCreditRefused(String reason) implements TransferCommand {}

  /** The source account got its money back. */
  record RecordRefund() implements TransferCommand {}
}
