package dev.annals.console;

/**
 * Adjusts the embedded console before it starts, e.g. to add the application's
 * {@link StateDecoder}s: declare one or more as beans.
 */
@FunctionalInterface
public interface ConsoleCustomizer {

  /** Called once, before the console starts, on the thread that builds the context. */
  void customize(ConsoleServer.Builder builder);
}
