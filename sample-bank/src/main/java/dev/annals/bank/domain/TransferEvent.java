package dev.annals.bank.domain;

/** What happened to a {@link Transfer}, registered in {@link Transfer#REGISTRY} under stable names. */
public sealed interface TransferEvent {

  /** A customer asked for the transfer. */
  record Requested(String source, String target, Money amount) implements TransferEvent {}

  /** The amount left the source account. */
  record SourceDebited() implements TransferEvent {}

  /** The source account refused the debit; the transfer failed with nothing moved. */
  record DebitRefused(String reason) implements TransferEvent {}

  /** The amount arrived in the target account; the transfer is complete. */
  record TargetCredited() implements TransferEvent {}

  /** The target account refused the credit; the source is to be refunded. */
  record CreditRefused(String reason) implements TransferEvent {}

  /** The source account got the amount back; the transfer is compensated. */
  record SourceRefunded() implements TransferEvent {}
}
