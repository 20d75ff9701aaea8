package dev.annals.projections;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How far a rebuild or replay of one projector partition has come, reported every few seconds
 * to the runner's progress listener.
 *
 * @param projector the projector's name
 * @param version the version being built
 * @param partition the partition
 * @param eventsDone events processed since the rebuild or reset began
 * @param eventsToGo an estimate of what is left: the log positions between the partition's
 *     cursor and the log's safe head, times the share of the positions read so far in this
 *     rebuild that held the partition's own events (those its filter and partition take)
 * @param eventsPerSecond events processed per second since the last report
 * @param estimatedTimeLeft {@code eventsToGo / eventsPerSecond}; empty while the rate is zero
 */
public record RebuildProgress(String projector, int version, int partition, long eventsDone,
    long eventsToGo, double eventsPerSecond, Optional<Duration> estimatedTimeLeft) {

  public RebuildProgress {
    Objects.requireNonNull(projector, "projector");
    Objects.requireNonNull(estimatedTimeLeft, "estimatedTimeLeft");
  }

  @Override
  public String toString() {
    return String.format(java.util.Locale.ROOT,
        "projector %s v%d partition %d rebuilding: %d events done, about %d to go, %.0f events/s%s",
        projector, version, partition, eventsDone, eventsToGo, eventsPerSecond,
        estimatedTimeLeft.map(d -> ", about " + Math.max(1, d.toSeconds()) + " s left").orElse(""));
  }
}
