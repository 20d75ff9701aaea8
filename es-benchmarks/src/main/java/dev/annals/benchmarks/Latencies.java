package dev.annals.benchmarks;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Per-call latencies of one trial's writers, for percentiles: each writer records into its own array. */
final class Latencies {

  /** One writer's latencies; used by one thread. */
  static final class Recorder {
    private long[] nanos = new long[1 << 14];
    private int size;

    void add(long elapsedNanos) {
      if (size == nanos.length) {
        nanos = Arrays.copyOf(nanos, size * 2);
      }
      nanos[size++] = elapsedNanos;
    }
  }

  private final List<Recorder> recorders = new ArrayList<>();

  /** A recorder for one more writer of the current trial. */
  synchronized Recorder recorder() {
    Recorder r = new Recorder();
    recorders.add(r);
    return r;
  }

  /** The {@code percentile} (0 to 100) of all calls recorded since the last clear, in milliseconds. */
  synchronized double percentileMillis(double percentile) {
    int total = recorders.stream().mapToInt(r -> r.size).sum();
    if (total == 0) {
      return Double.NaN;
    }
    long[] all = new long[total];
    int at = 0;
    for (Recorder r : recorders) {
      System.arraycopy(r.nanos, 0, all, at, r.size);
      at += r.size;
    }
    Arrays.sort(all);
    int index = (int) Math.min(total - 1, Math.ceil(percentile / 100 * total) - 1);
    return all[Math.max(0, index)] / 1e6;
  }

  synchronized void clear() {
    recorders.clear();
  }
}
