package dev.annals.testkit;

import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** Renders expected and actual values side by side, field by field for records. */
final class Diff {

  private Diff() {}

  static String events(List<?> expected, List<?> actual) {
    StringBuilder out = new StringBuilder();
    int n = Math.max(expected.size(), actual.size());
    out.append(String.format("  expected %d event(s), got %d%n", expected.size(), actual.size()));
    for (int i = 0; i < n; i++) {
      Object e = i < expected.size() ? expected.get(i) : null;
      Object a = i < actual.size() ? actual.get(i) : null;
      String mark = Objects.equals(e, a) ? "  " : "✗ ";
      out.append(String.format("%s[%d]%n", mark, i));
      out.append(side("", e, a, "    "));
    }
    return out.toString();
  }

  static String values(String label, Object expected, Object actual) {
    return side(label, expected, actual, "  ");
  }

  static String list(List<?> values) {
    return values == null ? "nothing" : values.isEmpty() ? "no events" : values.toString();
  }

  private static String side(String label, Object expected, Object actual, String indent) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"", "expected", "actual"});
    boolean sameRecordType = expected != null && actual != null
        && expected.getClass() == actual.getClass() && expected.getClass().isRecord();
    if (sameRecordType) {
      rows.add(new String[] {"type", expected.getClass().getSimpleName(), actual.getClass().getSimpleName()});
      for (RecordComponent c : expected.getClass().getRecordComponents()) {
        Object ev = read(c, expected);
        Object av = read(c, actual);
        rows.add(new String[] {(Objects.equals(ev, av) ? "" : "✗ ") + c.getName(), String.valueOf(ev),
            String.valueOf(av)});
      }
    } else {
      rows.add(new String[] {"type", typeName(expected), typeName(actual)});
      rows.add(new String[] {"✗ " + (label.isEmpty() ? "value" : label), shown(expected),
          shown(actual)});
    }
    int w0 = 0;
    int w1 = 0;
    for (String[] r : rows) {
      w0 = Math.max(w0, r[0].length());
      w1 = Math.max(w1, r[1].length());
    }
    StringBuilder out = new StringBuilder();
    for (String[] r : rows) {
      out.append(indent).append(pad(r[0], w0)).append(" | ").append(pad(r[1], w1)).append(" | ")
          .append(r[2]).append(System.lineSeparator());
    }
    return out.toString();
  }

  private static Object read(RecordComponent c, Object record) {
    try {
      c.getAccessor().setAccessible(true);
      return c.getAccessor().invoke(record);
    } catch (ReflectiveOperationException | RuntimeException e) {
      return "<unreadable: " + e + ">";
    }
  }

  private static String shown(Object o) {
    return o == null ? "(none)" : String.valueOf(o);
  }

  private static String typeName(Object o) {
    return o == null ? "(none)" : o.getClass().getSimpleName();
  }

  private static String pad(String s, int width) {
    return s.length() >= width ? s : s + " ".repeat(width - s.length());
  }
}
