package dev.annals.bank.domain;

/**
 * A transfer as its events leave it. Immutable.
 *
 * @param source null only while {@link Status#NONE}
 * @param target null only while {@link Status#NONE}
 * @param amount null only while {@link Status#NONE}
 * @param reason why a step was refused, or null
 */
public record TransferState(Status status, String source, String target, Money amount, String reason) {

  /** Where a transfer is; the last three are final. */
  public enum Status {
    /** Not requested: the stream has no events. */
    NONE,
    /** Requested; the source is to be debited. */
    REQUESTED,
    /** The source was debited; the target is to be credited. */
    DEBITED,
    /** The target refused the credit; the source is to be refunded. */
    REFUNDING,
    /** Done: the money moved. */
    COMPLETED,
    /** The source refused the debit: nothing moved. */
    FAILED,
    /** The target refused the credit and the source got its money back. */
    COMPENSATED;

    /** Whether the transfer has reached an end and will not change again. */
    public boolean isFinal() {
      return this == COMPLETED || this == FAILED || this == COMPENSATED;
    }
  }

  static final TransferState NONE = new TransferState(Status.NONE, null, null, null, null);

  TransferState with(Status value, String why) {
    return new TransferState(value, source, target, amount, why == null ? reason : why);
  }
}
