package dev.annals.console;

/** What a console user may do: a viewer reads, an operator also acts. */
public enum ConsoleRole {
  /** Sees every view; changes nothing. */
  VIEWER,
  /** Sees every view and may act: pause, resume, replay, retry, discard, verify. */
  OPERATOR;

  /** The role by its name, in any case. */
  static ConsoleRole parse(String text) {
    for (ConsoleRole r : values()) {
      if (r.name().equalsIgnoreCase(text)) {
        return r;
      }
    }
    throw new IllegalArgumentException("unknown console role '" + text + "': use viewer or operator");
  }
}
