package dev.annals.projections;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.annals.postgres.LogCursor;
import dev.annals.postgres.LogHead;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ProjectionStatusTest {

  static final Instant NOW = Instant.parse("2025-03-01T10:15:30Z");

  static ProjectionStatus failing() {
    return new ProjectionStatus("balances", 2, false, 1, 4, ProjectorState.FAILED, new LogCursor(7311, 1042),
        1200, 1100, 158, 12.5, 100,
        Optional.of(new LogHead.OpenTransaction(4242, Duration.ofMillis(2500), "idle in transaction",
            "batch-job", "UPDATE accounts SET ...")),
        Optional.of("event 1 failed after 5 tries"), Optional.of(NOW), 0, 1042, Optional.empty(),
        Optional.empty(), 1, NOW);
  }

  @Test
  void json_carries_every_field_with_absent_values_as_null() throws Exception {
    JsonNode json = new ObjectMapper().readTree(failing().toJson());
    assertThat(json.get("projector").asText()).isEqualTo("balances");
    assertThat(json.get("version").asInt()).isEqualTo(2);
    assertThat(json.get("active").asBoolean()).isFalse();
    assertThat(json.get("partition").asInt()).isEqualTo(1);
    assertThat(json.get("partitions").asInt()).isEqualTo(4);
    assertThat(json.get("state").asText()).isEqualTo("FAILED");
    assertThat(json.get("cursor").get("transactionId").asLong()).isEqualTo(7311);
    assertThat(json.get("cursor").get("position").asLong()).isEqualTo(1042);
    assertThat(json.get("headPosition").asLong()).isEqualTo(1200);
    assertThat(json.get("safeHeadPosition").asLong()).isEqualTo(1100);
    assertThat(json.get("lagEvents").asLong()).isEqualTo(158);
    assertThat(json.get("lagSeconds").asDouble()).isEqualTo(12.5);
    assertThat(json.get("heldBackEvents").asLong()).isEqualTo(100);
    assertThat(json.get("oldestOpenTransaction").get("pid").asInt()).isEqualTo(4242);
    assertThat(json.get("oldestOpenTransaction").get("ageSeconds").asDouble()).isEqualTo(2.5);
    assertThat(json.get("oldestOpenTransaction").get("state").asText()).isEqualTo("idle in transaction");
    assertThat(json.get("lastError").asText()).isEqualTo("event 1 failed after 5 tries");
    assertThat(json.get("lastErrorAt").asText()).isEqualTo("2025-03-01T10:15:30Z");
    assertThat(json.get("eventsPerSecond").asDouble()).isZero();
    assertThat(json.get("processedEvents").asLong()).isEqualTo(1042);
    assertThat(json.get("ownerNode").isNull()).isTrue();
    assertThat(json.get("leaseUntil").isNull()).isTrue();
    assertThat(json.get("openDeadLetters").asLong()).isEqualTo(1);
    assertThat(json.get("observedAt").asText()).isEqualTo("2025-03-01T10:15:30Z");
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
