package dev.annals.projections;

import dev.annals.postgres.LogCursor;
import java.time.Instant;

/**
 * A checkpoint row as read, or as this node's own commits have since changed it. Immutable: a
 * processor replaces the whole value, so its cursor, state and counts never disagree.
 * Nullable: owner, leaseUntil, lastError, lastErrorAt.
 */
record Checkpoint(PartitionKey key, LogCursor cursor, LogCursor replayUntil, RowState state,
    String owner, Instant leaseUntil, String lastError, Instant lastErrorAt,
    double eventsPerSecond, long processedEvents) {

  /** Whether some node holds a lease that has not ended by {@code now}. */
  boolean hasLiveOwner(Instant now) {
    return owner != null && leaseUntil != null && !leaseUntil.isBefore(now);
  }

  /** Whether {@code node} owns the row (lease ended or not). */
  boolean ownedBy(String node) {
    return node.equals(owner);
  }

  /** Whether an event at {@code position} was processed before the last reset or rebuild began. */
  boolean isReplay(LogCursor position) {
    return !position.isAfter(replayUntil);
  }

  /** This row after a commit of {@code events} more events, up to {@code to}. */
  Checkpoint advanced(LogCursor to, RowState next, long events) {
    return new Checkpoint(key, to, replayUntil, next, owner, leaseUntil, lastError, lastErrorAt,
        eventsPerSecond, processedEvents + events);
  }

  /** This row in another state. */
  Checkpoint in(RowState next) {
    return new Checkpoint(key, cursor, replayUntil, next, owner, leaseUntil, lastError, lastErrorAt,
        eventsPerSecond, processedEvents);
  }
}
