package dev.annals.benchmarks;

import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Runs the benchmark workloads, framework and plain JDBC alternating on the same database, and
 * prints a table and writes {@code target/benchmarks.json}.
 *
 * <pre>
 * mvn -B -ntp -q install -DskipTests
 * mvn -B -ntp -q -pl es-benchmarks exec:java -Dexec.args="--quick"
 * </pre>
 *
 * Options: {@code --quick} (about two minutes), {@code --only 1,2,3,4,5,6,7,8}, {@code --group-sweep}
 * (only workload 1's eight writers under several group commit settings; {@code --writers N} and
 * {@code --events N} per append change its load), {@code --log-size N}
 * (fill the logs with N events first), {@code --url JDBC_URL} (default: {@code ES_BENCH_DB_URL},
 * else the local server), {@code --out FILE}, {@code --keep} (keep the schemas).
 */
public final class BenchMain {

  static final String DEFAULT_URL = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";

  private BenchMain() {}

  public static void main(String[] args) throws Exception {
    if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
      System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    }
    boolean quick = false;
    boolean keep = false;
    boolean sweep = false;
    int sweepWriters = 8;
    int sweepEvents = 1;
    long logSize = 0;
    Set<Integer> only = new LinkedHashSet<>();
    String url = System.getenv("ES_BENCH_DB_URL");
    Path out = Path.of("target", "benchmarks.json");
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--quick" -> quick = true;
        case "--keep" -> keep = true;
        case "--group-sweep" -> sweep = true;
        case "--writers" -> sweepWriters = count(value(args, ++i, "--writers"), "--writers", 64);
        case "--events" -> sweepEvents = count(value(args, ++i, "--events"), "--events", 1000);
        case "--only" -> {
          for (String part : value(args, ++i, "--only").split(",")) {
            only.add(Integer.parseInt(part.trim()));
          }
        }
        case "--url" -> url = value(args, ++i, "--url");
        case "--log-size" -> logSize = Long.parseLong(value(args, ++i, "--log-size").replace("_", ""));
        case "--out" -> out = Path.of(value(args, ++i, "--out"));
        default -> {
          System.err.println("unknown option " + args[i]
              + "; use --quick, --only 1,2,3,4,5,6,7,8, --group-sweep [--writers N] [--events N], --log-size EVENTS, --url JDBC_URL, --out FILE, --keep");
          System.exit(2);
        }
      }
    }
    if (url == null || url.isBlank()) {
      url = DEFAULT_URL;
    }
    Settings settings = quick ? Settings.quick() : Settings.full();
    long begin = System.nanoTime();
    List<Measurement> results;
    if (sweep) {
      try (Env env = new Env(url, runId(), keep)) {
        results = GroupCommitSweep.run(env, settings, sweepWriters, sweepEvents, System.out::println);
      }
    } else {
      results = run(url, settings, only, logSize, keep, System.out::println);
    }
    System.out.println();
    System.out.print(Report.table(results));
    Report.writeJson(results, out, quick ? "quick" : "full");
    System.out.printf("results written to %s (%.0f s)%n", out.toAbsolutePath(),
        (System.nanoTime() - begin) / 1e9);
  }

  /** A name for this run's schemas. */
  private static String runId() {
    return LocalDateTime.now().format(DateTimeFormatter.ofPattern("MMddHHmmss"))
        + Long.toString(System.nanoTime() % 1000, 36);
  }

  /** A count of 1 to {@code max}; anything else ends the run with status 2. */
  private static int count(String value, String option, int max) {
    try {
      int n = Integer.parseInt(value.trim());
      if (n >= 1 && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    System.err.println(option + " takes a number from 1 to " + max + ", not " + value);
    System.exit(2);
    return 0;
  }

  private static String value(String[] args, int i, String option) {
    if (i >= args.length) {
      System.err.println(option + " needs a value");
      System.exit(2);
    }
    return args[i];
  }

  /** Runs the selected workloads (all when {@code only} is empty) on fresh, empty logs. */
  static List<Measurement> run(String url, Settings settings, Set<Integer> only, Consumer<String> log)
      throws Exception {
    return run(url, settings, only, 0, false, log);
  }

  /**
   * Runs the selected workloads after filling the logs with {@code logSize} events, keeping the
   * schemas afterwards when {@code keep}.
   */
  static List<Measurement> run(String url, Settings settings, Set<Integer> only, long logSize,
      boolean keep, Consumer<String> log) throws Exception {
    String runId = runId();
    List<Measurement> results = new ArrayList<>();
    long begin = System.nanoTime();
    // Each workload's heading says how long the run has taken so far: the progress of a long run.
    Consumer<String> heading = title -> log.accept(String.format("%s (at %.0f s)", title,
        (System.nanoTime() - begin) / 1e9));
    try (Env env = new Env(url, runId, keep)) {
      env.grow(logSize, log);
      Workloads w = new Workloads(env, settings, log);
      if (selected(only, 1)) {
        heading.accept("workload 1: single-event appends");
        results.addAll(w.singleAppends(1));
        results.addAll(w.singleAppends(8));
        results.addAll(w.serverCost(1));
        env.closePools();
      }
      if (selected(only, 2)) {
        heading.accept("workload 2: batch appends");
        results.addAll(w.batchAppends(1));
        results.addAll(w.batchAppends(4));
        results.addAll(w.serverCost(100));
        env.closePools();
      }
      if (selected(only, 3)) {
        heading.accept("workload 3: rehydration");
        results.addAll(w.rehydration());
        env.closePools();
      }
      ProjectionWorkloads p = new ProjectionWorkloads(env, settings, log);
      if (selected(only, 4)) {
        heading.accept("workload 4: projection catch-up");
        results.addAll(p.catchUp());
        env.closePools();
      }
      if (selected(only, 5)) {
        heading.accept("workload 5: append-to-view latency");
        results.addAll(p.latency());
        env.closePools();
      }
      if (selected(only, 6)) {
        heading.accept("workload 6: contention");
        results.addAll(w.contention());
        env.closePools();
      }
      if (selected(only, 7)) {
        heading.accept("workload 7: log read");
        results.addAll(new LogReadWorkload(env, settings, log).run());
        env.closePools();
      }
      if (selected(only, 8)) {
        heading.accept("workload 8: personal data, plain and encrypted");
        results.addAll(new PersonalDataWorkload(env, settings, log).run());
        env.closePools();
      }
    }
    return results;
  }

  private static boolean selected(Set<Integer> only, int workload) {
    return only.isEmpty() || only.contains(workload);
  }
}
