package dev.annals.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.annals.core.TestAccount.Command;
import dev.annals.core.TestAccount.Deposit;
import dev.annals.core.TestAccount.Deposited;
import dev.annals.core.TestAccount.Event;
import dev.annals.core.TestAccount.Open;
import dev.annals.core.TestAccount.Opened;
import dev.annals.core.TestAccount.Refused;
import dev.annals.core.TestAccount.State;
import dev.annals.core.TestAccount.Withdraw;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class AggregateRepositoryTest {

  /**
   * A real in-memory store with a hook run before each append, to let "another node" write in
   * between a load and an append, and a count of stream reads.
   */
  static final class InterferingStore implements EventStore {
    final InMemoryEventStore delegate;
    final AtomicInteger streamReads = new AtomicInteger();
    Runnable beforeAppend = () -> {};
    int interferences;

    InterferingStore(InMemoryEventStore delegate) {
      this.delegate = delegate;
    }

    @Override
    public EventRegistry registry() {
      return delegate.registry();
    }

    @Override
    public AppendResult append(StreamId streamId, ExpectedVersion expected, List<NewEvent> events) {
      if (interferences > 0) {
        interferences--;
        beforeAppend.run();
      }
      return delegate.append(streamId, expected, events);
    }

    @Override
    public List<RecordedEvent> readStream(StreamId streamId, long fromVersion, int limit) {
      streamReads.incrementAndGet();
      return delegate.readStream(streamId, fromVersion, limit);
    }

    @Override
    public List<RecordedEvent> readStreamBackward(StreamId streamId, long fromVersion, int limit) {
      return delegate.readStreamBackward(streamId, fromVersion, limit);
    }

    @Override
    public java.util.Optional<RecordedEvent> readEvent(java.util.UUID eventId) {
      return delegate.readEvent(eventId);
    }

    @Override
    public List<RecordedEvent> readAll(long afterPosition, int limit, LogFilter filter) {
      return delegate.readAll(afterPosition, limit, filter);
    }

    @Override
    public long headPosition() {
      return delegate.headPosition();
    }

    @Override
    public long streamVersion(StreamId streamId) {
      return delegate.streamVersion(streamId);
    }
  }

  InterferingStore store;
  InMemorySnapshotStore snapshots;
  AggregateRepository<Command, State, Event> repo;
  final StreamId acc = StreamId.of("account", "a1");

  @BeforeEach
  void setUp() {
    store = new InterferingStore(InMemoryEventStore.create(TestAccount.REGISTRY));
    snapshots = InMemorySnapshotStore.create();
    repo = AggregateRepository.builder(TestAccount.type(3), store)
        .snapshotStore(snapshots)
        .snapshotExecutor(Runnable::run)
        .build();
  }

  private void writeBehindTheRepositorysBack(Object event) {
    store.delegate.append(acc, ExpectedVersion.any(), NewEvent.of(event));
  }

  @Test
  void a_command_appends_its_events_and_returns_the_new_state() {
    repo.handle("a1", new Open("ann"));
    CommandResult<State, Event> r = repo.handle("a1", new Deposit(10));
    assertThat(r.events()).containsExactly(new Deposited(10));
    assertThat(r.state()).isEqualTo(new State(true, 10));
    assertThat(r.version()).isEqualTo(2);
    assertThat(r.attempts()).isEqualTo(1);
    assertThat(store.readStream(acc)).extracting(RecordedEvent::payload)
        .containsExactly(new Opened("ann"), new Deposited(10));
  }

  @Test
  void a_domain_error_is_thrown_and_nothing_is_written() {
    repo.handle("a1", new Open("ann"));
    assertThatThrownBy(() -> repo.handle("a1", new Withdraw(5)))
        .isInstanceOf(Refused.class).hasMessageContaining("insufficient funds");
    assertThat(store.streamVersion(acc)).isEqualTo(1);
  }

  @Test
  void a_command_that_changes_nothing_writes_nothing() {
    repo.handle("a1", new Open("ann"));
    CommandResult<State, Event> again = repo.handle("a1", new Open("ann"));
    assertThat(again.events()).isEmpty();
    assertThat(again.version()).isEqualTo(1);
    assertThat(store.headPosition()).isEqualTo(1);
  }

  @Nested
  class Conflicts {

    @Test
    void a_concurrent_write_is_met_by_reloading_and_deciding_again() {
      repo.handle("a1", new Open("ann"));
      repo.handle("a1", new Deposit(10));
      store.interferences = 1;
      store.beforeAppend = () -> writeBehindTheRepositorysBack(new TestAccount.Withdrawn(10));
      // The decision made on balance 10 conflicts; on retry the balance is 0 and withdrawing 5 is refused.
      assertThatThrownBy(() -> repo.handle("a1", new Withdraw(5))).isInstanceOf(Refused.class);
      CommandResult<State, Event> r = repo.handle("a1", new Deposit(7));
      assertThat(r.state()).isEqualTo(new State(true, 7));
    }

    @Test
    void retries_count_attempts_and_succeed_on_fresh_state() {
      repo.handle("a1", new Open("ann"));
      store.interferences = 2;
      store.beforeAppend = () -> writeBehindTheRepositorysBack(new Deposited(1));
      CommandResult<State, Event> r = repo.handle("a1", new Deposit(10));
      assertThat(r.attempts()).isEqualTo(3);
      assertThat(r.state()).isEqualTo(new State(true, 12));
      assertThat(r.version()).isEqualTo(4);
    }

    @Test
    void exhausted_retries_throw_the_conflict_with_stream_and_versions() {
      AggregateRepository<Command, State, Event> twoTries = AggregateRepository
          .builder(TestAccount.type(3), store).maxAttempts(2).build();
      twoTries.handle("a1", new Open("ann"));
      store.interferences = 2;
      store.beforeAppend = () -> writeBehindTheRepositorysBack(new Deposited(1));
      ConcurrencyConflictException e = catchThrowableOfType(ConcurrencyConflictException.class,
          () -> twoTries.handle("a1", new Deposit(10)));
      assertThat(e).isNotNull();
      assertThat(e.streamId()).isEqualTo(acc);
      assertThat(e.expected()).isEqualTo(ExpectedVersion.exactly(2));
      assertThat(e.actualVersion()).isEqualTo(3);
      assertThat(store.streamVersion(acc)).isEqualTo(3);
    }
  }

  @Nested
  class Cache {

    @Test
    void a_cached_state_saves_reading_the_stream() {
      repo.handle("a1", new Open("ann"));
      repo.handle("a1", new Deposit(1));
      int reads = store.streamReads.get();
      repo.handle("a1", new Deposit(1));
      repo.load("a1");
      assertThat(store.streamReads.get()).isEqualTo(reads);
    }

    @Test
    void a_stale_cached_state_is_only_a_hint() {
      repo.handle("a1", new Open("ann"));
      writeBehindTheRepositorysBack(new Deposited(100));
      assertThat(repo.load("a1").state().balance()).as("cached, stale").isZero();
      CommandResult<State, Event> r = repo.handle("a1", new Deposit(1));
      assertThat(r.state()).as("conflict, reloaded").isEqualTo(new State(true, 101));
      assertThat(r.attempts()).isEqualTo(2);
    }

    @Test
    void a_stale_cached_state_never_refuses_a_command() {
      repo.handle("a1", new Open("ann"));
      writeBehindTheRepositorysBack(new Deposited(100));
      assertThat(repo.load("a1").state().balance()).as("cached, stale").isZero();
      CommandResult<State, Event> r = repo.handle("a1", new Withdraw(60));
      assertThat(r.state()).isEqualTo(new State(true, 40));
      assertThat(r.version()).isEqualTo(3);
    }

    @Test
    void without_a_cache_every_command_reads_the_stream() {
      AggregateRepository<Command, State, Event> uncached = AggregateRepository
          .builder(TestAccount.type(3), store).cacheSize(0).build();
      uncached.handle("a1", new Open("ann"));
      int reads = store.streamReads.get();
      uncached.handle("a1", new Deposit(1));
      assertThat(store.streamReads.get()).isGreaterThan(reads);
    }
  }

  @Nested
  class Observer {

    final List<RepositoryObserver.Observation> seen = new java.util.concurrent.CopyOnWriteArrayList<>();

    AggregateRepository<Command, State, Event> observed(RepositoryObserver observer) {
      return AggregateRepository.builder(TestAccount.type(3), store).snapshotStore(snapshots)
          .snapshotExecutor(Runnable::run).observer(observer).build();
    }

    @Test
    void hears_appends_loads_and_snapshots_with_what_they_did() {
      AggregateRepository<Command, State, Event> r = observed(seen::add);
      r.handle("a1", new Open("ann"));
      r.handle("a1", new Deposit(1));
      r.handle("a1", new Deposit(2));
      assertThat(seen).filteredOn(o -> o instanceof RepositoryObserver.Loaded).singleElement()
          .as("the first command loads an empty stream; later ones use the cache")
          .isEqualTo(new RepositoryObserver.Loaded("account", acc, 0, false, 0,
              ((RepositoryObserver.Loaded) seen.get(0)).took()));
      assertThat(seen).filteredOn(o -> o instanceof RepositoryObserver.Appended)
          .extracting(o -> ((RepositoryObserver.Appended) o).result().lastVersion()).containsExactly(1L, 2L, 3L);
      assertThat(seen).filteredOn(o -> o instanceof RepositoryObserver.SnapshotWritten)
          .containsExactly(new RepositoryObserver.SnapshotWritten("account", acc, 3));
      assertThat(seen).allMatch(o -> o.aggregateType().equals("account"));

      seen.clear();
      writeBehindTheRepositorysBack(new Deposited(5));
      r.evict("a1");
      r.load("a1");
      RepositoryObserver.Loaded load = (RepositoryObserver.Loaded) seen.get(0);
      assertThat(load.fromSnapshot()).as("snapshot at 3").isTrue();
      assertThat(load.version()).isEqualTo(4);
      assertThat(load.eventsReplayed()).isEqualTo(1);
      assertThat(load.took().isNegative()).isFalse();
    }

    @Test
    void hears_each_conflict_before_the_retry_that_wins() {
      AggregateRepository<Command, State, Event> r = observed(seen::add);
      r.handle("a1", new Open("ann"));
      store.interferences = 2;
      store.beforeAppend = () -> writeBehindTheRepositorysBack(new Deposited(1));
      r.handle("a1", new Deposit(10));
      assertThat(seen).filteredOn(o -> o instanceof RepositoryObserver.Conflicted)
          .extracting(o -> ((RepositoryObserver.Conflicted) o).streamId()).containsExactly(acc, acc);
      assertThat(seen.get(seen.size() - 1)).isInstanceOf(RepositoryObserver.Appended.class);
    }

    @Test
    void a_failing_observer_does_not_fail_the_command_nor_silence_the_next_one() {
      RepositoryObserver broken = o -> {
        throw new IllegalStateException("observer broke");
      };
      AggregateRepository<Command, State, Event> r = observed(broken.andThen(seen::add));
      assertThat(r.handle("a1", new Open("ann")).version()).isEqualTo(1);
      assertThat(seen).hasAtLeastOneElementOfType(RepositoryObserver.Appended.class);
    }

    @Test
    void observers_combine_and_a_second_one_is_refused() {
      List<RepositoryObserver.Observation> other = new java.util.ArrayList<>();
      observed(((RepositoryObserver) seen::add).andThen(other::add)).handle("a1", new Open("ann"));
      assertThat(other).isEqualTo(seen).isNotEmpty();
      assertThatThrownBy(() -> AggregateRepository.builder(TestAccount.type(3), store).observer(seen::add)
          .observer(seen::add)).isInstanceOf(IllegalStateException.class).hasMessageContaining("andThen");
    }
  }

  @Nested
  class Snapshots {

    @Test
    void a_snapshot_is_taken_each_time_the_version_passes_a_multiple_of_the_interval() {
      repo.handle("a1", new Open("ann"));
      repo.handle("a1", new Deposit(1));
      assertThat(snapshots.latest(acc)).isEmpty();
      repo.handle("a1", new Deposit(2));
      Snapshot s = snapshots.latest(acc).orElseThrow();
      assertThat(s.version()).isEqualTo(3);
      assertThat(s.schemaVersion()).isEqualTo(1);
      assertThat(TestAccount.REGISTRY.fromJson(s.state(), State.class)).isEqualTo(new State(true, 3));
      for (int i = 0; i < 4; i++) {
        repo.handle("a1", new Deposit(1));
      }
      assertThat(snapshots.latest(acc).orElseThrow().version()).isEqualTo(6);
    }

    @Test
    void loading_starts_from_the_snapshot() {
      for (int i = 0; i < 3; i++) {
        store.delegate.append(acc, ExpectedVersion.any(), NewEvent.of(i == 0 ? new Opened("x") : new Deposited(1)));
      }
      // A snapshot that disagrees with the events proves the load used it.
      snapshots.save(new Snapshot(acc, 3, 1, TestAccount.REGISTRY.toJson(new State(true, 500)), Instant.now()));
      writeBehindTheRepositorysBack(new Deposited(5));
      assertThat(repo.load("a1")).isEqualTo(new AggregateState<>(acc, new State(true, 505), 4));
    }

    @Test
    void a_snapshot_of_another_schema_version_falls_back_to_full_replay() {
      repo.handle("a1", new Open("ann"));
      repo.handle("a1", new Deposit(2));
      snapshots.save(new Snapshot(acc, 2, 99, TestAccount.REGISTRY.toJson(new State(true, 500)), Instant.now()));
      repo.evict("a1");
      assertThat(repo.load("a1").state()).isEqualTo(new State(true, 2));
    }

    @Test
    void a_snapshot_that_does_not_decode_falls_back_to_full_replay() {
      repo.handle("a1", new Open("ann"));
      repo.handle("a1", new Deposit(2));
      snapshots.save(new Snapshot(acc, 2, 1, "{\"nonsense\": true}", Instant.now()));
      repo.evict("a1");
      assertThat(repo.load("a1").state()).isEqualTo(new State(true, 2));
    }

    @Test
    void a_snapshot_its_store_refuses_falls_back_to_full_replay() {
      repo.handle("a1", new Open("ann"));
      repo.handle("a1", new Deposit(2));
      SnapshotStore refusing = new SnapshotStore() {
        @Override
        public void save(Snapshot snapshot) {
          snapshots.save(snapshot);
        }

        @Override
        public java.util.Optional<Snapshot> latest(StreamId streamId) {
          throw new SnapshotRejectedException(streamId, 2, "its signature does not match");
        }

        @Override
        public java.util.Optional<Snapshot> latestAtOrBefore(StreamId streamId, long maxVersion) {
          throw new SnapshotRejectedException(streamId, 2, "its signature does not match");
        }
      };
      try (AggregateRepository<Command, State, Event> r = AggregateRepository.builder(TestAccount.type(3), store)
          .snapshotStore(refusing).build()) {
        assertThat(r.load("a1")).isEqualTo(new AggregateState<>(acc, new State(true, 2), 2));
        assertThat(r.loadAsOf("a1", AsOf.version(1)).state()).isEqualTo(new State(true, 0));
      }
    }

    @Test
    void snapshots_are_written_off_the_command_thread_by_default() throws Exception {
      try (AggregateRepository<Command, State, Event> background = AggregateRepository
          .builder(TestAccount.type(1), store).snapshotStore(snapshots).build()) {
        Thread caller = Thread.currentThread();
        AtomicInteger writtenOnCaller = new AtomicInteger();
        SnapshotStore watching = new SnapshotStore() {
          @Override
          public void save(Snapshot snapshot) {
            if (Thread.currentThread() == caller) {
              writtenOnCaller.incrementAndGet();
            }
            snapshots.save(snapshot);
          }

          @Override
          public java.util.Optional<Snapshot> latest(StreamId streamId) {
            return snapshots.latest(streamId);
          }

          @Override
          public java.util.Optional<Snapshot> latestAtOrBefore(StreamId streamId, long maxVersion) {
            return snapshots.latestAtOrBefore(streamId, maxVersion);
          }
        };
        try (AggregateRepository<Command, State, Event> r = AggregateRepository
            .builder(TestAccount.type(1), store).snapshotStore(watching).build()) {
          r.handle("a1", new Open("ann"));
          r.handle("a1", new Deposit(4));
        }
        assertThat(writtenOnCaller.get()).isZero();
        assertThat(snapshots.latest(acc).orElseThrow().version()).isEqualTo(2);
        assertThat(background.load("a1").state()).isEqualTo(new State(true, 4));
      }
    }

    @Test
    void snapshot_settings_are_checked() {
      assertThatThrownBy(() -> AggregateType.builder("account", Event.class, TestAccount.DECIDER)
          .snapshotEvery(10).build())
          .hasMessageContaining("snapshots(StateClass.class");
      AggregateType<Command, State, Event> noSnapshots =
          AggregateType.builder("account", Event.class, TestAccount.DECIDER).build();
      assertThatThrownBy(() -> AggregateRepository.builder(noSnapshots, store).snapshotStore(snapshots).build())
          .hasMessageContaining("no snapshot state class");
    }
  }

  @Nested
  class Temporal_loading {

    @Test
    void as_of_a_version_ignores_later_events_and_later_snapshots() {
      repo.handle("a1", new Open("ann"));
      for (int i = 1; i <= 7; i++) {
        repo.handle("a1", new Deposit(i));
      }
      assertThat(snapshots.latest(acc).orElseThrow().version()).isEqualTo(6);
      assertThat(repo.loadAsOf("a1", AsOf.version(4)))
          .isEqualTo(new AggregateState<>(acc, new State(true, 1 + 2 + 3), 4));
      assertThat(repo.loadAsOf("a1", AsOf.version(0)).state()).isEqualTo(State.NONE);
      assertThat(repo.loadAsOf("a1", AsOf.version(100)).version()).isEqualTo(8);
    }

    @Test
    void as_of_a_time_uses_recorded_at() {
      MutableClock clock = new MutableClock(Instant.parse("2025-01-01T00:00:00Z"));
      InMemoryEventStore timed = InMemoryEventStore.builder(TestAccount.REGISTRY).clock(clock).build();
      AggregateRepository<Command, State, Event> r = AggregateRepository.builder(TestAccount.type(3), timed).build();
      r.handle("a1", new Open("ann"));
      clock.now = Instant.parse("2025-01-02T00:00:00Z");
      r.handle("a1", new Deposit(10));
      clock.now = Instant.parse("2025-01-03T00:00:00Z");
      r.handle("a1", new Deposit(20));

      AggregateHistory<State> h = r.history("a1", AsOf.time(Instant.parse("2025-01-02T12:00:00Z")));
      assertThat(h.state().state()).isEqualTo(new State(true, 10));
      assertThat(h.state().version()).isEqualTo(2);
      assertThat(h.events()).extracting(RecordedEvent::payload).containsExactly(new Opened("ann"), new Deposited(10));
      assertThat(r.loadAsOf("a1", AsOf.time(Instant.parse("2024-12-31T00:00:00Z"))).version()).isZero();
    }

    @Test
    void as_of_a_log_position_takes_the_stream_events_at_or_before_it() {
      repo.handle("a1", new Open("ann"));
      repo.handle("a1", new Deposit(5));
      writeOther("a2");
      repo.handle("a1", new Deposit(6));
      long secondDeposit = store.readStream(acc).get(2).position();

      assertThat(repo.loadAsOf("a1", AsOf.position(secondDeposit - 1)).state()).isEqualTo(new State(true, 5));
      AggregateHistory<State> h = repo.history("a1", AsOf.position(secondDeposit));
      assertThat(h.state().state()).isEqualTo(new State(true, 11));
      assertThat(h.events()).extracting(RecordedEvent::version).containsExactly(1L, 2L, 3L);
      assertThat(repo.loadAsOf("a1", AsOf.position(0)).version()).isZero();
      assertThatThrownBy(() -> AsOf.position(-1)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("was -1");
    }

    private void writeOther(String id) {
      store.delegate.append(StreamId.of("account", id), ExpectedVersion.any(), NewEvent.of(new Opened("bob")));
    }

    @Test
    void a_snapshot_on_demand_is_taken_at_the_current_version() {
      AggregateRepository<Command, State, Event> rare = AggregateRepository.builder(TestAccount.type(1000), store)
          .snapshotStore(snapshots).build();
      rare.handle("a1", new Open("ann"));
      rare.handle("a1", new Deposit(7));
      assertThat(snapshots.latest(acc)).isEmpty();

      assertThat(rare.snapshot("a1")).isEqualTo(2);
      assertThat(snapshots.latest(acc).orElseThrow().version()).isEqualTo(2);
      assertThat(rare.snapshot("nobody")).isZero();
      try (AggregateRepository<Command, State, Event> without = AggregateRepository.builder(TestAccount.type(1000), store).build()) {
        assertThatThrownBy(() -> without.snapshot("a1")).isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("no snapshot store");
      }
    }

    @Test
    void history_as_of_a_version_returns_the_events_that_led_there() {
      repo.handle("a1", new Open("ann"));
      repo.handle("a1", new Deposit(5));
      repo.handle("a1", new Deposit(6));
      AggregateHistory<State> h = repo.history("a1", AsOf.version(2));
      assertThat(h.state().state()).isEqualTo(new State(true, 5));
      assertThat(h.events()).extracting(RecordedEvent::version).containsExactly(1L, 2L);
    }
  }

  @Nested
  class Metadata_and_idempotency {

    @Test
    void the_command_id_becomes_the_causation_id_and_correlation_flows_through() {
      CommandContext ctx = CommandContext.of("cmd-7").withCorrelationId("req-1").withActor("teller-3")
          .with("channel", "web");
      repo.handle("a1", new Open("ann"), ctx);
      Metadata m = store.readStream(acc).get(0).metadata();
      assertThat(m.causationId()).isEqualTo("cmd-7");
      assertThat(m.correlationId()).isEqualTo("req-1");
      assertThat(m.actor()).isEqualTo("teller-3");
      assertThat(m.extra()).containsEntry("channel", "web");
      assertThat(m.occurredAt()).isNotNull();
    }

    @Test
    void a_new_chain_is_correlated_by_its_command_id() {
      repo.handle("a1", new Open("ann"), CommandContext.of("cmd-1"));
      assertThat(store.readStream(acc).get(0).metadata().correlationId()).isEqualTo("cmd-1");
    }

    @Test
    void the_same_command_id_twice_has_one_effect() {
      repo.handle("a1", new Open("ann"));
      CommandResult<State, Event> first = repo.handle("a1", new Deposit(10), CommandContext.of("dep-1"));
      CommandResult<State, Event> second = repo.handle("a1", new Deposit(10), CommandContext.of("dep-1"));
      assertThat(store.streamVersion(acc)).isEqualTo(2);
      assertThat(second.events()).isEqualTo(first.events());
      assertThat(second.state()).isEqualTo(new State(true, 10));
      assertThat(second.version()).isEqualTo(2);
      assertThat(first.replayed()).isFalse();
      assertThat(second.replayed()).isTrue();
    }

    @Test
    void an_expected_version_is_checked_once_and_never_retried() {
      repo.handle("a1", new Open("ann"));
      CommandResult<State, Event> ok = repo.handle("a1", new Deposit(10), CommandContext.of("d1"), ExpectedVersion.exactly(1));
      assertThat(ok.version()).isEqualTo(2);
      ConcurrencyConflictException stale = catchThrowableOfType(ConcurrencyConflictException.class,
          () -> repo.handle("a1", new Deposit(10), CommandContext.of("d2"), ExpectedVersion.exactly(1)));
      assertThat(stale.actualVersion()).isEqualTo(2);
      assertThat(store.streamVersion(acc)).isEqualTo(2);
      // A resend of the command that succeeded reports its outcome, though the version moved on.
      assertThat(repo.handle("a1", new Deposit(10), CommandContext.of("d1"), ExpectedVersion.exactly(1)).replayed()).isTrue();

      // Another writer between the load and the append: a conflict, not a retry on the new state.
      store.interferences = 1;
      store.beforeAppend = () -> writeBehindTheRepositorysBack(new TestAccount.Deposited(1));
      assertThatThrownBy(() -> repo.handle("a1", new Deposit(5), CommandContext.of("d3"), ExpectedVersion.exactly(2)))
          .isInstanceOf(ConcurrencyConflictException.class);
      assertThat(store.streamVersion(acc)).isEqualTo(3);
      assertThatThrownBy(() -> repo.handle("a1", new Deposit(5), CommandContext.of("d4"), ExpectedVersion.exactly(-2)))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("was -2");
    }

    @Test
    void a_resend_that_its_own_effect_would_refuse_still_reports_the_first_outcome() {
      repo.handle("a1", new Open("ann"));
      repo.handle("a1", new Deposit(10));
      CommandResult<State, Event> first = repo.handle("a1", new Withdraw(10), CommandContext.of("wd-1"));
      // The balance is 0 now, so deciding the withdrawal again would refuse it.
      CommandResult<State, Event> again = repo.handle("a1", new Withdraw(10), CommandContext.of("wd-1"));
      assertThat(again.replayed()).isTrue();
      assertThat(again.events()).isEqualTo(first.events());
      assertThat(store.streamVersion(acc)).isEqualTo(3);
      assertThatThrownBy(() -> repo.handle("a1", new Withdraw(10), CommandContext.of("wd-2")))
          .isInstanceOf(DomainException.class);
    }
  }

  static final class MutableClock extends Clock {
    Instant now;

    MutableClock(Instant now) {
      this.now = now;
    }

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }
}
