package dev.annals.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class EventRegistryTest {

  static final StreamId S = StreamId.of("account", "1");

  record Deposited(BigDecimal amount, String currency, Instant at) {}

  record Renamed(String fullName) {}

  record Tagged(List<String> tags) {}

  private static EventRegistry.Decoded decode(EventRegistry r, String type, int v, String json) {
    return r.deserialize(new SerializedEvent(type, v, json), S, 4, 42);
  }

  @Test
  void events_round_trip_with_exact_decimals_and_times_and_no_class_names() {
    EventRegistry r = EventRegistry.builder().register(Deposited.class, "Deposited").build();
    Deposited d = new Deposited(new BigDecimal("10.50"), "EUR", Instant.parse("2025-03-01T10:15:30.123456Z"));
    SerializedEvent s = r.serialize(d);
    assertThat(s.type()).isEqualTo("Deposited");
    assertThat(s.schemaVersion()).isEqualTo(1);
    assertThat(s.json()).doesNotContain("dev.annals").contains("10.50");
    assertThat(r.deserialize(s, S, 1, 1).payload()).isEqualTo(d);
  }

  record Balance(BigDecimal amount, BigDecimal limit) {
    public boolean isOverdrawn() {
      return amount.signum() < 0;
    }

    public BigDecimal getAvailable() {
      return amount.add(limit);
    }
  }

  @Test
  void helper_methods_on_records_are_not_written_so_they_round_trip() {
    EventRegistry r = EventRegistry.builder().register(Balance.class, "Balance").build();
    Balance b = new Balance(new BigDecimal("-5.00"), new BigDecimal("100.00"));
    SerializedEvent s = r.serialize(b);
    assertThat(s.json()).doesNotContain("overdrawn").doesNotContain("available");
    assertThat(r.deserialize(s, S, 1, 1).payload()).isEqualTo(b);
    assertThat(r.fromJson(r.toJson(b), Balance.class)).isEqualTo(b);
  }

  @Test
  void an_unregistered_class_is_named_with_the_fix() {
    EventRegistry r = EventRegistry.builder().build();
    assertThatThrownBy(() -> r.serialize(new Renamed("x")))
        .isInstanceOf(EventSerializationException.class)
        .hasMessageContaining(Renamed.class.getName())
        .hasMessageContaining("register(Renamed.class");
  }

  @Test
  void registration_mistakes_fail_at_build_time() {
    assertThatThrownBy(() -> EventRegistry.builder().register(String.class, "S"))
        .hasMessageContaining("must be a record");
    assertThatThrownBy(() -> EventRegistry.builder().register(Renamed.class, "A").register(Tagged.class, "A"))
        .hasMessageContaining("'A' is already taken");
    assertThatThrownBy(() -> EventRegistry.builder().register(Renamed.class, "A").register(Renamed.class, "B"))
        .hasMessageContaining("already registered");
    assertThatThrownBy(() -> EventRegistry.builder().register(Renamed.class, " A"))
        .hasMessageContaining("' A'");
    assertThatThrownBy(() -> EventRegistry.builder().register(Renamed.class, "A", 0))
        .hasMessageContaining("was 0");
    assertThatThrownBy(() -> EventRegistry.builder().register(Renamed.class, "A", 1)
        .upcaster(Upcaster.of("A", 1, j -> j)).build())
        .hasMessageContaining("registered at v1");
  }

  @Nested
  class Upcasting {

    final EventRegistry registry = EventRegistry.builder()
        .register(Deposited.class, "Deposited", 3)
        .register(Renamed.class, "PersonRenamed", 1)
        // v1 had "value" instead of "amount"
        .upcaster(Upcaster.of("Deposited", 1, j -> {
          j.set("amount", j.remove("value"));
          return j;
        }))
        // v2 had no currency
        .upcaster(Upcaster.of("Deposited", 2, j -> j.put("currency", "EUR")))
        // v3 added a time; the old name "NameChanged" v4 becomes PersonRenamed v1
        .upcaster(Upcaster.renaming("NameChanged", 4, "PersonRenamed", 1, j -> {
          j.put("fullName", j.remove("first").asText() + " " + j.remove("last").asText());
          return j;
        }))
        .build();

    @Test
    void a_chain_brings_version_one_to_the_current_shape() {
      EventRegistry.Decoded d = decode(registry, "Deposited", 1,
          "{\"value\": 12.30, \"at\": \"2020-01-01T00:00:00Z\"}");
      assertThat(d.type()).isEqualTo("Deposited");
      assertThat(d.payload()).isEqualTo(new Deposited(new BigDecimal("12.30"), "EUR",
          Instant.parse("2020-01-01T00:00:00Z")));
    }

    @Test
    void a_chain_can_start_midway() {
      assertThat(decode(registry, "Deposited", 2,
          "{\"amount\": 1, \"at\": \"2020-01-01T00:00:00Z\"}").payload())
          .isEqualTo(new Deposited(new BigDecimal("1"), "EUR", Instant.parse("2020-01-01T00:00:00Z")));
    }

    @Test
    void a_renaming_upcaster_maps_an_old_type_to_a_new_one() {
      EventRegistry.Decoded d = decode(registry, "NameChanged", 4, "{\"first\":\"Ada\",\"last\":\"Lovelace\"}");
      assertThat(d.type()).isEqualTo("PersonRenamed");
      assertThat(d.payload()).isEqualTo(new Renamed("Ada Lovelace"));
    }

    @Test
    void a_missing_step_is_reported_with_the_upcaster_to_write() {
      EventRegistry r = EventRegistry.builder().register(Deposited.class, "Deposited", 3)
          .upcaster(Upcaster.of("Deposited", 1, j -> j)).build();
      EventDecodingException e = catchThrowableOfType(EventDecodingException.class,
          () -> decode(r, "Deposited", 1, "{}"));
      assertThat(e.getMessage()).contains("no upcaster from 'Deposited' v2")
          .contains("account-1").contains("position 42");
    }

    @Test
    void an_event_from_a_newer_schema_is_reported() {
      assertThatThrownBy(() -> decode(registry, "Deposited", 9, "{}"))
          .isInstanceOf(EventDecodingException.class)
          .hasMessageContaining("only up to v3");
    }

    @Test
    void a_failing_upcaster_is_named() {
      EventRegistry r = EventRegistry.builder().register(Renamed.class, "R", 2)
          .upcaster(Upcaster.of("R", 1, j -> {
            throw new IllegalStateException("boom");
          })).build();
      assertThatThrownBy(() -> decode(r, "R", 1, "{}"))
          .isInstanceOf(EventDecodingException.class)
          .hasMessageContaining("upcaster 'R' v1 failed")
          .hasMessageContaining("boom");
    }
  }

  @Nested
  class Decoding_errors {

    final EventRegistry registry = EventRegistry.builder().register(Renamed.class, "Renamed").build();

    @Test
    void an_unknown_type_names_type_stream_and_position() {
      UnknownEventTypeException e = catchThrowableOfType(UnknownEventTypeException.class,
          () -> decode(registry, "Vanished", 1, "{}"));
      assertThat(e.type()).isEqualTo("Vanished");
      assertThat(e.streamId()).isEqualTo(S);
      assertThat(e.position()).isEqualTo(42);
      assertThat(e.getMessage()).contains("'Vanished'", "account-1", "position 42");
    }

    @Test
    void malformed_json_is_named() {
      assertThatThrownBy(() -> decode(registry, "Renamed", 1, "{\"fullName\": "))
          .isInstanceOf(EventDecodingException.class)
          .hasMessageContaining("malformed JSON")
          .hasMessageContaining("'Renamed'");
    }

    @Test
    void a_shape_that_does_not_fit_asks_for_an_upcaster() {
      assertThatThrownBy(() -> decode(registry, "Renamed", 1, "{\"name\": \"x\"}"))
          .isInstanceOf(EventDecodingException.class)
          .hasMessageContaining("does not fit Renamed v1");
      assertThatThrownBy(() -> decode(registry, "Renamed", 1, "[1,2]"))
          .isInstanceOf(EventDecodingException.class)
          .hasMessageContaining("not a JSON object");
    }
  }

  @Test
  void metadata_round_trips_and_leaves_out_absent_fields() {
    EventRegistry r = EventRegistry.builder().build();
    Metadata m = Metadata.empty().withCorrelationId("c").withCausationId("k").withActor("a")
        .withOccurredAt(Instant.parse("2025-01-01T00:00:00.5Z")).with("x", "y");
    assertThat(r.deserializeMetadata(r.serializeMetadata(m))).isEqualTo(m);
    assertThat(r.serializeMetadata(Metadata.empty())).isEqualTo("{}");
    assertThat(r.deserializeMetadata("{}")).isEqualTo(Metadata.empty());
  }
}
