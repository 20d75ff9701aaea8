package dev.annals.testkit;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.annals.core.Decider;
import dev.annals.core.EventRegistry;
import dev.annals.core.PersonalData;
import java.util.List;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

/** The fixture runs events with personal data through encryption and an erasure. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class PersonalDataFixtureTest {

  record Rename(String name) {}

  record Renamed(String customerId, String name, int age) {}

  record Profile(String name) {}

  static Decider<Rename, Profile, Renamed> decider() {
    return Decider.of(() -> new Profile(null), (p, e) -> new Profile(e.name()),
        (c, p) -> List.of(new Renamed("c-1", c.name(), 30)));
  }

  @Test
  void protected_fields_round_trip_encrypted() {
    EventRegistry events = EventRegistry.builder()
        .register(Renamed.class, "Renamed", PersonalData.of(Renamed::customerId, "/name").erasedAs("/name", "?"))
        .build();
    AggregateFixture.of(decider(), events)
        .given(new Renamed("c-1", "Ann", 30))
        .when(new Rename("Ann Smith"))
        .thenEvents(new Renamed("c-1", "Ann Smith", 30))
        .thenState(new Profile("Ann Smith"));
  }

  @Test
  void an_erased_value_that_does_not_fit_its_field_fails_the_test() {
    EventRegistry events = EventRegistry.builder()
        .register(Renamed.class, "Renamed", PersonalData.of(Renamed::customerId, "/name", "/age")
            .erasedAs("/age", "unknown"))
        .build();
    assertThatThrownBy(() -> AggregateFixture.of(decider(), events).given(new Renamed("c-1", "Ann", 30)))
        .isInstanceOf(AssertionFailedError.class)
        .hasMessageContaining("cannot be read once subject c-1 is forgotten");
  }

  @Test
  void an_invalid_subject_fails_the_test() {
    EventRegistry events = EventRegistry.builder()
        .register(Renamed.class, "Renamed", PersonalData.of(Renamed::name, "/age"))
        .build();
    assertThatThrownBy(() -> AggregateFixture.of(decider(), events).given(new Renamed("c-1", "Ann Smith", 30)))
        .isInstanceOf(AssertionFailedError.class).hasMessageContaining("invalid subject id");
  }
}
