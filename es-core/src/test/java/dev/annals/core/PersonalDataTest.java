package dev.annals.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class PersonalDataTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  record Address(String street, String city) {}

  record Registered(String customerId, String name, Address address, int age) {}

  record Deposited(long cents) {}

  static final EventRegistry EVENTS = EventRegistry.builder()
      .register(Registered.class, "Registered",
          PersonalData.of(Registered::customerId, "/name", "/address/street")
              .erasedAs("/name", "[erased]"))
      .register(Deposited.class, "Deposited")
      .build();

  static final StreamId S = StreamId.of("customer", "c-1");

  final SubjectKeys keys = SubjectKeys.inMemory();
  final EventRegistry registry = EVENTS.withSubjectKeys(keys);
  final Registered ann = new Registered("c-1", "Ann Smith", new Address("1 Elm St", "Oslo"), 40);

  @Nested
  class Encryption {

    @Test
    void protected_fields_are_stored_as_ciphertext_and_round_trip() {
      UUID id = UUID.randomUUID();
      SerializedEvent stored = registry.serialize(ann, id, S);
      assertThat(stored.json()).doesNotContain("Ann Smith").doesNotContain("Elm St")
          .contains("Oslo").contains("\"annals:subject\":\"c-1\"");
      assertThat(registry.deserialize(stored, id, S, 1, 1).payload()).isEqualTo(ann);
    }

    @Test
    void events_without_personal_data_are_stored_as_before() {
      assertThat(registry.serialize(new Deposited(5), UUID.randomUUID(), S).json()).isEqualTo("{\"cents\":5}");
    }

    @Test
    void a_registry_without_keys_refuses_to_store_personal_data_in_plain_text() {
      assertThatThrownBy(() -> EVENTS.serialize(ann, UUID.randomUUID(), S))
          .isInstanceOf(EventSerializationException.class).hasMessageContaining("withSubjectKeys");
    }

    @Test
    void a_registry_without_keys_refuses_to_decode_ciphertext() {
      UUID id = UUID.randomUUID();
      SerializedEvent stored = registry.serialize(ann, id, S);
      assertThatThrownBy(() -> EVENTS.deserialize(stored, id, S, 1, 1))
          .isInstanceOf(PersonalDataException.class).hasMessageContaining("no subject keys");
    }
  }

  @Nested
  class Forgetting {

    @Test
    void a_forgotten_subject_decodes_with_erased_fields_as_registered() {
      UUID id = UUID.randomUUID();
      SerializedEvent stored = registry.serialize(ann, id, S);
      assertThat(keys.destroy("c-1")).isTrue();
      assertThat(keys.destroy("c-1")).as("idempotent").isFalse();
      assertThat(registry.deserialize(stored, id, S, 1, 1).payload())
          .isEqualTo(new Registered("c-1", "[erased]", new Address(null, "Oslo"), 40));
    }

    @Test
    void new_personal_data_of_a_forgotten_subject_is_refused() {
      keys.destroy("c-1");
      assertThatThrownBy(() -> registry.serialize(ann, UUID.randomUUID(), S))
          .isInstanceOf(SubjectForgottenException.class).hasMessageContaining("c-1");
    }

    @Test
    void the_shredder_forgets_records_who_and_why_and_drops_snapshots_and_cached_states() {
      InMemoryEventStore store = InMemoryEventStore.create(registry);
      store.append(S, ExpectedVersion.noStream(), NewEvent.of(ann));
      store.append(StreamId.of("customer", "c-2"), ExpectedVersion.noStream(),
          NewEvent.of(new Registered("c-2", "Bob", null, 30)));
      InMemorySnapshotStore snapshots = InMemorySnapshotStore.create();
      snapshots.save(new Snapshot(S, 1, 1, "{}", java.time.Instant.now()));

      Shredder.Forgotten f = Shredder.builder(store).snapshots(snapshots).build()
          .forget("c-1", "dpo", "request 12");

      assertThat(f.keyDestroyed()).isTrue();
      assertThat(f.streams()).containsExactly(S);
      assertThat(snapshots.latest(S)).isEmpty();
      assertThat(store.readStream(S).get(0).payload(Registered.class).name()).isEqualTo("[erased]");
      assertThat(store.readStream(StreamId.of("customer", "c-2")).get(0).payload(Registered.class).name())
          .isEqualTo("Bob");
      List<RecordedEvent> notice = store.readStream(StreamId.of(SubjectForgotten.CATEGORY, "c-1"));
      assertThat(notice).singleElement().satisfies(e -> {
        assertThat(e.payload()).isEqualTo(new SubjectForgotten("c-1", "dpo", "request 12"));
        assertThat(e.metadata().actor()).isEqualTo("dpo");
      });
      Shredder.builder(store).build().forget("c-1", "dpo", "request 12");
      assertThat(store.readStream(StreamId.of(SubjectForgotten.CATEGORY, "c-1"))).as("forgetting twice records once").hasSize(1);
    }
  }

  @Nested
  class Tampering {

    @Test
    void ciphertext_moved_to_another_event_is_detected() {
      SerializedEvent stored = registry.serialize(ann, UUID.randomUUID(), S);
      assertThatThrownBy(() -> registry.deserialize(stored, UUID.randomUUID(), S, 1, 1))
          .isInstanceOf(PersonalDataException.class).hasMessageContaining("does not decrypt");
    }

    @Test
    void ciphertext_moved_between_fields_or_subjects_is_detected() throws Exception {
      UUID id = UUID.randomUUID();
      SerializedEvent stored = registry.serialize(ann, id, S);
      ObjectNode json = (ObjectNode) JSON.readTree(stored.json());
      ObjectNode address = (ObjectNode) json.get("address");
      JsonNode name = json.get("name");
      assertThat(name.has("annals:pii")).as("the name is stored encrypted").isTrue();
      json.set("name", address.get("street"));
      address.set("street", name);
      SerializedEvent swapped = new SerializedEvent(stored.type(), 1, JSON.writeValueAsString(json));
      assertThatThrownBy(() -> registry.deserialize(swapped, id, S, 1, 1)).isInstanceOf(PersonalDataException.class)
          .hasMessageContaining("does not decrypt");
      keys.keyFor("c-2");
      SerializedEvent otherSubject = new SerializedEvent(stored.type(), 1,
          stored.json().replace("\"annals:subject\":\"c-1\"", "\"annals:subject\":\"c-2\""));
      assertThatThrownBy(() -> registry.deserialize(otherSubject, id, S, 1, 1)).isInstanceOf(PersonalDataException.class);
    }

    @Test
    void a_missing_key_is_an_error_not_an_erasure() {
      UUID id = UUID.randomUUID();
      SerializedEvent stored = registry.serialize(ann, id, S);
      assertThatThrownBy(() -> EVENTS.withSubjectKeys(SubjectKeys.inMemory()).deserialize(stored, id, S, 1, 1))
          .isInstanceOf(PersonalDataException.class).hasMessageContaining("has no key");
    }

  }

  @Test
  void declarations_are_checked_at_registration() {
    assertThatThrownBy(() -> PersonalData.of(Registered::customerId))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least one");
    assertThatThrownBy(() -> PersonalData.of(Registered::customerId, "name"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("malformed JSON pointer");
    assertThatThrownBy(() -> PersonalData.of(Registered::customerId, "/name").erasedAs("/age", 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a protected field");
    assertThatThrownBy(() -> registry.serialize(new Registered("c 1", "x", null, 1), UUID.randomUUID(), S))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("invalid subject id");
    assertThat(PersonalData.of(Registered::customerId, "/name").fields()).isEqualTo(java.util.Collections.singletonMap("/name", null));
  }
}
