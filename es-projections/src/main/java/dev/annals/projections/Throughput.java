package dev.annals.projections;

import java.time.Clock;

/**
 * Events per second of one partition: counted over windows of at least a second, smoothed, and
 * zero once nothing happened for a few seconds. Thread-safe.
 */
final class Throughput {

  private static final long WINDOW_MILLIS = 1000;
  private static final long QUIET_MILLIS = 5000;

  private final Clock clock;
  private long windowStart;
  private long windowCount;
  private long lastEvent;
  private double rate;

  Throughput(Clock clock) {
    this.clock = clock;
  }

  synchronized void record(long events) {
    long now = clock.millis();
    if (windowStart == 0) {
      windowStart = now;
    }
    windowCount += events;
    lastEvent = now;
    long span = now - windowStart;
    if (span >= WINDOW_MILLIS) {
      double current = windowCount * 1000.0 / span;
      rate = rate == 0 ? current : (rate + current) / 2;
      windowStart = now;
      windowCount = 0;
    }
  }

  synchronized double eventsPerSecond() {
    long now = clock.millis();
    if (lastEvent == 0 || now - lastEvent > QUIET_MILLIS) {
      return 0;
    }
    if (rate == 0 && windowCount > 0) {
      long span = Math.max(1, now - windowStart);
      return windowCount * 1000.0 / Math.max(span, WINDOW_MILLIS);
    }
    return rate;
  }
}
