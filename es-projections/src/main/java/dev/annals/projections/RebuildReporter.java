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
  /**
   * The sample of the log this rebuild has read: the log positions it spanned and the events
   * among them that were the partition's own. A projector's filter and a partition's share
   * skip most positions of a mixed log, so positions left times this share estimates the
   * events left; positions left alone overstated them, most early in a rebuild.
   */
  private long sampleFrom = -1;
  private long sampleTo;
  private long sampleEvents;

  RebuildReporter(Engine.Reporting reporting, PartitionKey key, LogReader reader, long processedEvents) {
    this.reporting = reporting;
    this.key = key;
    this.reader = reader;
    this.lastAt = reporting.clock().instant();
    this.lastCount = processedEvents;
  }

  /**
   * Called after every commit of {@code events} events that moved the cursor from position
   * {@code fromPosition} to {@code row}'s: reports when a rebuild or replay is under way and the
   * interval has passed; otherwise only moves the baseline, so the rate and the sample of a later
   * rebuild start fresh.
   */
  void committed(Checkpoint row, long fromPosition, int events, boolean rebuildingOrReplaying) {
    if (!rebuildingOrReplaying) {
      lastCount = row.processedEvents();
      lastAt = reporting.clock().instant();
      sampleFrom = -1;
      return;
    }
    if (sampleFrom < 0) {
      sampleFrom = fromPosition;
      sampleTo = fromPosition;
      sampleEvents = 0;
    }
    // Positions follow commit order only roughly (the cursor orders by transaction first): the
    // sample spans up to the highest position seen.
    sampleTo = Math.max(sampleTo, row.cursor().position());
    sampleEvents += events;
    Instant now = reporting.clock().instant();
    Duration since = Duration.between(lastAt, now);
    if (since.compareTo(reporting.interval()) < 0) {
      return;
    }
    try {
      LogHead head = reader.head();
      long positionsLeft = Math.max(0, head.safeHeadPosition() - sampleTo);
      long spanned = sampleTo - sampleFrom;
      double share = spanned > 0 ? Math.min(1.0, (double) sampleEvents / spanned) : 1.0;
      long toGo = (long) Math.ceil(positionsLeft * share);
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
