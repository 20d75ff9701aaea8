package dev.annals.micrometer;

import java.time.Duration;
import java.util.function.Supplier;

/**
 * A value read at most once per {@code freshness}: gauges of one status share a read, so a
 * scrape costs one query however many gauges it reads. Empty (null) when the read failed.
 * Thread-safe.
 */
final class Cached<T> {

  private final Supplier<T> read;
  private final long freshnessNanos;
  private T value;
  private long readAt;
  private boolean read0;

  Cached(Supplier<T> read, Duration freshness) {
    this.read = read;
    this.freshnessNanos = freshness.toNanos();
  }

  /** The value, read again when older than the freshness; null when the read fails. */
  synchronized T get() {
    long now = System.nanoTime();
    if (!read0 || now - readAt >= freshnessNanos) {
      try {
        value = read.get();
      } catch (RuntimeException e) {
        // A gauge must not throw: the database being down shows as NaN.
        value = null;
      }
      readAt = now;
      read0 = true;
    }
    return value;
  }
}
