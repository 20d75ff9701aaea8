package dev.annals.projections;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.testkit.PostgresTestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
    runner = Bank.runner(store, "node-1", Bank.balances("balances", "bal").batchSize(20).build()).build();
    runner.start();
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
    Bank.await("a throughput figure", Duration.ofSeconds(10),
        () -> runner.status("balances").get(0).eventsPerSecond() > 0);

    ProjectionStatus s = runner.status("balances").get(0);
    assertThat(s.projector()).isEqualTo("balances");
    assertThat(s.version()).isEqualTo(1);
    assertThat(s.active()).isTrue();
    assertThat(s.state()).isEqualTo(ProjectorState.RUNNING);
    assertThat(s.cursor().position()).isEqualTo(200);
    assertThat(s.headPosition()).isEqualTo(200);
    assertThat(s.safeHeadPosition()).isEqualTo(200);
    assertThat(s.lagEvents()).isZero();
    assertThat(s.lagSeconds()).isZero();
    assertThat(s.processedEvents()).isEqualTo(200);
    assertThat(s.ownerNode()).contains("node-1");
    assertThat(s.leaseUntil()).isPresent();
    assertThat(s.openDeadLetters()).isZero();
    assertThat(s.lastError()).isEmpty();

    JsonNode json = new ObjectMapper().readTree(s.toJson());
    List<String> fields = new ArrayList<>();
    json.fieldNames().forEachRemaining(fields::add);
    assertThat(fields).containsExactlyInAnyOrder("projector", "version", "active", "partition", "partitions",
        "state", "cursor", "headPosition", "safeHeadPosition", "lagEvents", "lagSeconds", "heldBackEvents",
        "oldestOpenTransaction", "lastError", "lastErrorAt", "eventsPerSecond", "processedEvents",
        "ownerNode", "leaseUntil", "openDeadLetters", "observedAt");
    assertThat(json.get("state").asText()).isEqualTo("RUNNING");
    assertThat(json.get("cursor").get("position").asLong()).isEqualTo(200);
    assertThat(json.get("cursor").get("transactionId").asLong()).isEqualTo(s.cursor().transactionId());
    assertThat(json.get("ownerNode").asText()).isEqualTo("node-1");
    assertThat(json.get("eventsPerSecond").asDouble()).isPositive();
    assertThat(json.get("lastError").isNull()).isTrue();
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
    Bank.await("the oldest unprocessed event has an age", Duration.ofSeconds(10),
        () -> runner.status("balances").get(0).lagSeconds() > 0);
    ProjectionStatus paused = runner.status("balances").get(0);
    assertThat(paused.state()).isEqualTo(ProjectorState.PAUSED);
    assertThat(paused.lagEvents()).as("estimated events behind").isEqualTo(10);
    assertThat(paused.cursor().position()).isEqualTo(1);

    runner.resume("balances");
    assertThat(runner.awaitCaughtUp("balances", Duration.ofSeconds(30))).isTrue();
    ProjectionStatus resumed = runner.status("balances").get(0);
    assertThat(resumed.state()).isIn(ProjectorState.RUNNING, ProjectorState.CATCHING_UP);
    assertThat(resumed.lagEvents()).isZero();
    assertThat(resumed.lagSeconds()).isZero();
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
      Bank.await("the held-back event is reported", Duration.ofSeconds(10),
          () -> runner.status("balances").get(0).heldBackEvents() == 1);
      ProjectionStatus s = runner.status("balances").get(0);
      assertThat(s.oldestOpenTransaction()).get().satisfies(t -> assertThat(t.pid()).isEqualTo(pid));
      assertThat(s.lagEvents()).as("nothing readable is left").isZero();
      JsonNode json = new ObjectMapper().readTree(s.toJson());
      assertThat(json.get("oldestOpenTransaction").get("pid").asInt()).isEqualTo(pid);
      assertThat(json.get("heldBackEvents").asLong()).isEqualTo(1);
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
    assertThat(s.state()).isEqualTo(ProjectorState.STOPPED);
    assertThat(s.ownerNode()).isEmpty();
    assertThat(s.eventsPerSecond()).isZero();

    runner.start("balances");
    Bank.deposit(store, Bank.account(1), 1);
    assertThat(runner.awaitCaughtUp("balances", Duration.ofSeconds(30))).isTrue();
    assertThat(runner.status("balances").get(0).ownerNode()).contains("node-1");
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
      assertThat(all).extracting(ProjectionStatus::version, ProjectionStatus::active)
          .containsExactly(org.assertj.core.groups.Tuple.tuple(1, true), org.assertj.core.groups.Tuple.tuple(2, false));
      assertThat(all.get(1).state()).isIn(ProjectorState.REBUILDING, ProjectorState.STOPPED);
      assertThat(next.awaitCaughtUp("balances", Duration.ofSeconds(30))).isTrue();
      assertThat(next.status("balances")).extracting(ProjectionStatus::version).containsExactly(2);
    }
  }
}
