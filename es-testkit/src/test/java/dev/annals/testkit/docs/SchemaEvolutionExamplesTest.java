package dev.annals.testkit.docs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.annals.core.EventDecodingException;
import dev.annals.core.EventRegistry;
import dev.annals.core.EventStore;
import dev.annals.core.ExpectedVersion;
import dev.annals.core.InMemoryEventStore;
import dev.annals.core.NewEvent;
import dev.annals.core.RecordedEvent;
import dev.annals.core.StreamId;
import dev.annals.core.Upcaster;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

/** The registry and upcaster examples in docs/concepts.md. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class SchemaEvolutionExamplesTest {

  /** The shapes and names an older version of the application wrote. */
  static final class Version1 {
    record Deposited(long cents) {}

    record MoneyTakenOut(long cents) {}

    static final EventRegistry REGISTRY = EventRegistry.builder()
        .register(Deposited.class, "Deposited")
        .register(MoneyTakenOut.class, "MoneyTakenOut")
        .build();
  }

  // tag::current-events[]
  record Deposited(long cents, String currency) {}

  record Withdrawn(long cents) {}
  // end::current-events[]

  final StreamId stream = StreamId.of("wallet", "w-42");
  final InMemoryEventStore writtenByVersion1 = InMemoryEventStore.create(Version1.REGISTRY);

  @BeforeEach
  void version_1_wrote_two_events() {
    writtenByVersion1.append(stream, ExpectedVersion.noStream(), List.of(
        NewEvent.of(new Version1.Deposited(500)), NewEvent.of(new Version1.MoneyTakenOut(200))));
  }

  @Test
  void old_events_are_upcast_on_the_way_in() {
    // tag::upcasters[]
    EventRegistry registry = EventRegistry.builder()
        .register(Deposited.class, "Deposited", 2)
        // Version 1 had no currency: every wallet was in euros then.
        .upcaster(Upcaster.of("Deposited", 1, json -> json.put("currency", "EUR")))
        .register(Withdrawn.class, "Withdrawn")
        .upcaster(Upcaster.renaming("MoneyTakenOut", 1, "Withdrawn", 1, json -> json))
        .build();
    // end::upcasters[]

    EventStore store = writtenByVersion1.withRegistry(registry);
    // tag::upcast-read[]
    List<RecordedEvent> events = store.readStream(stream);
    assertThat(events).extracting(RecordedEvent::payload)
        .containsExactly(new Deposited(500, "EUR"), new Withdrawn(200));
    assertThat(events).extracting(RecordedEvent::type).containsExactly("Deposited", "Withdrawn");
    assertThat(events).extracting(RecordedEvent::schemaVersion).as("as stored").containsExactly(1, 1);

    // New events are written in the current shape.
    assertThat(registry.serialize(new Deposited(100, "USD")).schemaVersion()).isEqualTo(2);
    // end::upcast-read[]
  }

  @Test
  void a_missing_upcaster_names_the_event_and_the_fix() {
    EventRegistry withoutUpcasters = EventRegistry.builder()
        .register(Deposited.class, "Deposited", 2)
        .register(Withdrawn.class, "Withdrawn")
        .build();
    // tag::missing-upcaster[]
    assertThatThrownBy(() -> writtenByVersion1.withRegistry(withoutUpcasters).readStream(stream))
        .isInstanceOf(EventDecodingException.class)
        .hasMessageContaining("cannot decode event 'Deposited' (schema version 1) in stream wallet-w-42 "
            + "at version 1, log position 1: no upcaster from 'Deposited' v1 towards the current v2; "
            + "register Upcaster.of(\"Deposited\", 1, ...)");
    // end::missing-upcaster[]
  }

  @Test
  void an_unregistered_class_is_refused_before_anything_is_written() {
    EventRegistry registry = EventRegistry.builder().register(Deposited.class, "Deposited", 2).build();
    InMemoryEventStore store = InMemoryEventStore.create(registry);
    assertThatThrownBy(() -> store.append(stream, ExpectedVersion.any(), NewEvent.of(new Withdrawn(1))))
        .hasMessageContaining("is not registered");
    assertThat(store.headPosition()).isZero();
  }
}
