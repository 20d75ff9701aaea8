package dev.annals.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.annals.core.AppendResult;
import dev.annals.core.ConcurrencyConflictException;
import dev.annals.core.DuplicateEventIdException;
import dev.annals.core.EventSerializationException;
import dev.annals.core.EventStore;
import dev.annals.core.EventTooLargeException;
import dev.annals.core.ExpectedVersion;
import dev.annals.core.LogFilter;
import dev.annals.core.Metadata;
import dev.annals.core.NewEvent;
import dev.annals.core.RecordedEvent;
import dev.annals.core.StreamId;
import dev.annals.core.UnknownEventTypeException;
import dev.annals.testkit.ContractEvents.ItemAdded;
import dev.annals.testkit.ContractEvents.ItemRemoved;
import dev.annals.testkit.ContractEvents.Mystery;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

// Over 400 lines: the whole contract every store must pass, in one suite a store runs with one subclass.
/**
 * The behaviour every {@link EventStore} must have. A store proves it with a subclass of a few
 * lines:
 *
 * <pre>{@code
 * class InMemoryEventStoreTest extends EventStoreContract {
 *   protected EventStore createStore(EventRegistry registry) {
 *     return InMemoryEventStore.create(registry);
 *   }
 *   protected EventStore reopen(EventStore store, EventRegistry registry) {
 *     return ((InMemoryEventStore) store).withRegistry(registry);
 *   }
 * }
 * }</pre>
 *
 * <p>The store's size limit must be at most 1 MiB (the default of both shipped stores).
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
public abstract class EventStoreContract {

  /** An empty store, new for each test, decoding with {@code registry}. */
  protected abstract EventStore createStore(dev.annals.core.EventRegistry registry);

  /** Another store over the same data as {@code store}, decoding with {@code registry}. */
  protected abstract EventStore reopen(EventStore store, dev.annals.core.EventRegistry registry);

  /** The store under test, created before each test. */
  protected EventStore store;

  @BeforeEach
  void createStoreUnderTest() {
    store = createStore(ContractEvents.writerRegistry());
  }

  private static StreamId stream() {
    return StreamId.of("cart", UUID.randomUUID().toString());
  }

  private static NewEvent added(String name) {
    return NewEvent.of(new ItemAdded(name, 1));
  }

  private static List<NewEvent> added(String... names) {
    List<NewEvent> list = new ArrayList<>();
    for (String n : names) {
      list.add(added(n));
    }
    return list;
  }

  private static List<Object> payloads(List<RecordedEvent> events) {
    return events.stream().map(RecordedEvent::payload).toList();
  }

  @Nested
  class Expected_version {

    @Test
    void any_appends_to_a_new_and_an_existing_stream() {
      StreamId s = stream();
      assertThat(store.append(s, ExpectedVersion.any(), added("a")).lastVersion()).isEqualTo(1);
      assertThat(store.append(s, ExpectedVersion.any(), added("b")).lastVersion()).isEqualTo(2);
    }

    @Test
    void no_stream_appends_only_to_a_new_stream() {
      StreamId s = stream();
      store.append(s, ExpectedVersion.noStream(), added("a"));
      ConcurrencyConflictException e = catchThrowableOfType(ConcurrencyConflictException.class,
          () -> store.append(s, ExpectedVersion.noStream(), added("b")));
      assertThat(e).as("second append with noStream").isNotNull();
      assertThat(e.streamId()).isEqualTo(s);
      assertThat(e.expected()).isEqualTo(ExpectedVersion.noStream());
      assertThat(e.actualVersion()).isEqualTo(1);
      assertThat(e.isRetryable()).isTrue();
    }

    @Test
    void exactly_zero_means_no_stream() {
      StreamId s = stream();
      store.append(s, ExpectedVersion.exactly(0), added("a"));
      assertThatThrownBy(() -> store.append(s, ExpectedVersion.exactly(0), added("b")))
          .isInstanceOf(ConcurrencyConflictException.class);
    }

    @Test
    void stream_exists_fails_on_a_new_stream_and_appends_to_an_existing_one() {
      StreamId s = stream();
      ConcurrencyConflictException e = catchThrowableOfType(ConcurrencyConflictException.class,
          () -> store.append(s, ExpectedVersion.streamExists(), added("a")));
      assertThat(e).isNotNull();
      assertThat(e.actualVersion()).isZero();
      store.append(s, ExpectedVersion.noStream(), added("a"));
      assertThat(store.append(s, ExpectedVersion.streamExists(), added("b")).lastVersion()).isEqualTo(2);
    }

    @Test
    void exact_version_appends_when_it_matches() {
      StreamId s = stream();
      AppendResult first = store.append(s, ExpectedVersion.noStream(), added("a", "b"));
      AppendResult second = store.append(s, first.nextExpectedVersion(), added("c"));
      assertThat(second.firstVersion()).isEqualTo(3);
      assertThat(second.lastVersion()).isEqualTo(3);
    }

    @Test
    void stale_or_future_exact_version_conflicts_and_names_the_actual_version() {
      StreamId s = stream();
      store.append(s, ExpectedVersion.noStream(), added("a", "b", "c"));
      for (long expected : new long[] {1, 2, 4, 100}) {
        ConcurrencyConflictException e = catchThrowableOfType(ConcurrencyConflictException.class,
            () -> store.append(s, ExpectedVersion.exactly(expected), added("x")));
        assertThat(e).as("append expecting version %d", expected).isNotNull();
        assertThat(e.actualVersion()).isEqualTo(3);
        assertThat(e.expected()).isEqualTo(ExpectedVersion.exactly(expected));
        assertThat(e.getMessage()).contains(s.toString()).contains("version 3");
      }
    }

    @Test
    void a_conflict_writes_nothing() {
      StreamId s = stream();
      store.append(s, ExpectedVersion.noStream(), added("a"));
      long head = store.headPosition();
      assertThatThrownBy(() -> store.append(s, ExpectedVersion.exactly(5), added("b", "c")))
          .isInstanceOf(ConcurrencyConflictException.class);
      assertThat(store.streamVersion(s)).isEqualTo(1);
      assertThat(store.headPosition()).isEqualTo(head);
      assertThat(store.readStream(s)).hasSize(1);
    }

    @Test
    void negative_expected_version_is_rejected_before_reaching_the_store() {
      assertThatThrownBy(() -> ExpectedVersion.exactly(-1))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("-1");
    }
  }

  @Nested
  class Appending {

    @Test
    void a_batch_gets_consecutive_versions_and_increasing_positions() {
      StreamId s = stream();
      AppendResult r = store.append(s, ExpectedVersion.noStream(), added("a", "b", "c"));
      assertThat(r.firstVersion()).isEqualTo(1);
      assertThat(r.lastVersion()).isEqualTo(3);
      assertThat(r.count()).isEqualTo(3);
      List<RecordedEvent> events = store.readStream(s);
      assertThat(events).extracting(RecordedEvent::version).containsExactly(1L, 2L, 3L);
      assertThat(events).extracting(RecordedEvent::position).isSorted().doesNotHaveDuplicates();
      assertThat(events.get(0).position()).isEqualTo(r.firstPosition());
      assertThat(events.get(2).position()).isEqualTo(r.lastPosition());
    }

    @Test
    void envelope_fields_are_stored() {
      StreamId s = stream();
      Instant occurred = Instant.parse("2024-01-02T03:04:05.123456Z");
      Metadata meta = Metadata.empty().withCorrelationId("corr-1").withCausationId("cmd-1")
          .withActor("alice").withOccurredAt(occurred).with("tenant", "t1");
      NewEvent e = NewEvent.of(new ItemAdded("apple", 3), meta);
      Instant before = Instant.now().minus(5, ChronoUnit.SECONDS);
      store.append(s, ExpectedVersion.noStream(), e);
      RecordedEvent r = store.readStream(s).get(0);
      assertThat(r.eventId()).isEqualTo(e.eventId());
      assertThat(r.streamId()).isEqualTo(s);
      assertThat(r.version()).isEqualTo(1);
      assertThat(r.type()).isEqualTo("ItemAdded");
      assertThat(r.schemaVersion()).isEqualTo(1);
      assertThat(r.payload()).isEqualTo(new ItemAdded("apple", 3));
      assertThat(r.metadata()).isEqualTo(meta);
      assertThat(r.recordedAt()).isAfter(before).isBefore(Instant.now().plus(5, ChronoUnit.SECONDS));
    }

    @Test
    void a_thousand_events_in_one_append() {
      StreamId s = stream();
      List<NewEvent> batch = IntStream.range(0, 1000).mapToObj(i -> added("item-" + i)).toList();
      AppendResult r = store.append(s, ExpectedVersion.noStream(), batch);
      assertThat(r.lastVersion()).isEqualTo(1000);
      assertThat(store.readStream(s)).hasSize(1000);
    }
  }

  @Nested
  class Idempotency {

    @Test
    void retrying_the_same_append_returns_the_original_result_and_writes_nothing() {
      StreamId s = stream();
      List<NewEvent> batch = added("a", "b");
      AppendResult first = store.append(s, ExpectedVersion.noStream(), batch);
      long head = store.headPosition();
      AppendResult retry = store.append(s, ExpectedVersion.noStream(), batch);
      assertThat(retry).isEqualTo(first);
      AppendResult retryAny = store.append(s, ExpectedVersion.any(), batch);
      assertThat(retryAny).isEqualTo(first);
      assertThat(store.headPosition()).isEqualTo(head);
      assertThat(store.streamVersion(s)).isEqualTo(2);
    }

    @Test
    void retrying_an_earlier_append_after_later_ones_returns_its_original_result() {
      StreamId s = stream();
      List<NewEvent> batch = List.of(added("a"));
      AppendResult first = store.append(s, ExpectedVersion.noStream(), batch);
      store.append(s, ExpectedVersion.exactly(1), added("b"));
      assertThat(store.append(s, ExpectedVersion.exactly(1), batch)).isEqualTo(first);
    }

    @Test
    void reusing_some_stored_ids_is_refused_and_writes_nothing() {
      StreamId s = stream();
      NewEvent a = added("a");
      store.append(s, ExpectedVersion.noStream(), a);
      DuplicateEventIdException e = catchThrowableOfType(DuplicateEventIdException.class,
          () -> store.append(s, ExpectedVersion.any(), List.of(a, added("b"))));
      assertThat(e).isNotNull();
      assertThat(e.storedIds()).containsExactly(a.eventId());
      assertThat(store.streamVersion(s)).isEqualTo(1);
    }

    @Test
    void reusing_ids_of_another_stream_is_refused() {
      StreamId s = stream();
      StreamId other = stream();
      NewEvent a = added("a");
      store.append(s, ExpectedVersion.noStream(), a);
      assertThatThrownBy(() -> store.append(other, ExpectedVersion.any(), a))
          .isInstanceOf(DuplicateEventIdException.class)
          .hasMessageContaining(other.toString());
      assertThat(store.streamVersion(other)).isZero();
    }

    @Test
    void reusing_ids_of_another_stream_at_an_exact_version_is_refused_and_writes_nothing() {
      // An existing stream at the version the caller expects: the single-event path of a store
      // may have checked the version before it meets the duplicate id.
      StreamId s = stream();
      StreamId other = stream();
      NewEvent a = added("a");
      store.append(s, ExpectedVersion.noStream(), a);
      store.append(other, ExpectedVersion.noStream(), added("x"));
      long head = store.headPosition();
      assertThatThrownBy(() -> store.append(other, ExpectedVersion.exactly(1), a))
          .isInstanceOf(DuplicateEventIdException.class)
          .hasMessageContaining(other.toString());
      assertThat(store.streamVersion(other)).isEqualTo(1);
      assertThat(store.headPosition()).isEqualTo(head);
      store.append(other, ExpectedVersion.exactly(1), added("y"));
      assertThat(store.streamVersion(other)).as("the stream takes its next event as before").isEqualTo(2);
    }
  }

  @Nested
  class Reading_a_stream {

    @Test
    void forward_from_a_version_with_a_limit() {
      StreamId s = stream();
      store.append(s, ExpectedVersion.noStream(), added("a", "b", "c", "d", "e"));
      assertThat(store.readStream(s, 2, 2)).extracting(RecordedEvent::version).containsExactly(2L, 3L);
      assertThat(store.readStream(s, 4, 10)).extracting(RecordedEvent::version).containsExactly(4L, 5L);
      assertThat(store.readStream(s, 6, 10)).isEmpty();
    }

    @Test
    void backward_from_a_version_with_a_limit() {
      StreamId s = stream();
      store.append(s, ExpectedVersion.noStream(), added("a", "b", "c", "d", "e"));
      assertThat(store.readStreamBackward(s, EventStore.END, 2)).extracting(RecordedEvent::version)
          .containsExactly(5L, 4L);
      assertThat(store.readStreamBackward(s, 3, 10)).extracting(RecordedEvent::version)
          .containsExactly(3L, 2L, 1L);
    }

    @Test
    void payloads_alone_are_those_of_the_whole_events_in_version_order() {
      StreamId s = stream();
      store.append(s, ExpectedVersion.noStream(), added("a", "b", "c", "d", "e"));
      assertThat(store.readPayloads(s, 2, 3)).isEqualTo(payloads(store.readStream(s, 2, 3)))
          .containsExactly(new ItemAdded("b", 1), new ItemAdded("c", 1), new ItemAdded("d", 1));
      assertThat(store.readPayloads(s, 4, 10)).containsExactly(new ItemAdded("d", 1), new ItemAdded("e", 1));
      assertThat(store.readPayloads(s, 6, 10)).isEmpty();
      assertThat(store.readPayloads(stream(), 1, 10)).isEmpty();
      assertThatThrownBy(() -> store.readPayloads(s, 0, 10))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("was 0");
      assertThatThrownBy(() -> store.readPayloads(s, 1, 0))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("limit");
    }

    @Test
    void a_missing_stream_reads_empty_and_has_version_zero() {
      StreamId s = stream();
      assertThat(store.readStream(s, 1, 10)).isEmpty();
      assertThat(store.readStreamBackward(s, EventStore.END, 10)).isEmpty();
      assertThat(store.streamVersion(s)).isZero();
    }

    @Test
    void streams_do_not_mix() {
      StreamId s1 = stream();
      StreamId s2 = stream();
      store.append(s1, ExpectedVersion.noStream(), added("a"));
      store.append(s2, ExpectedVersion.noStream(), added("b"));
      store.append(s1, ExpectedVersion.exactly(1), added("c"));
      assertThat(payloads(store.readStream(s1)))
          .containsExactly(new ItemAdded("a", 1), new ItemAdded("c", 1));
    }

    @Test
    void invalid_arguments_are_refused_with_the_value_named() {
      StreamId s = stream();
      assertThatThrownBy(() -> store.readStream(s, 0, 10))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("was 0");
      assertThatThrownBy(() -> store.readStream(s, 1, 0))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("limit");
      assertThatThrownBy(() -> store.readStreamBackward(s, -5, 1))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-5");
    }
  }

  @Nested
  class Reading_the_log {

    @Test
    void from_a_position_in_position_order_with_a_limit() {
      StreamId s1 = stream();
      StreamId s2 = stream();
      store.append(s1, ExpectedVersion.noStream(), added("a", "b"));
      store.append(s2, ExpectedVersion.noStream(), added("c"));
      store.append(s1, ExpectedVersion.exactly(2), added("d"));
      List<RecordedEvent> all = store.readAll(0, 100);
      assertThat(all).extracting(e -> ((ItemAdded) e.payload()).name()).containsExactly("a", "b", "c", "d");
      assertThat(all).extracting(RecordedEvent::position).isSorted().doesNotHaveDuplicates();
      assertThat(store.headPosition()).isEqualTo(all.get(3).position());

      List<RecordedEvent> tail = store.readAll(all.get(1).position(), 1);
      assertThat(tail).hasSize(1);
      assertThat(tail.get(0).eventId()).isEqualTo(all.get(2).eventId());
      assertThat(store.readAll(store.headPosition(), 10)).isEmpty();
    }

    @Test
    void an_event_by_its_id_wherever_it_is() {
      StreamId s1 = stream();
      store.append(s1, ExpectedVersion.noStream(), added("a", "b"));
      RecordedEvent second = store.readStream(s1).get(1);
      RecordedEvent found = store.readEvent(second.eventId()).orElseThrow();
      assertThat(found.streamId()).isEqualTo(s1);
      assertThat(found.version()).isEqualTo(2);
      assertThat(found.position()).isEqualTo(second.position());
      assertThat(((ItemAdded) found.payload()).name()).isEqualTo("b");
      assertThat(store.readEvent(UUID.randomUUID())).isEmpty();
    }

    @Test
    void by_category() {
      StreamId cart = stream();
      StreamId order = StreamId.of("order", UUID.randomUUID().toString());
      store.append(cart, ExpectedVersion.noStream(), added("a"));
      store.append(order, ExpectedVersion.noStream(), added("b"));
      store.append(cart, ExpectedVersion.exactly(1), added("c"));
      List<RecordedEvent> orders = store.readAll(0, 100, LogFilter.categories("order"));
      assertThat(orders).extracting(RecordedEvent::streamId).containsExactly(order);
      assertThat(store.readAll(0, 100, LogFilter.categories("cart"))).hasSize(2);
    }

    @Test
    void by_event_type() {
      StreamId s = stream();
      store.append(s, ExpectedVersion.noStream(), List.of(added("a"),
          NewEvent.of(new ItemRemoved("a")), added("b")));
      List<RecordedEvent> removed = store.readAll(0, 100, LogFilter.types("ItemRemoved"));
      assertThat(payloads(removed)).containsExactly(new ItemRemoved("a"));
      assertThat(store.readAll(0, 100, LogFilter.categories("cart").withTypes("ItemAdded"))).hasSize(2);
    }

    @Test
    void an_empty_log_has_head_zero() {
      assertThat(store.headPosition()).isZero();
      assertThat(store.readAll(0, 10)).isEmpty();
    }

    @Test
    void invalid_arguments_are_refused() {
      assertThatThrownBy(() -> store.readAll(-1, 10))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-1");
      assertThatThrownBy(() -> store.readAll(0, -3))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-3");
    }
  }

  @Nested
  class Bad_input {

    @Test
    void an_empty_batch_is_refused() {
      StreamId s = stream();
      assertThatThrownBy(() -> store.append(s, ExpectedVersion.any(), List.of()))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(s.toString());
    }

    @Test
    void a_batch_repeating_an_event_id_is_refused_and_writes_nothing() {
      StreamId s = stream();
      NewEvent a = added("a");
      assertThatThrownBy(() -> store.append(s, ExpectedVersion.any(), List.of(a, a)))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(a.eventId().toString());
      assertThat(store.streamVersion(s)).isZero();
    }

    @Test
    void a_null_payload_cannot_be_built() {
      assertThatThrownBy(() -> NewEvent.of(null)).isInstanceOf(NullPointerException.class)
          .hasMessageContaining("payload");
    }

    @Test
    void an_unregistered_event_class_is_refused_and_named() {
      record NotRegistered(String x) {}
      StreamId s = stream();
      assertThatThrownBy(() -> store.append(s, ExpectedVersion.any(), NewEvent.of(new NotRegistered("x"))))
          .isInstanceOf(EventSerializationException.class).hasMessageContaining("NotRegistered");
      assertThat(store.streamVersion(s)).isZero();
    }

    @Test
    void an_oversized_event_is_refused_with_the_limit_named_and_nothing_written() {
      StreamId s = stream();
      String big = "x".repeat(1024 * 1024 + 1);
      EventTooLargeException e = catchThrowableOfType(EventTooLargeException.class,
          () -> store.append(s, ExpectedVersion.any(), List.of(added("ok"),
              NewEvent.of(new ItemAdded(big, 1)))));
      assertThat(e).isNotNull();
      assertThat(e.limit()).isLessThanOrEqualTo(1024 * 1024);
      assertThat(e.size()).isGreaterThan(e.limit());
      assertThat(e.getMessage()).contains(String.valueOf(e.limit())).contains("ItemAdded");
      assertThat(store.streamVersion(s)).isZero();
    }

    @Test
    void invalid_stream_ids_cannot_be_built() {
      assertThatThrownBy(() -> StreamId.of("bad category", "1"))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bad category");
      assertThatThrownBy(() -> StreamId.of("cart", "has space"))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("has space");
      assertThatThrownBy(() -> StreamId.of("cart", "x".repeat(StreamId.MAX_ID_LENGTH + 1)))
          .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void an_unknown_type_on_read_names_the_type_stream_and_position() {
      StreamId s = stream();
      store.append(s, ExpectedVersion.noStream(), List.of(added("a"), NewEvent.of(new Mystery("?"))));
      EventStore reader = reopen(store, ContractEvents.registry());
      UnknownEventTypeException e = catchThrowableOfType(UnknownEventTypeException.class,
          () -> reader.readStream(s));
      assertThat(e).isNotNull();
      assertThat(e.type()).isEqualTo("Mystery");
      assertThat(e.streamId()).isEqualTo(s);
      assertThat(e.position()).isEqualTo(store.readStream(s).get(1).position());
      assertThat(e.getMessage()).contains("Mystery").contains(s.toString());
      assertThat(reader.readStream(s, 1, 1)).as("events before it still read").hasSize(1);
    }
  }

  @Nested
  class Concurrency {

    @Test
    void many_writers_on_one_stream_lose_and_duplicate_nothing() throws Exception {
      StreamId s = stream();
      int threads = 8;
      int attemptsPerThread = 40;
      AtomicInteger successes = new AtomicInteger();
      AtomicInteger conflicts = new AtomicInteger();
      Set<UUID> written = ConcurrentHashMap.newKeySet();
      List<Throwable> unexpected = Collections.synchronizedList(new ArrayList<>());
      CountDownLatch start = new CountDownLatch(1);
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          int thread = t;
          futures.add(pool.submit(() -> {
            start.await();
            for (int i = 0; i < attemptsPerThread; i++) {
              long version = store.streamVersion(s);
              NewEvent e = added("t" + thread + "-" + i);
              try {
                store.append(s, ExpectedVersion.exactly(version), e);
                successes.incrementAndGet();
                written.add(e.eventId());
              } catch (ConcurrencyConflictException c) {
                conflicts.incrementAndGet();
              } catch (Throwable other) {
                unexpected.add(other);
              }
            }
            return null;
          }));
        }
        start.countDown();
        for (Future<?> f : futures) {
          f.get(120, TimeUnit.SECONDS);
        }
      } finally {
        pool.shutdownNow();
      }
      assertThat(unexpected).as("errors other than conflicts").isEmpty();
      List<RecordedEvent> events = store.readStream(s);
      assertThat(events).hasSize(successes.get());
      assertThat(successes.get() + conflicts.get()).isEqualTo(threads * attemptsPerThread);
      assertThat(events).extracting(RecordedEvent::version)
          .containsExactlyElementsOf(IntStream.rangeClosed(1, successes.get()).mapToObj(i -> (long) i).toList());
      assertThat(events).extracting(RecordedEvent::eventId).containsExactlyInAnyOrderElementsOf(written);
      assertThat(store.streamVersion(s)).isEqualTo(successes.get());
    }
  }
}
