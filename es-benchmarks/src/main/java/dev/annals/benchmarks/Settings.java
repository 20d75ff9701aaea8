package dev.annals.benchmarks;

import java.time.Duration;

/**
 * How long and how big each workload runs.
 *
 * @param warmup time each system runs before measuring, per workload variant
 * @param trial length of one measured trial of a throughput workload
 * @param costTrial length of one trial of the server and client CPU rows beside workloads 1 and 2
 * @param trials measured trials per system (framework and baseline alternate)
 * @param aggregateEvents events of the aggregate rehydrated in workload 3
 * @param loads loads per trial in workload 3
 * @param catchUpEvents events a projector catches up on in workload 4
 * @param latencyRate events per second in workload 5
 * @param logReadEvents events read from the log in each trial of workload 7
 */
record Settings(Duration warmup, Duration trial, Duration costTrial, int trials, int aggregateEvents,
    int loads, int catchUpEvents, int latencyRate, int logReadEvents) {

  static Settings full() {
    return new Settings(Duration.ofSeconds(3), Duration.ofSeconds(5), Duration.ofMillis(2500), 5, 10_000, 20,
        1_000_000, 1000, 1_000_000);
  }

  static Settings quick() {
    return new Settings(Duration.ofMillis(1000), Duration.ofMillis(1500), Duration.ofMillis(500), 3, 10_000, 5,
        60_000, 1000, 200_000);
  }

  /** For the smoke test: each workload once, tiny. */
  static Settings tiny() {
    return new Settings(Duration.ZERO, Duration.ofMillis(200), Duration.ofMillis(100), 1, 300, 1, 500, 200, 2_500);
  }
}
