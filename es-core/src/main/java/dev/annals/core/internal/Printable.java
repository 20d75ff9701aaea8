package dev.annals.core.internal;

import java.util.Locale;

/** Stored or received text made safe to quote in a message, a log line or a report. */
public final class Printable {

  private Printable() {}

  /**
   * {@code value} cut to {@code max} characters (saying how long it was), with control and format
   * characters and halves of surrogate pairs written as {@code \\uXXXX}: a crafted value can
   * neither fill a message nor break a line or a terminal.
   */
  public static String cut(String value, int max) {
    if (value == null) {
      return "null";
    }
    String shown = value.length() > max ? value.substring(0, max) + "...(" + value.length() + " chars)" : value;
    StringBuilder out = new StringBuilder(shown.length());
    shown.codePoints().forEach(cp -> {
      if (Character.isISOControl(cp) || Character.getType(cp) == Character.FORMAT
          || Character.getType(cp) == Character.SURROGATE) {
        out.append(String.format(Locale.ROOT, "\\u%04x", cp));
      } else {
        out.appendCodePoint(cp);
      }
    });
    return out.toString();
  }
}
