package dev.annals.projections;

import dev.annals.postgres.LogCursor;
import java.time.Instant;

/** A checkpoint row as read. Nullable: owner, leaseUntil, lastError, lastErrorAt. */
record Checkpoint(PartitionKey key, LogCursor cursor, LogCursor replayUntil, RowState state,
    String owner, Instant leaseUntil, String lastError, Instant lastErrorAt,
    double eventsPerSecond, long processedEvents) {

  /** Whether some node holds a lease that has not ended by {@code now}. */
  boolean hasLiveOwner(Instant now) {
    return owner != null && leaseUntil != null && !leaseUntil.isBefore(now);
  }
}
