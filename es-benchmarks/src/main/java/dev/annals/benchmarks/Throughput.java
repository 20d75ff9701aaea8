package dev.annals.benchmarks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/** Runs writers in parallel until a deadline and reports what they did per second. */
final class Throughput {

  private Throughput() {}

  /** One writer's loop: does units of work until {@code deadline} (System.nanoTime) and counts them. */
  interface Writer {
    long runUntil(long deadline) throws Exception;
  }

  static double run(int writers, Duration duration, IntFunction<Writer> factory) throws Exception {
    if (duration.isZero()) {
      return 0;
    }
    List<Writer> prepared = new ArrayList<>();
    for (int i = 0; i < writers; i++) {
      prepared.add(factory.apply(i));
    }
    ExecutorService pool = Executors.newFixedThreadPool(writers, r -> {
      Thread t = new Thread(r, "bench-writer");
      t.setDaemon(true);
      return t;
    });
    try {
      CountDownLatch start = new CountDownLatch(1);
      long[] deadline = new long[1];
      List<Future<Long>> futures = new ArrayList<>();
      for (Writer w : prepared) {
        futures.add(pool.submit(() -> {
          start.await();
          return w.runUntil(deadline[0]);
        }));
      }
      long begin = System.nanoTime();
      deadline[0] = begin + duration.toNanos();
      start.countDown();
      long total = 0;
      for (Future<Long> f : futures) {
        total += f.get(duration.toMillis() + 120_000, TimeUnit.MILLISECONDS);
      }
      double seconds = (System.nanoTime() - begin) / 1e9;
      return total / seconds;
    } finally {
      pool.shutdownNow();
    }
  }
}
