package dev.annals.console;

/** Small helpers for messages. */
final class Checks {

  private static final int MAX = 80;

  private Checks() {}

  /** A value cut to a length that a one-line message can echo, with control characters replaced. */
  static String shorten(String value) {
    return shorten(value, MAX);
  }

  /** As {@link #shorten(String)}, to at most {@code max} characters. */
  static String shorten(String value, int max) {
    if (value == null) {
      return "null";
    }
    String s = value.length() > max ? value.substring(0, max) + "..." : value;
    StringBuilder b = new StringBuilder(s.length());
    s.codePoints().forEach(c -> b.appendCodePoint(Character.isISOControl(c) ? '?' : c));
    return b.toString();
  }
}
