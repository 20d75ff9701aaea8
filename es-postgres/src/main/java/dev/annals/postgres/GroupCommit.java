package dev.annals.postgres;

import java.time.Duration;
import java.util.Objects;

/**
 * Whether and how a {@link PostgresEventStore} gathers concurrent appends into one transaction.
 *
 * <p>Appends that run in no caller's transaction and arrive while another group is being
 * written (or within {@code maxWait} of each other) are written together: one statement, one
 * transaction, one commit. Each keeps its own outcome: its version check, conflict, idempotent
 * replay by event id and errors; one append's conflict never fails the others, and a group that
 * fails as a whole (a deadlock, a duplicate id racing with its original, a lost connection) is
 * tried again append by append. An append alone is written exactly as without group commit.
 * Appends of more than four events are never grouped: they already share a transaction among
 * their events, and grouped they were measured slower. See
 * docs/performance.md for what each setting measured.
 *
 * @param enabled whether appends are grouped at all
 * @param maxWait how long a group may wait for more appends before it is written when no group
 *     is in flight; zero (the default) gathers only what arrives while a group is being written,
 *     which adds no latency to a lone append
 * @param maxGroup the most appends in one group
 * @param maxInFlight how many groups may be written at once, each on its own connection
 */
public record GroupCommit(boolean enabled, Duration maxWait, int maxGroup, int maxInFlight) {

  /** Most appends in a group by default. */
  public static final int DEFAULT_MAX_GROUP = 64;
  /** Groups written at once by default. */
  public static final int DEFAULT_MAX_IN_FLIGHT = 1;

  /** Checks the settings. */
  public GroupCommit {
    Objects.requireNonNull(maxWait, "maxWait must not be null");
    if (maxWait.isNegative() || maxWait.compareTo(Duration.ofMillis(10)) > 0) {
      throw new IllegalArgumentException("group commit maxWait must be 0 to 10 ms, was " + maxWait);
    }
    if (maxGroup < 1 || maxGroup > 10_000) {
      throw new IllegalArgumentException("group commit maxGroup must be 1 to 10,000, was " + maxGroup);
    }
    if (maxInFlight < 1 || maxInFlight > 64) {
      throw new IllegalArgumentException("group commit maxInFlight must be 1 to 64, was " + maxInFlight);
    }
  }

  /** On, with the recommended settings: no added wait, groups of up to 64, one in flight. */
  public static GroupCommit defaults() {
    return new GroupCommit(true, Duration.ZERO, DEFAULT_MAX_GROUP, DEFAULT_MAX_IN_FLIGHT);
  }

  /** Every append in a transaction of its own. */
  public static GroupCommit off() {
    return new GroupCommit(false, Duration.ZERO, 1, 1);
  }

  /** On, with these settings. */
  public static GroupCommit of(Duration maxWait, int maxGroup, int maxInFlight) {
    return new GroupCommit(true, maxWait, maxGroup, maxInFlight);
  }
}
