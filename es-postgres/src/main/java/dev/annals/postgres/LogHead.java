package dev.annals.postgres;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Where the log ends, for lag figures.
 *
 * @param headPosition the highest position written by a committed transaction
 * @param safeHeadPosition the highest position readers can see now (0 if none)
 * @param heldBackEvents committed events readers cannot see yet, because an older transaction
 *     is still open
 * @param oldestTransaction the open transaction that holds readers back: while the horizon
 *     fence is ahead of the cluster's oldest transaction, the oldest transaction that appended to
 *     this store and has not ended (empty if none: the fence is moving); otherwise the oldest
 *     transaction holding a transaction id, anywhere in the cluster
 */
public record LogHead(long headPosition, long safeHeadPosition, long heldBackEvents,
    Optional<OpenTransaction> oldestTransaction) {

  public LogHead {
    Objects.requireNonNull(oldestTransaction, "oldestTransaction");
  }

  /** The age of the oldest open transaction, zero if there is none. */
  public Duration oldestTransactionAge() {
    return oldestTransaction.map(OpenTransaction::age).orElse(Duration.ZERO);
  }

  /**
   * An open transaction, as {@code pg_stat_activity} shows it.
   *
   * @param pid backend process id (for {@code pg_terminate_backend})
   * @param age time since it began
   * @param state e.g. {@code idle in transaction}
   * @param applicationName the client's application name
   * @param query its current or last query, truncated
   */
  public record OpenTransaction(int pid, Duration age, String state, String applicationName,
      String query) {}
}
