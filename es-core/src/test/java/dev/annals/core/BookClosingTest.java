package dev.annals.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class BookClosingTest {

  record Booked(int amount) {}

  record Closed(int balance) {}

  record Opened(int balance) {}

  final InMemoryEventStore store = InMemoryEventStore.create(EventRegistry.builder()
      .register(Booked.class, "Booked").register(Closed.class, "Closed").register(Opened.class, "Opened").build());
  final StreamId year1 = StreamId.of("ledger", "l1.2026");
  final StreamId year2 = StreamId.of("ledger", "l1.2027");

  @Test
  void the_closing_and_the_opening_event_name_each_other() {
    store.append(year1, ExpectedVersion.noStream(), List.of(NewEvent.of(new Booked(5)), NewEvent.of(new Booked(7))));

    BookClosing.Closed closed = BookClosing.close(store, year1, 2, new Closed(12), year2, new Opened(12),
        Metadata.empty().withActor("year-end"));

    assertThat(closed.closing().lastVersion()).isEqualTo(3);
    RecordedEvent closing = store.readStream(year1).get(2);
    RecordedEvent opening = store.readStream(year2).get(0);
    assertThat(closing.metadata().extra()).containsEntry(BookClosing.CONTINUED_IN, year2.toString());
    assertThat(closing.metadata().actor()).isEqualTo("year-end");
    assertThat(opening.payload()).isEqualTo(new Opened(12));
    assertThat(BookClosing.carriedFrom(opening)).contains(year1);
    assertThat(opening.metadata().extra()).containsEntry(BookClosing.CARRIED_FROM_VERSION, "3");
    assertThat(BookClosing.carriedFrom(closing)).isEmpty();
  }

  @Test
  void a_stream_that_moved_since_the_summary_is_not_closed() {
    store.append(year1, ExpectedVersion.noStream(), List.of(NewEvent.of(new Booked(5)), NewEvent.of(new Booked(7))));

    assertThatThrownBy(() -> BookClosing.close(store, year1, 1, new Closed(5), year2, new Opened(5), Metadata.empty()))
        .isInstanceOfSatisfying(ConcurrencyConflictException.class, e -> assertThat(e).hasMessageContaining("l1.2026"));
    assertThat(store.readStream(year1)).hasSize(2);
    assertThat(store.streamVersion(year2)).isZero();
  }

  @Test
  void an_interrupted_close_is_finished_by_calling_it_again() {
    store.append(year1, ExpectedVersion.noStream(), NewEvent.of(new Booked(5)));
    BookClosing.close(store, year1, 1, new Closed(5), year2, new Opened(5), Metadata.empty());

    BookClosing.Closed again = BookClosing.close(store, year1, 1, new Closed(5), year2, new Opened(5), Metadata.empty());

    assertThat(again.opening().lastVersion()).isEqualTo(1);
    assertThat(store.readStream(year1)).hasSize(2);
    assertThat(store.readStream(year2)).hasSize(1);
  }

  @Test
  void closing_into_the_same_stream_or_before_any_event_is_refused() {
    assertThatThrownBy(() -> BookClosing.close(store, year1, 1, new Closed(0), year1, new Opened(0), Metadata.empty()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ledger-l1.2026");
    assertThatThrownBy(() -> BookClosing.close(store, year1, 0, new Closed(0), year2, new Opened(0), Metadata.empty()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("was 0");
  }
}
