package dev.annals.benchmarks;

import java.util.ArrayList;
import java.util.List;

/**
 * The trials of one metric of one workload variant on one system.
 *
 * @param workload workload id and variant, e.g. {@code 1 single appends, 8 writers}
 * @param system {@code annals} or {@code jdbc}
 * @param metric what was measured, e.g. {@code events/s}
 * @param unit unit of the values
 * @param higherIsBetter whether bigger values are better (throughput) or worse (latency)
 * @param values one value per trial
 */
record Measurement(String workload, String system, String metric, String unit,
    boolean higherIsBetter, List<Double> values) {

  Measurement {
    values = List.copyOf(values);
  }

  double median() {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(Double::compare);
    int n = sorted.size();
    return n == 0 ? Double.NaN : n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  double min() {
    return values.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
  }

  double max() {
    return values.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
  }
}
