package dev.annals.console;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Whether the browser test runs here. It needs Debian's Chromium and its driver; a machine
 * without them skips it, but CI (the environment variable {@value #CI} set, to any value) always
 * runs it, so that a CI machine missing the browser fails instead of passing with the test unrun.
 */
final class Browser {

  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  static final String CI = "CI";

  private Browser() {}

  /**
   * Why the browser test is skipped, in one line, or empty when it must run.
   *
   * @param environment the process environment
   * @param executable whether a file is there and may be run
   */
  static Optional<String> skipReason(Map<String, String> environment, Predicate<Path> executable) {
    if (environment.containsKey(CI) || (executable.test(CHROMIUM) && executable.test(CHROMEDRIVER))) {
      return Optional.empty();
    }
    return Optional.of("no Chromium and driver at " + CHROMIUM + " and " + CHROMEDRIVER
        + " (apt-get install -y chromium chromium-driver); with " + CI + " set, this is a failure");
  }
}
