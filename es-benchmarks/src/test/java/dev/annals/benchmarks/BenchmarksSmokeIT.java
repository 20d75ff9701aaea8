package dev.annals.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.annals.testkit.PostgresTestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Runs every workload once at a tiny size so the harness keeps working. Asserts results exist, never speed. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class BenchmarksSmokeIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  @Test
  void every_workload_produces_a_result_for_both_systems_and_a_json_report(@TempDir Path dir) throws Exception {
    List<String> log = new ArrayList<>();
    List<Measurement> results = BenchMain.run(db.jdbcUrl(), Settings.tiny(), Set.of(), log::add);
    assertThat(results).extracting(Measurement::workload).anyMatch(w -> w.startsWith("1 "))
        .anyMatch(w -> w.startsWith("2 ")).anyMatch(w -> w.startsWith("3 ")).anyMatch(w -> w.startsWith("4 "))
        .anyMatch(w -> w.startsWith("5 ")).anyMatch(w -> w.startsWith("6 ")).anyMatch(w -> w.startsWith("7 "))
        .anyMatch(w -> w.startsWith("8 "));
    assertThat(results).filteredOn(m -> m.workload().startsWith("8 ")).extracting(Measurement::system)
        .containsOnly(PersonalDataWorkload.PLAIN, PersonalDataWorkload.ENCRYPTED);
    for (Measurement m : results) {
      assertThat(m.values()).as("%s %s", m.workload(), m.system()).isNotEmpty();
      assertThat(m.median()).as("%s %s %s", m.workload(), m.system(), m.metric()).isNotNaN();
    }
    assertThat(results).filteredOn(m -> m.system().equals("annals") && m.metric().equals("events/s"))
        .allSatisfy(m -> assertThat(Report.ratio(m, results)).isNotNull());
    // The ceiling runs beside the variants the targets name: 8 single-event writers, 4 batch
    // writers, and the log read.
    assertThat(results).filteredOn(m -> m.system().equals(Workloads.CEILING) && m.metric().equals("events/s"))
        .extracting(Measurement::workload)
        .containsExactlyInAnyOrder("1 single-event appends, 8 writers", "2 batch appends (100/tx), 4 writers",
            "7 log read, " + Settings.tiny().logReadEvents() + " events in pages of " + LogReadWorkload.PAGE);
    // The incumbent runs beside every variant of the appends, the load without snapshots and the log read.
    assertThat(results).filteredOn(m -> m.system().equals(AxonIncumbent.NAME)
            && (m.metric().equals("events/s") || m.metric().equals("ms/load")))
        .extracting(Measurement::workload)
        .containsExactlyInAnyOrder("1 single-event appends, 1 writer", "1 single-event appends, 8 writers",
            "2 batch appends (100/tx), 1 writer", "2 batch appends (100/tx), 4 writers",
            "3 rehydrate " + Settings.tiny().aggregateEvents() + " events, no snapshots",
            "7 log read, " + Settings.tiny().logReadEvents() + " events in pages of " + LogReadWorkload.PAGE);
    assertThat(results).filteredOn(m -> m.system().equals(AxonIncumbent.NAME))
        .allSatisfy(m -> assertThat(m.median()).as(m.workload()).isPositive());
    // CPU per event is read in clock ticks, so at this tiny size it may round to zero and have no ratio.
    assertThat(results).filteredOn(m -> m.system().equals(Workloads.CEILING) && m.metric().equals("events/s"))
        .allSatisfy(m -> assertThat(Report.ratio(m, results)).as(m.workload()).isNotNull());
    assertThat(log).isNotEmpty();
    // Server CPU is read from /proc, so only when PostgreSQL runs on this host; it then comes for both appends.
    if (log.stream().noneMatch(line -> line.contains("server CPU: not measured"))) {
      assertThat(results).filteredOn(m -> m.metric().equals("server CPU/event")).extracting(Measurement::workload)
          .anyMatch(w -> w.startsWith("1 ")).anyMatch(w -> w.startsWith("2 "));
      assertThat(results).filteredOn(m -> m.metric().equals("client CPU/event"))
          .extracting(Measurement::system).contains("annals", "jdbc", Workloads.CEILING, AxonIncumbent.NAME);
    }

    Path json = dir.resolve("benchmarks.json");
    Report.writeJson(results, json, "tiny");
    assertThat(Files.readString(json)).contains("\"workload\"").contains("\"ratio\"").contains("\"annals\"");
    assertThat(Report.table(results)).contains("ratio");
  }

  @Test
  void the_group_commit_sweep_measures_every_setting() throws Exception {
    List<String> log = new ArrayList<>();
    List<Measurement> results;
    try (Env env = new Env(db.jdbcUrl(), "smoke" + System.nanoTime() % 100_000, false)) {
      results = GroupCommitSweep.run(env, Settings.tiny(), 4, 3, log::add);
    }
    assertThat(results).extracting(Measurement::system)
        .containsExactly("off", "1 in flight", "2 in flight", "3 in flight", "1, wait 0.2 ms", "1, groups of 4", "jdbc");
    assertThat(results).allSatisfy(m -> assertThat(m.median()).as(m.system()).isPositive());
    assertThat(results).allSatisfy(m -> assertThat(m.workload()).contains("4 writers, 3 events per append"));
    assertThat(results).filteredOn(m -> !m.system().equals("jdbc"))
        .allSatisfy(m -> assertThat(Report.ratio(m, results)).as(m.system()).isNotNull());
    assertThat(log).hasSize(Settings.tiny().trials());
  }
}
