package dev.annals.micrometer;

import dev.annals.projections.ProjectionRunner;
import dev.annals.projections.ProjectionStatus;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.function.ToDoubleFunction;

/** The lag and dead-letter gauges of a runner's projectors, from one shared status read. */
final class StatusGauges {

  private StatusGauges() {}

  static void bind(MeterRegistry registry, ProjectionRunner runner, Duration freshness) {
    Cached<List<ProjectionStatus>> status = new Cached<>(runner::status, freshness);
    for (String projector : runner.projectorNames()) {
      gauge(registry, "annals.projector.lag", "log positions between a projector's checkpoint and the head "
          + "(largest over its partitions)", "events", projector, status,
          s -> s.position().lagEvents(), true);
      gauge(registry, "annals.projector.lag.age", "age of the oldest event a projector has not "
          + "processed yet (largest over its partitions)", "seconds", projector, status,
          s -> s.position().lagSeconds(), true);
      gauge(registry, "annals.projector.dead.letters", "open dead letters (parked, blocked, halted) "
          + "of a projector", null, projector, status, s -> s.health().openDeadLetters(), false);
    }
  }

  /** A gauge over the active partitions of one projector: their maximum, or their sum. */
  private static void gauge(MeterRegistry registry, String name, String description, String unit,
      String projector, Cached<List<ProjectionStatus>> status, ToDoubleFunction<ProjectionStatus> value,
      boolean max) {
    Gauge.builder(name, status, c -> {
      List<ProjectionStatus> all = c.get();
      if (all == null) {
        return Double.NaN;
      }
      double result = 0;
      for (ProjectionStatus s : all) {
        if (s.partition().active() && s.partition().projector().equals(projector)) {
          double v = value.applyAsDouble(s);
          result = max ? Math.max(result, v) : result + v;
        }
      }
      return result;
    }).description(description).baseUnit(unit).tag(ProjectionMeters.TAG_PROJECTOR, projector)
        .strongReference(true).register(registry);
  }
}
