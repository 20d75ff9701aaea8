package dev.annals.messaging;

import dev.annals.projections.ProjectionRunner;
import dev.annals.projections.ProjectionStatus;
import dev.annals.projections.ProjectorState;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A publisher's state over all its partitions, from the projection status.
 *
 * @param publisher the publisher's name
 * @param state the state of its first partition that is not running normally, else RUNNING
 * @param position the lowest checkpoint position over its partitions: everything up to it was
 *     confirmed by the broker (0 before the first event)
 * @param lagEvents the largest partition lag, in log positions (an upper bound)
 * @param lagSeconds the age of the oldest event not yet confirmed
 * @param lastError the most recent error of any partition, such as the broker being down
 * @param lastErrorAt when it was recorded
 * @param sentPerSecond recent throughput over all partitions
 * @param sent events sent since the publisher was created or last reset
 * @param openDeadLetters events parked or blocked because they could not be mapped
 */
public record PublisherStatus(String publisher, ProjectorState state, long position, long lagEvents,
    double lagSeconds, Optional<String> lastError, Optional<Instant> lastErrorAt,
    double sentPerSecond, long sent, long openDeadLetters) {

  public PublisherStatus {
    Objects.requireNonNull(publisher, "publisher");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(lastError, "lastError");
    Objects.requireNonNull(lastErrorAt, "lastErrorAt");
  }

  /**
   * The status of one publisher, read from the database (so it covers every node's work).
   *
   * @throws IllegalArgumentException if the runner has no such publisher
   * @throws IllegalStateException if it was never started, so it has no status yet
   */
  public static PublisherStatus of(ProjectionRunner runner, String publisher) {
    return of(publisher, runner.status(publisher));
  }

  static PublisherStatus of(String publisher, List<ProjectionStatus> partitions) {
    List<ProjectionStatus> active = partitions.stream().filter(s -> s.partition().active()).toList();
    if (active.isEmpty()) {
      throw new IllegalStateException("publisher " + publisher + " has no status yet; start it first");
    }
    ProjectorState state = active.stream().map(s -> s.health().state())
        .filter(s -> s != ProjectorState.RUNNING).findFirst().orElse(ProjectorState.RUNNING);
    Optional<ProjectionStatus.LastError> latestError = active.stream()
        .flatMap(s -> s.health().lastError().stream())
        .max(Comparator.comparing(ProjectionStatus.LastError::at));
    return new PublisherStatus(publisher, state,
        active.stream().mapToLong(s -> s.position().cursor().position()).min().orElse(0),
        active.stream().mapToLong(s -> s.position().lagEvents()).max().orElse(0),
        active.stream().mapToDouble(s -> s.position().lagSeconds()).max().orElse(0),
        latestError.map(ProjectionStatus.LastError::message),
        latestError.map(ProjectionStatus.LastError::at),
        active.stream().mapToDouble(s -> s.work().eventsPerSecond()).sum(),
        active.stream().mapToLong(s -> s.work().processedEvents()).sum(),
        active.stream().mapToLong(s -> s.health().openDeadLetters()).sum());
  }
}
