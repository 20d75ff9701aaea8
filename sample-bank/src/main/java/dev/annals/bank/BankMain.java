package dev.annals.bank;

/**
 * Runs the sample bank's demo ({@link BankDemo}) at its default size and exits with status 1
 * if a check fails: money not conserved, or a replayed history that disagrees with itself.
 */
public final class BankMain {

  private BankMain() {}

  /** Takes no arguments. */
  public static void main(String[] args) {
    int threads = Math.max(2, Math.min(4, Runtime.getRuntime().availableProcessors()));
    BankDemo.Outcome outcome = BankDemo.run(new BankDemo.Settings(4_000, threads, 42), System.out);
    if (!outcome.ok()) {
      System.out.flush();
      System.exit(1);
    }
  }
}
