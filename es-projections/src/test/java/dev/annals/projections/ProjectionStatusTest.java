package dev.annals.projections;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.annals.postgres.LogCursor;
import dev.annals.postgres.LogHead;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ProjectionStatusTest {

  static final Instant NOW = Instant.parse("2025-03-01T10:15:30Z");

  static ProjectionStatus failing() {
    return new ProjectionStatus(
        new ProjectionStatus.Partition("balances", 2, false, 1, 4),
        new ProjectionStatus.Health(ProjectorState.FAILED,
            Optional.of(new ProjectionStatus.LastError("event 1 failed after 5 tries", NOW)), 1),
        new ProjectionStatus.Position(new LogCursor(7311, 1042), 1200, 1100, 158, 12.5),
        new ProjectionStatus.HeldBack(100, Optional.of(new LogHead.OpenTransaction(4242,
            Duration.ofMillis(2500), "idle in transaction", "batch-job", "UPDATE accounts SET ..."))),
        new ProjectionStatus.Work(1042, 0), Optional.empty(), NOW);
  }

  @Test
  void json_carries_every_part_as_an_object_with_absent_values_as_null() throws Exception {
    JsonNode json = new ObjectMapper().readTree(failing().toJson());
    List<String> parts = new ArrayList<>();
    json.fieldNames().forEachRemaining(parts::add);
    assertThat(parts).containsExactly("partition", "health", "position", "heldBack", "work", "lease", "observedAt");
    JsonNode partition = json.get("partition");
    assertThat(partition.get("projector").asText()).isEqualTo("balances");
    assertThat(partition.get("version").asInt()).isEqualTo(2);
    assertThat(partition.get("active").asBoolean()).isFalse();
    assertThat(partition.get("index").asInt()).isEqualTo(1);
    assertThat(partition.get("count").asInt()).isEqualTo(4);
    JsonNode health = json.get("health");
    assertThat(health.get("state").asText()).isEqualTo("FAILED");
    assertThat(health.get("lastError").get("message").asText()).isEqualTo("event 1 failed after 5 tries");
    assertThat(health.get("lastError").get("at").asText()).isEqualTo("2025-03-01T10:15:30Z");
    assertThat(health.get("openDeadLetters").asLong()).isEqualTo(1);
    JsonNode position = json.get("position");
    assertThat(position.get("cursor").get("transactionId").asLong()).isEqualTo(7311);
    assertThat(position.get("cursor").get("position").asLong()).isEqualTo(1042);
    assertThat(position.get("headPosition").asLong()).isEqualTo(1200);
    assertThat(position.get("safeHeadPosition").asLong()).isEqualTo(1100);
    assertThat(position.get("lagEvents").asLong()).isEqualTo(158);
    assertThat(position.get("lagSeconds").asDouble()).isEqualTo(12.5);
    JsonNode heldBack = json.get("heldBack");
    assertThat(heldBack.get("events").asLong()).isEqualTo(100);
    assertThat(heldBack.get("oldestOpenTransaction").get("pid").asInt()).isEqualTo(4242);
    assertThat(heldBack.get("oldestOpenTransaction").get("ageSeconds").asDouble()).isEqualTo(2.5);
    assertThat(heldBack.get("oldestOpenTransaction").get("state").asText()).isEqualTo("idle in transaction");
    assertThat(json.get("work").get("eventsPerSecond").asDouble()).isZero();
    assertThat(json.get("work").get("processedEvents").asLong()).isEqualTo(1042);
    assertThat(json.get("lease").isNull()).isTrue();
    assertThat(json.get("observedAt").asText()).isEqualTo("2025-03-01T10:15:30Z");
  }

  @Test
  void a_live_lease_and_no_error_are_written_as_an_object_and_null() throws Exception {
    ProjectionStatus f = failing();
    ProjectionStatus running = new ProjectionStatus(f.partition(),
        new ProjectionStatus.Health(ProjectorState.RUNNING, Optional.empty(), 0), f.position(),
        new ProjectionStatus.HeldBack(0, Optional.empty()), f.work(),
        Optional.of(new ProjectionStatus.Lease("node-1", NOW)), NOW);
    JsonNode json = new ObjectMapper().readTree(running.toJson());
    assertThat(json.get("lease").get("node").asText()).isEqualTo("node-1");
    assertThat(json.get("lease").get("until").asText()).isEqualTo("2025-03-01T10:15:30Z");
    assertThat(json.get("health").get("lastError").isNull()).isTrue();
    assertThat(json.get("heldBack").get("oldestOpenTransaction").isNull()).isTrue();
  }

  @Test
  void several_statuses_become_a_json_array() throws Exception {
    JsonNode json = new ObjectMapper().readTree(ProjectionStatus.toJson(List.of(failing(), failing())));
    assertThat(json.isArray()).isTrue();
    assertThat(json).hasSize(2);
  }

  @Test
  void caught_up_means_no_readable_event_is_left() {
    assertThat(failing().isCaughtUp()).isFalse();
  }
}
