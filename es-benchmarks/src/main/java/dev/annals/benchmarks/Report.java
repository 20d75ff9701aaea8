package dev.annals.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** The results as a table for people and as JSON for tools. */
final class Report {

  private Report() {}

  /** A system's median relative to the baseline's: above 1 is better for that system. */
  static Double ratio(Measurement framework, List<Measurement> all) {
    for (Measurement m : all) {
      if (m.system().equals("jdbc") && m.workload().equals(framework.workload())
          && m.metric().equals(framework.metric())) {
        double base = m.median();
        double fw = framework.median();
        if (base == 0 || fw == 0 || Double.isNaN(base) || Double.isNaN(fw)) {
          return null;
        }
        return framework.higherIsBetter() ? fw / base : base / fw;
      }
    }
    return null;
  }

  static String table(List<Measurement> results) {
    StringBuilder out = new StringBuilder();
    String header = String.format(Locale.ROOT, "%-52s %-13s %-16s %12s %12s %12s %8s%n", "workload",
        "system", "metric", "median", "min", "max", "ratio");
    out.append(header).append("-".repeat(header.length() - 1)).append('\n');
    for (Measurement m : results) {
      Double r = m.system().equals("jdbc") ? null : ratio(m, results);
      out.append(String.format(Locale.ROOT, "%-52s %-13s %-16s %12s %12s %12s %8s%n", m.workload(),
          m.system(), m.metric(), num(m.median()), num(m.min()), num(m.max()),
          r == null ? "" : String.format(Locale.ROOT, "%.2f", r)));
    }
    out.append("ratio: each system relative to plain JDBC on the same database in the same run "
        + "(above 1.00 = better than plain JDBC; for times and latencies, baseline/system).\n"
        + "annals-alone: the framework with group commit off, every append in a transaction of its own.\n"
        + "ceiling: plain JDBC inserts into a copy of the framework's events table (its columns and indexes,\n"
        + "without the stream row and hash chain): the most any code writing that row reaches here;\n"
        + "in the log read, plain JDBC reading the framework's row from its table by position.\n"
        + "axon: the JVM incumbent, Axon Framework 4's JdbcEventStorageEngine with its PostgreSQL tables and\n"
        + "Jackson, called directly on an autocommit pool, pages of 1,000 (its ratio is to the same jdbc).\n");
    return out.toString();
  }

  private static String num(double v) {
    if (Double.isNaN(v)) {
      return "-";
    }
    return v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.3f", v);
  }

  static void writeJson(List<Measurement> results, Path file, String mode) throws IOException {
    ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    ObjectNode root = mapper.createObjectNode();
    root.put("mode", mode);
    root.put("java", System.getProperty("java.version"));
    root.put("cores", Runtime.getRuntime().availableProcessors());
    ArrayNode rows = root.putArray("results");
    for (Measurement m : results) {
      ObjectNode row = rows.addObject();
      row.put("workload", m.workload());
      row.put("system", m.system());
      row.put("metric", m.metric());
      row.put("value", m.median());
      row.put("min", m.min());
      row.put("max", m.max());
      row.put("unit", m.unit());
      ArrayNode trials = row.putArray("trials");
      m.values().forEach(trials::add);
      Double r = m.system().equals("jdbc") ? null : ratio(m, results);
      if (r != null) {
        row.put("ratio", r);
      } else {
        row.putNull("ratio");
      }
    }
    Files.createDirectories(file.toAbsolutePath().getParent());
    mapper.writeValue(file.toFile(), root);
  }
}
