package dev.annals.core;

import java.util.Objects;

/**
 * An append was rejected because its transaction is too old: the stream's previous events were
 * written by a transaction that started after this one, or log readers have already moved past
 * this transaction's id (an event store's horizon fence). Accepting it would let readers see this
 * stream's events out of version order, or miss them. Nothing was written. Retryable: run the
 * append again in a new transaction.
 *
 * <p>Only a transaction that had written something before appending can meet this (to a stream
 * that another writer appended to meanwhile, or longer ago than the store's fence lag);
 * single-append transactions never do.
 */
public final class TransactionOrderConflictException extends AnnalsException {

  private static final long serialVersionUID = 1L;

  private final StreamId streamId;

  public TransactionOrderConflictException(StreamId streamId) {
    super("stream " + streamId + " was last written by a transaction younger than this one, or "
        + "log readers have passed this transaction's id; appending now would put its events out "
        + "of order in the log. Nothing was written: retry the append in a new transaction.");
    this.streamId = Objects.requireNonNull(streamId);
  }

  public StreamId streamId() {
    return streamId;
  }

  @Override
  public boolean isRetryable() {
    return true;
  }
}
