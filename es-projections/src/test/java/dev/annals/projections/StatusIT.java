package dev.annals.projections;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.testkit.PostgresTestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class StatusIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  String schema;
  PostgresEventStore store;
  ProjectionRunner runner;

  @BeforeEach
  void start() {
    schema = db.newSchema();
    store = Bank.store(db, schema, 4, "status");
    // A clock that stands still: the throughput figure then stays what the batches made it,
    // instead of fading to zero after a few quiet seconds that a starved CPU may take.
    runner = Bank.runner(store, "node-1", Bank.balances("balances", "bal").batchSize(20).build())
        .clock(Clock.fixed(Instant.parse("2025-03-01T10:15:30Z"), ZoneOffset.UTC)).build();
    runner.start();
  }

  /**
   * The status of the one partition once it satisfies {@code condition}: a lease renewal or the
   * last idle read that marks it caught up may come late on a loaded machine.
   */
  private ProjectionStatus statusWhen(String what, Predicate<ProjectionStatus> condition) {
    AtomicReference<ProjectionStatus> seen = new AtomicReference<>();
    Bank.await(what, Duration.ofSeconds(30), () -> {
      seen.set(runner.status("balances").get(0));
      return condition.test(seen.get());
    });
    return seen.get();
  }

  private static Optional<String> owner(ProjectionStatus s) {
    return s.lease().map(ProjectionStatus.Lease::node);
  }

  @AfterEach
  void stop() {
    runner.close();
    store.close();
  }

  @Test
  void the_status_reports_position_head_lag_owner_and_throughput_as_a_record_and_as_json() throws Exception {
    for (int i = 0; i < 200; i++) {
      Bank.deposit(store, Bank.account(i % 9), 1);
    }
    assertThat(runner.awaitCaughtUp("balances", Duration.ofSeconds(30))).isTrue();
    ProjectionStatus s = statusWhen("running on node-1 with a throughput figure", x ->
        x.health().state() == ProjectorState.RUNNING && owner(x).isPresent() && x.work().eventsPerSecond() > 0);

    assertThat(s.partition().projector()).isEqualTo("balances");
    assertThat(s.partition().version()).isEqualTo(1);
    assertThat(s.partition().active()).isTrue();
    assertThat(s.partition().index()).isZero();
    assertThat(s.partition().count()).isEqualTo(1);
    assertThat(s.health().state()).isEqualTo(ProjectorState.RUNNING);
    assertThat(s.position().cursor().position()).isEqualTo(200);
    assertThat(s.position().headPosition()).isEqualTo(200);
    assertThat(s.position().safeHeadPosition()).isEqualTo(200);
    assertThat(s.position().lagEvents()).isZero();
    assertThat(s.position().lagSeconds()).isZero();
    assertThat(s.work().processedEvents()).isEqualTo(200);
    assertThat(owner(s)).contains("node-1");
    assertThat(s.health().openDeadLetters()).isZero();
    assertThat(s.health().lastError()).isEmpty();

    JsonNode json = new ObjectMapper().readTree(s.toJson());
    List<String> fields = new ArrayList<>();
    json.fieldNames().forEachRemaining(fields::add);
    assertThat(fields).containsExactlyInAnyOrder("partition", "health", "position", "heldBack", "work",
        "lease", "observedAt");
    assertThat(json.get("health").get("state").asText()).isEqualTo("RUNNING");
    assertThat(json.get("position").get("cursor").get("position").asLong()).isEqualTo(200);
    assertThat(json.get("position").get("cursor").get("transactionId").asLong())
        .isEqualTo(s.position().cursor().transactionId());
    assertThat(json.get("lease").get("node").asText()).isEqualTo("node-1");
    assertThat(json.get("lease").get("until").asText()).isEqualTo(s.lease().orElseThrow().until().toString());
    assertThat(json.get("work").get("eventsPerSecond").asDouble()).isPositive();
    assertThat(json.get("health").get("lastError").isNull()).isTrue();
    assertThat(new ObjectMapper().readTree(ProjectionStatus.toJson(runner.status())).isArray()).isTrue();
  }

  @Test
  void a_paused_projector_reports_its_lag_in_events_and_seconds_and_catches_up_when_resumed() {
    Bank.deposit(store, Bank.account(1), 1);
    assertThat(runner.awaitCaughtUp("balances", Duration.ofSeconds(30))).isTrue();
    runner.pause("balances");
    for (int i = 0; i < 10; i++) {
      Bank.deposit(store, Bank.account(2), 1);
    }
    ProjectionStatus paused = statusWhen("the oldest unprocessed event has an age", x -> x.position().lagSeconds() > 0);
    assertThat(paused.health().state()).isEqualTo(ProjectorState.PAUSED);
    assertThat(paused.position().lagEvents()).as("estimated events behind").isEqualTo(10);
    assertThat(paused.position().cursor().position()).isEqualTo(1);

    runner.resume("balances");
    assertThat(runner.awaitCaughtUp("balances", Duration.ofSeconds(30))).isTrue();
    ProjectionStatus resumed = statusWhen("running again on a live lease",
        x -> x.health().state() == ProjectorState.RUNNING || x.health().state() == ProjectorState.CATCHING_UP);
    assertThat(resumed.position().lagEvents()).isZero();
    assertThat(resumed.position().lagSeconds()).isZero();
  }

  @Test
  void an_open_transaction_holding_the_log_back_shows_in_the_status() throws Exception {
    try (Connection held = db.connect()) {
      held.setAutoCommit(false);
      int pid;
      try (PreparedStatement ps = held.prepareStatement("SELECT pg_backend_pid(), pg_current_xact_id()");
          ResultSet rs = ps.executeQuery()) {
        rs.next();
        pid = rs.getInt(1);
      }
      Bank.deposit(store, Bank.account(3), 1);
      // The oldest open transaction is the cluster's: another test's may be older for a while.
      ProjectionStatus s = statusWhen("the held-back event and its transaction are reported",
          x -> x.heldBack().events() == 1
              && x.heldBack().oldestOpenTransaction().map(t -> t.pid() == pid).orElse(false));
      assertThat(s.position().lagEvents()).as("nothing readable is left").isZero();
      JsonNode json = new ObjectMapper().readTree(s.toJson());
      assertThat(json.get("heldBack").get("oldestOpenTransaction").get("pid").asInt()).isEqualTo(pid);
      assertThat(json.get("heldBack").get("events").asLong()).isEqualTo(1);
      held.rollback();
    }
    assertThat(runner.awaitCaughtUp("balances", Duration.ofSeconds(30))).isTrue();
    assertThat(Bank.balancesIn(store.jdbi(), schema + ".bal_balances")).containsEntry("a3", 1L);
  }

  @Test
  void a_projector_no_node_runs_is_reported_stopped_without_an_owner() {
    Bank.deposit(store, Bank.account(1), 1);
    assertThat(runner.awaitCaughtUp("balances", Duration.ofSeconds(30))).isTrue();
    runner.stop("balances");
    ProjectionStatus s = runner.status("balances").get(0);
    assertThat(s.health().state()).isEqualTo(ProjectorState.STOPPED);
    assertThat(s.lease()).isEmpty();
    assertThat(s.work().eventsPerSecond()).isZero();

    runner.start("balances");
    Bank.deposit(store, Bank.account(1), 1);
    assertThat(runner.awaitCaughtUp("balances", Duration.ofSeconds(30))).isTrue();
    statusWhen("node-1 holds the lease again", x -> owner(x).equals(Optional.of("node-1")));
  }

  @Test
  void a_rebuilding_version_is_reported_beside_the_active_one() {
    for (int i = 0; i < 50; i++) {
      Bank.deposit(store, Bank.account(i % 3), 1);
    }
    assertThat(runner.awaitCaughtUp("balances", Duration.ofSeconds(30))).isTrue();
    runner.pause("balances");
    Projector v2 = Bank.balances("balances", "bal").version(2).batchSize(5).build();
    try (ProjectionRunner next = Bank.runner(store, "node-2", v2).build()) {
      next.start();
      List<ProjectionStatus> all = next.status("balances");
      assertThat(all).extracting(x -> x.partition().version(), x -> x.partition().active())
          .containsExactly(org.assertj.core.groups.Tuple.tuple(1, true), org.assertj.core.groups.Tuple.tuple(2, false));
      assertThat(all.get(1).health().state()).isIn(ProjectorState.REBUILDING, ProjectorState.STOPPED);
      assertThat(next.awaitCaughtUp("balances", Duration.ofSeconds(30))).isTrue();
      assertThat(next.status("balances")).extracting(x -> x.partition().version()).containsExactly(2);
    }
  }
}
