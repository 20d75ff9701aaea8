package dev.annals.bank;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * The demo's workload for tests in the other bank packages, which need a realistic log to work
 * on; {@link BankDemo} itself stays package-private.
 */
public final class DemoWorkload {

  private DemoWorkload() {}

  /**
   * Runs the demo on {@code storage} with the given {@link BankDemo.Settings}, printing nothing.
   *
   * @return whether every check of the demo passed
   */
  public static boolean run(BankStorage storage, int commands, int threads, int transferPercent, long seed) {
    try (PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)) {
      return BankDemo.run(new BankDemo.Settings(commands, threads, transferPercent, seed), storage, quiet).ok();
    }
  }
}
