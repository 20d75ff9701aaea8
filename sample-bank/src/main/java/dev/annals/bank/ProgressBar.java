package dev.annals.bank;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A progress bar on one line, redrawn with a carriage return every 1% on a terminal, every 10%
 * elsewhere (a log file keeps every redraw), from whichever thread; {@link #finish} ends the line.
 */
final class ProgressBar {

  private static final int BAR_WIDTH = 30;

  private final int total;
  private final PrintStream out;
  private final int step = System.console() != null ? 1 : 10;
  private final long start = System.nanoTime();
  private final AtomicInteger done = new AtomicInteger();
  private int drawnPercent = -1;

  ProgressBar(int total, PrintStream out) {
    this.total = total;
    this.out = out;
  }

  void tick() {
    int n = done.incrementAndGet();
    int percent = (int) (100L * n / total) / step * step;
    if (percent != drawnPercent) {
      draw(n, percent);
    }
  }

  private synchronized void draw(int n, int percent) {
    if (percent <= drawnPercent) {
      return;
    }
    drawnPercent = percent;
    int filled = BAR_WIDTH * percent / 100;
    double seconds = Math.max((System.nanoTime() - start) / 1e9, 1e-9);
    out.printf(Locale.ROOT, "\r  [%s%s] %3d%%  %,d/%,d  %,.0f commands/s", "#".repeat(filled),
        "-".repeat(BAR_WIDTH - filled), percent, n, total, n / seconds);
    out.flush();
  }

  synchronized void finish() {
    out.println();
  }
}
