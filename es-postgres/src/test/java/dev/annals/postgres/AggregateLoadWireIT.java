package dev.annals.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.annals.core.AggregateRepository;
import dev.annals.core.AggregateType;
import dev.annals.core.AsOf;
import dev.annals.core.Decider;
import dev.annals.core.EventDecodingException;
import dev.annals.core.EventRegistry;
import dev.annals.core.ExpectedVersion;
import dev.annals.core.Metadata;
import dev.annals.core.NewEvent;
import dev.annals.core.StreamId;
import dev.annals.testkit.PostgresTestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** What loading an aggregate reads from PostgreSQL, seen on the wire. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class AggregateLoadWireIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  record Add(int n) {}

  record Added(int n) {}

  record Total(int sum, int count) {}

  /** An event of some other aggregate. */
  record Renamed(String name) {}

  static final EventRegistry REGISTRY = EventRegistry.builder().register(Added.class, "Added")
      .register(Renamed.class, "Renamed").build();
  static final AggregateType<Add, Total, Added> COUNTER = AggregateType.builder("counter", Added.class,
      Decider.<Add, Total, Added>of(() -> new Total(0, 0), (t, e) -> new Total(t.sum() + e.n(), t.count() + 1),
          (c, t) -> List.of(new Added(c.n())))).build();

  @Test
  void a_load_reads_payloads_without_metadata_and_a_history_reads_whole_events() throws Exception {
    try (WireTap tap = new WireTap(db.jdbcUrl());
        PostgresEventStore store = PostgresEventStore.builder(REGISTRY).jdbcUrl(tap.url()).poolSize(2)
            .schema(db.newSchema()).installSchema(true).notifyInterval(Duration.ZERO).build();
        AggregateRepository<Add, Total, Added> repo = AggregateRepository.builder(COUNTER, store)
            .cacheSize(0).build()) {
      StreamId stream = StreamId.of("counter", "c1");
      // Three pages and a bit, with metadata on every event.
      for (int page = 0; page < 3; page++) {
        List<NewEvent> events = new ArrayList<>();
        for (int i = 1; i <= 1000; i++) {
          events.add(NewEvent.of(new Added(i), Metadata.empty().withActor("tester").with("page", "" + page)));
        }
        store.append(stream, ExpectedVersion.exactly(page * 1000L), events);
      }
      store.append(stream, ExpectedVersion.exactly(3000), NewEvent.of(new Added(7)));

      int before = tap.rowDescriptions().size();
      Total total = repo.load("c1").state();
      assertThat(total).isEqualTo(new Total(3 * 500_500 + 7, 3001));
      assertThat(repo.loadAsOf(stream.id(), AsOf.version(1500)).state().count()).isEqualTo(1500);
      List<List<String>> loads = tap.rowDescriptions().subList(before, tap.rowDescriptions().size());
      assertThat(loads).as("results the loads read").isNotEmpty()
          .allSatisfy(columns -> assertThat(columns).doesNotContain("metadata", "event_id", "recorded_at")
              .contains("payload"));

      before = tap.rowDescriptions().size();
      assertThat(repo.history("c1", AsOf.version(2)).events()).extracting(e -> e.metadata().actor())
          .containsExactly("tester", "tester");
      assertThat(tap.rowDescriptions().subList(before, tap.rowDescriptions().size()))
          .as("an auditor's history keeps whole events").anySatisfy(columns -> assertThat(columns).contains("metadata"));
    }
  }

  @Test
  void a_load_meeting_an_event_of_another_aggregate_fails_naming_it() {
    try (PostgresEventStore store = PostgresEventStore.builder(REGISTRY).jdbcUrl(db.jdbcUrl()).poolSize(2)
        .schema(db.newSchema()).installSchema(true).notifyInterval(Duration.ZERO).build();
        AggregateRepository<Add, Total, Added> repo = AggregateRepository.builder(COUNTER, store)
            .cacheSize(0).build()) {
      StreamId stream = StreamId.of("counter", "mixed");
      store.append(stream, ExpectedVersion.noStream(), List.of(NewEvent.of(new Added(1)),
          NewEvent.of(new Renamed("x")), NewEvent.of(new Added(2))));
      assertThatThrownBy(() -> repo.load("mixed")).isInstanceOf(EventDecodingException.class)
          .hasMessageContaining("Renamed").hasMessageContaining("counter-mixed")
          .hasMessageContaining("which is not a " + Added.class.getName());
      assertThat(repo.loadAsOf("mixed", AsOf.version(1)).state()).isEqualTo(new Total(1, 1));
    }
  }
}
