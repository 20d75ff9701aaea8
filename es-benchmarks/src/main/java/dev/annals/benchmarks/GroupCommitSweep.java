package dev.annals.benchmarks;

import dev.annals.core.ExpectedVersion;
import dev.annals.core.NewEvent;
import dev.annals.core.StreamId;
import dev.annals.postgres.GroupCommit;
import dev.annals.postgres.PostgresEventStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import com.zaxxer.hikari.HikariDataSource;
import java.util.function.Consumer;
import java.util.function.IntFunction;

/**
 * Workload 1's eight writers through the store under several group commit settings, alternating
 * within each round ({@code --group-sweep}): what each knob of {@link GroupCommit} measured in
 * docs/postgres.md comes from here. {@code --writers} and {@code --events} (per append) change the
 * load; appends of more events than a group takes go alone whatever the setting.
 */
final class GroupCommitSweep {

  private GroupCommitSweep() {}

  static List<Measurement> run(Env env, Settings settings, int writers, int events, Consumer<String> log)
      throws Exception {
    Map<String, GroupCommit> configs = new LinkedHashMap<>();
    configs.put("off", GroupCommit.off());
    configs.put("1 in flight", GroupCommit.of(Duration.ZERO, GroupCommit.DEFAULT_MAX_GROUP, 1));
    configs.put("2 in flight", GroupCommit.of(Duration.ZERO, GroupCommit.DEFAULT_MAX_GROUP, 2));
    configs.put("3 in flight", GroupCommit.of(Duration.ZERO, GroupCommit.DEFAULT_MAX_GROUP, 3));
    configs.put("1, wait 0.2 ms", GroupCommit.of(Duration.ofNanos(200_000), GroupCommit.DEFAULT_MAX_GROUP, 1));
    configs.put("1, groups of 4", GroupCommit.of(Duration.ZERO, 4, 1));
    Map<String, IntFunction<Throughput.Writer>> systems = new LinkedHashMap<>();
    configs.forEach((name, gc) -> {
      PostgresEventStore store = env.store(writers + 2, null, gc);
      systems.put(name, i -> writer(store, events));
    });
    // The baseline of workload 1 in the same rounds, so that the table shows each setting's ratio.
    Workloads workloads = new Workloads(env, settings, log);
    HikariDataSource base = env.baseline(writers + 2);
    systems.put("jdbc", i -> workloads.jdbcWriter(base, events));
    Map<String, List<Double>> rates = new LinkedHashMap<>();
    for (var e : systems.entrySet()) {
      Throughput.run(writers, settings.warmup(), e.getValue());
    }
    for (int round = 1; round <= settings.trials(); round++) {
      StringBuilder line = new StringBuilder("  group commit sweep, round " + round + "/" + settings.trials() + ":");
      for (var e : systems.entrySet()) {
        double rate = Throughput.run(writers, settings.trial(), e.getValue());
        rates.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(rate);
        line.append(String.format(" %s %.0f,", e.getKey(), rate));
      }
      log.accept(line.substring(0, line.length() - 1) + " events/s");
    }
    List<Measurement> out = new ArrayList<>();
    String label = "9 group commit settings, " + writers + " writers, " + events + " events per append";
    rates.forEach((name, values) -> out.add(new Measurement(label, name, "events/s", "events/s", true, values)));
    return out;
  }

  private static Throughput.Writer writer(PostgresEventStore store, int events) {
    return deadline -> {
      StreamId stream = StreamId.of("sweep", UUID.randomUUID().toString());
      long version = 0;
      while (System.nanoTime() < deadline) {
        List<NewEvent> append = new ArrayList<>(events);
        for (int i = 0; i < events; i++) {
          append.add(NewEvent.of(Workloads.EVENT));
        }
        store.append(stream, ExpectedVersion.exactly(version), append);
        version += events;
      }
      return version;
    };
  }
}
