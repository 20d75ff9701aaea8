package dev.annals.spring.boot;

import dev.annals.core.AnnalsException;
import dev.annals.projections.ProjectionRunner;
import dev.annals.projections.ProjectionStatus;
import dev.annals.projections.ProjectorState;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;

/**
 * The health of one projector or publisher, from its status in the database (so it covers the
 * partitions every node runs) and whether this node runs it:
 *
 * <ul>
 *   <li>DOWN when this node stopped it, no node holds a partition (STOPPED), a partition halted
 *       on a failing event (FAILED), an error was recorded within the failure window while
 *       events still wait (a broker that does not answer), or the status cannot be read;</li>
 *   <li>OUT_OF_SERVICE when paused, or lagging past {@code annals.health.max-lag-events} or
 *       {@code annals.health.max-lag};</li>
 *   <li>UP otherwise.</li>
 * </ul>
 *
 * <p>Details: state, position, head, lag in events and seconds, open dead letters, last error.
 * They are plain strings and numbers, so whichever JSON library serves the health endpoint
 * writes them. Each call reads the status: one query.
 */
final class ProjectorHealthIndicator implements HealthIndicator {

  private final ProjectionRunner runner;
  private final String projector;
  private final AnnalsProperties.Health bounds;
  private final BooleanSupplier runningHere;

  ProjectorHealthIndicator(ProjectionRunner runner, String projector, AnnalsProperties.Health bounds,
      BooleanSupplier runningHere) {
    this.runner = runner;
    this.projector = projector;
    this.bounds = bounds;
    this.runningHere = runningHere;
  }

  @Override
  public Health health() {
    List<ProjectionStatus> statuses;
    try {
      statuses = runner.status(projector).stream().filter(s -> s.partition().active()).toList();
    } catch (AnnalsException e) {
      // The framework's own exceptions mask credentials in their messages.
      return Health.down().withDetail("error", String.valueOf(e.getMessage())).build();
    } catch (RuntimeException e) {
      // Another message might quote a URL with its password: the type says enough here.
      return Health.down().withDetail("error", e.getClass().getName()).build();
    }
    if (statuses.isEmpty()) {
      return Health.down().withDetail("state", "NOT_STARTED")
          .withDetail("reason", "no node has started projector " + projector + " yet").build();
    }
    ProjectorState state = statuses.stream().map(s -> s.health().state())
        .max((a, b) -> Integer.compare(severity(a), severity(b))).orElse(ProjectorState.RUNNING);
    long lagEvents = statuses.stream().mapToLong(s -> s.position().lagEvents()).max().orElse(0);
    double lagSeconds = statuses.stream().mapToDouble(s -> s.position().lagSeconds()).max().orElse(0);
    Optional<ProjectionStatus> lastError = statuses.stream().filter(s -> s.health().lastError().isPresent())
        .max((a, b) -> a.health().lastError().get().at().compareTo(b.health().lastError().get().at()));

    Map<String, Object> details = new LinkedHashMap<>();
    details.put("state", state.name());
    details.put("version", statuses.get(0).partition().version());
    details.put("partitions", statuses.size());
    details.put("position", statuses.stream().mapToLong(s -> s.position().cursor().position()).min().orElse(0));
    details.put("headPosition", statuses.stream().mapToLong(s -> s.position().headPosition()).max().orElse(0));
    details.put("lagEvents", lagEvents);
    details.put("lagSeconds", lagSeconds);
    details.put("deadLetters", statuses.stream().mapToLong(s -> s.health().openDeadLetters()).sum());
    details.put("heldBackEvents", statuses.get(0).heldBack().events());
    lastError.ifPresent(s -> {
      details.put("lastError", s.health().lastError().get().message());
      details.put("lastErrorAt", s.health().lastError().get().at().toString());
    });

    Status status;
    String reason;
    boolean recentError = lastError.isPresent() && lagEvents > 0
        && Duration.between(lastError.get().health().lastError().get().at(), lastError.get().observedAt())
            .compareTo(bounds.failureWindow()) <= 0;
    if (!runningHere.getAsBoolean()) {
      status = Status.DOWN;
      reason = "stopped on this node";
    } else if (state == ProjectorState.FAILED || state == ProjectorState.STOPPED) {
      status = Status.DOWN;
      reason = state == ProjectorState.FAILED ? "halted before a failing event; see the dead letters"
          : "no node holds a partition of it";
    } else if (recentError) {
      status = Status.DOWN;
      reason = "failing: an error within the last " + bounds.failureWindow() + " and events waiting";
    } else if (state == ProjectorState.PAUSED) {
      status = Status.OUT_OF_SERVICE;
      reason = "paused";
    } else if (lagEvents > bounds.maxLagEvents()) {
      status = Status.OUT_OF_SERVICE;
      reason = "lagging: " + lagEvents + " events behind, more than annals.health.max-lag-events ("
          + bounds.maxLagEvents() + ")";
    } else if (lagSeconds > bounds.maxLag().toNanos() / 1e9) {
      status = Status.OUT_OF_SERVICE;
      reason = "lagging: " + lagSeconds + " s behind, more than annals.health.max-lag (" + bounds.maxLag() + ")";
    } else {
      return Health.up().withDetails(details).build();
    }
    details.put("reason", reason);
    return Health.status(status).withDetails(details).build();
  }

  /** Which partition state speaks for the projector: the worst one. */
  private static int severity(ProjectorState state) {
    return switch (state) {
      case RUNNING -> 0;
      case CATCHING_UP -> 1;
      case REBUILDING -> 2;
      case PAUSED -> 3;
      case STOPPED -> 4;
      case FAILED -> 5;
    };
  }
}
