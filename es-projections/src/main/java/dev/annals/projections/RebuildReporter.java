package dev.annals.projections;

import dev.annals.core.internal.Redaction;
import dev.annals.postgres.LogHead;
import dev.annals.postgres.LogReader;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Tells the runner's progress listener how a rebuild or replay of one partition comes along, at
 * most once per interval. Not thread-safe: the partition's thread only.
 */
final class RebuildReporter {

  private final Engine.Reporting reporting;
  private final PartitionKey key;
  private final LogReader reader;
  private Instant lastAt;
  private long lastCount;

  RebuildReporter(Engine.Reporting reporting, PartitionKey key, LogReader reader, long processedEvents) {
    this.reporting = reporting;
    this.key = key;
    this.reader = reader;
    this.lastAt = reporting.clock().instant();
    this.lastCount = processedEvents;
  }

  /**
   * Called after every commit: reports when a rebuild or replay is under way and the interval
   * has passed; otherwise only moves the baseline, so the rate of a later rebuild starts fresh.
   */
  void committed(Checkpoint row, boolean rebuildingOrReplaying) {
    if (!rebuildingOrReplaying) {
      lastCount = row.processedEvents();
      lastAt = reporting.clock().instant();
      return;
    }
    Instant now = reporting.clock().instant();
    Duration since = Duration.between(lastAt, now);
    if (since.compareTo(reporting.interval()) < 0) {
      return;
    }
    try {
      LogHead head = reader.head();
      long toGo = Math.max(0, head.safeHeadPosition() - row.cursor().position());
      double seconds = since.toNanos() / 1e9;
      double rate = seconds > 0 ? (row.processedEvents() - lastCount) / seconds : 0;
      Optional<Duration> left = rate > 0
          ? Optional.of(Duration.ofMillis((long) (toGo / rate * 1000))) : Optional.empty();
      reporting.listener().accept(new RebuildProgress(key.projector(), key.version(), key.partition(),
          row.processedEvents(), toGo, rate, left));
    } catch (RuntimeException e) {
      Engine.LOG.log(Level.WARNING, key + ": the rebuild progress listener failed", Redaction.redacted(e));
    }
    lastAt = now;
    lastCount = row.processedEvents();
  }
}
