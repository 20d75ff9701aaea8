package dev.annals.testkit.docs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.annals.core.AggregateHistory;
import dev.annals.core.AggregateRepository;
import dev.annals.core.AggregateState;
import dev.annals.core.AnnalsException;
import dev.annals.core.AppendResult;
import dev.annals.core.AsOf;
import dev.annals.core.CommandContext;
import dev.annals.core.CommandResult;
import dev.annals.core.ConcurrencyConflictException;
import dev.annals.core.DomainException;
import dev.annals.core.DuplicateEventIdException;
import dev.annals.core.ExpectedVersion;
import dev.annals.core.InMemoryEventStore;
import dev.annals.core.InMemorySnapshotStore;
import dev.annals.core.Metadata;
import dev.annals.core.NewEvent;
import dev.annals.core.RecordedEvent;
import dev.annals.core.Snapshot;
import dev.annals.core.StoreUnavailableException;
import dev.annals.core.StreamId;
import dev.annals.core.TransactionOrderConflictException;
import dev.annals.testkit.docs.Wallet.Balance;
import dev.annals.testkit.docs.Wallet.Deposit;
import dev.annals.testkit.docs.Wallet.Deposited;
import dev.annals.testkit.docs.Wallet.Withdraw;
import dev.annals.testkit.docs.Wallet.WalletCommand;
import dev.annals.testkit.docs.Wallet.WalletEvent;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The examples in docs/concepts.md, in the order the page shows them. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ConceptsExamplesTest {

  final InMemoryEventStore store = InMemoryEventStore.create(Wallet.REGISTRY);
  final StreamId stream = StreamId.of("wallet", "w-42");

  @Test
  void stream_ids_are_a_category_and_an_id() {
    // tag::stream-ids[]
    StreamId stream = StreamId.of("wallet", "w-42");
    assertThat(stream).hasToString("wallet-w-42");
    assertThat(StreamId.parse("wallet-w-42")).isEqualTo(stream);
    assertThat(Wallet.TYPE.streamId("w-42")).isEqualTo(stream);

    assertThatThrownBy(() -> StreamId.of("wallet", "has space"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("invalid id 'has space' in stream category 'wallet'");
    // end::stream-ids[]
  }

  @Test
  void events_travel_in_envelopes() {
    // tag::envelopes[]
    Metadata metadata = Metadata.empty()
        .withCorrelationId("checkout-7")
        .withCausationId("cmd-1")
        .withActor("alice")
        .with("tenant", "acme");
    NewEvent deposited = NewEvent.of(new Deposited(500), metadata);
    store.append(stream, ExpectedVersion.noStream(), deposited);

    RecordedEvent recorded = store.readStream(stream).get(0);
    assertThat(recorded.eventId()).isEqualTo(deposited.eventId());
    assertThat(recorded.version()).isEqualTo(1);
    assertThat(recorded.position()).isEqualTo(store.headPosition());
    assertThat(recorded.type()).isEqualTo("Deposited");
    assertThat(recorded.payload(Deposited.class).cents()).isEqualTo(500);
    assertThat(recorded.metadata().actor()).isEqualTo("alice");
    assertThat(recorded.metadata().extra()).containsEntry("tenant", "acme");
    // end::envelopes[]
  }

  @Test
  void a_stale_expected_version_writes_nothing() {
    // tag::expected-version[]
    store.append(stream, ExpectedVersion.noStream(), NewEvent.of(new Deposited(100)));

    ConcurrencyConflictException conflict = catchThrowableOfType(ConcurrencyConflictException.class,
        () -> store.append(stream, ExpectedVersion.exactly(0), NewEvent.of(new Deposited(200))));
    assertThat(conflict.streamId()).isEqualTo(stream);
    assertThat(conflict.expected()).isEqualTo(ExpectedVersion.exactly(0));
    assertThat(conflict.actualVersion()).isEqualTo(1);
    assertThat(conflict.isRetryable()).isTrue();
    assertThat(store.streamVersion(stream)).as("nothing was written").isEqualTo(1);
    // end::expected-version[]
  }

  @Test
  void resending_an_append_is_harmless() {
    // tag::idempotent-append[]
    List<NewEvent> batch = List.of(NewEvent.of(new Deposited(100)), NewEvent.of(new Deposited(200)));
    AppendResult first = store.append(stream, ExpectedVersion.noStream(), batch);

    // The reply was lost on the way back; the writer sends the same batch again.
    AppendResult resent = store.append(stream, ExpectedVersion.noStream(), batch);
    assertThat(resent).isEqualTo(first);
    assertThat(store.streamVersion(stream)).isEqualTo(2);

    // The same ids in another batch are a mistake, not a retry.
    NewEvent reused = batch.get(0);
    assertThatThrownBy(() -> store.append(stream, ExpectedVersion.any(),
        List.of(reused, NewEvent.of(new Deposited(300)))))
        .isInstanceOf(DuplicateEventIdException.class);
    // end::idempotent-append[]
  }

  @Nested
  class The_repository {

    @Test
    void handles_a_command_with_its_context() {
      // tag::repository[]
      try (AggregateRepository<WalletCommand, Balance, WalletEvent> wallets =
          AggregateRepository.builder(Wallet.TYPE, store)
              .snapshotStore(InMemorySnapshotStore.create())
              .build()) {
        CommandContext context = CommandContext.of("cmd-1").withActor("alice").withCorrelationId("checkout-7");
        CommandResult<Balance, WalletEvent> result = wallets.handle("w-42", new Deposit(500), context);
        assertThat(result.events()).containsExactly(new Deposited(500));
        assertThat(result.state()).isEqualTo(new Balance(500));
        assertThat(result.version()).isEqualTo(1);

        // The same command id again: its events are stored already, nothing new is written.
        assertThat(wallets.handle("w-42", new Deposit(500), context).version()).isEqualTo(1);

        Metadata metadata = store.readStream(stream).get(0).metadata();
        assertThat(metadata.causationId()).isEqualTo("cmd-1");
        assertThat(metadata.correlationId()).isEqualTo("checkout-7");
        assertThat(metadata.actor()).isEqualTo("alice");
      }
      // end::repository[]
    }

    @Test
    void retries_after_a_conflict_with_another_node() {
      try (AggregateRepository<WalletCommand, Balance, WalletEvent> wallets =
          AggregateRepository.builder(Wallet.TYPE, store).build();
          AggregateRepository<WalletCommand, Balance, WalletEvent> otherNode =
              AggregateRepository.builder(Wallet.TYPE, store).build()) {
        // tag::conflict-retry[]
        wallets.handle("w-42", new Deposit(500));     // this node caches the wallet at version 1
        otherNode.handle("w-42", new Withdraw(400));  // version 2, which this node's cache has not seen

        CommandResult<Balance, WalletEvent> result = wallets.handle("w-42", new Withdraw(100));
        assertThat(result.attempts()).as("stale cache, conflict, reload, decide again").isEqualTo(2);
        assertThat(result.state()).isEqualTo(new Balance(0));
        assertThat(result.version()).isEqualTo(3);
        // end::conflict-retry[]
      }
    }

    @Test
    void refuses_only_on_a_fresh_state() {
      try (AggregateRepository<WalletCommand, Balance, WalletEvent> wallets =
          AggregateRepository.builder(Wallet.TYPE, store).build();
          AggregateRepository<WalletCommand, Balance, WalletEvent> otherNode =
              AggregateRepository.builder(Wallet.TYPE, store).build()) {
        wallets.handle("w-42", new Deposit(100));
        otherNode.handle("w-42", new Deposit(900));
        // The cached balance of 100 would refuse this; the stored balance of 1000 accepts it.
        assertThat(wallets.handle("w-42", new Withdraw(700)).state()).isEqualTo(new Balance(300));
      }
    }

    @Test
    void writes_snapshots_beside_the_command_path() {
      // tag::snapshots[]
      InMemorySnapshotStore snapshots = InMemorySnapshotStore.create();
      try (AggregateRepository<WalletCommand, Balance, WalletEvent> wallets =
          AggregateRepository.builder(Wallet.TYPE, store)
              .snapshotStore(snapshots)
              .snapshotExecutor(Runnable::run)   // synchronously, so this example can look at once
              .build()) {
        for (int i = 0; i < 250; i++) {
          wallets.handle("w-42", new Deposit(1));
        }
      }
      assertThat(snapshots.latest(stream)).map(Snapshot::version).contains(200L);
      assertThat(snapshots.latestAtOrBefore(stream, 199)).map(Snapshot::version).contains(100L);
      // end::snapshots[]
    }

    @Test
    void loads_earlier_states_for_auditors() {
      InMemoryEventStore store = InMemoryEventStore.builder(Wallet.REGISTRY)
          .clock(new TickingClock(Instant.parse("2024-03-01T09:00:00Z"), Duration.ofMinutes(1)))
          .build();
      try (AggregateRepository<WalletCommand, Balance, WalletEvent> wallets =
          AggregateRepository.builder(Wallet.TYPE, store).build()) {
        // tag::temporal[]
        wallets.handle("w-42", new Deposit(500));     // recorded at 09:00
        wallets.handle("w-42", new Deposit(200));     // recorded at 09:01
        wallets.handle("w-42", new Withdraw(600));    // recorded at 09:02

        AggregateState<Balance> afterTwo = wallets.loadAsOf("w-42", AsOf.version(2));
        assertThat(afterTwo.state()).isEqualTo(new Balance(700));

        AggregateHistory<Balance> at0901 =
            wallets.history("w-42", AsOf.time(Instant.parse("2024-03-01T09:01:30Z")));
        assertThat(at0901.state()).isEqualTo(afterTwo);
        assertThat(at0901.events()).extracting(RecordedEvent::payload)
            .containsExactly(new Deposited(500), new Deposited(200));
        // end::temporal[]
      }
    }
  }

  // tag::errors[]
  static int httpStatus(AnnalsException e) {
    if (e instanceof DomainException) {
      return 422;   // the command broke a rule: sending it again will not help
    }
    if (e instanceof ConcurrencyConflictException) {
      return 409;   // still contended after the repository's own retries
    }
    return e.isRetryable() ? 503 : 500;
  }
  // end::errors[]

  @Test
  void errors_say_whether_a_retry_can_help() {
    assertThat(httpStatus(new Wallet.InsufficientFunds(5, 1))).isEqualTo(422);
    assertThat(httpStatus(new ConcurrencyConflictException(stream, ExpectedVersion.exactly(1), 2)))
        .isEqualTo(409);
    assertThat(httpStatus(new StoreUnavailableException("connection refused", null))).isEqualTo(503);
    assertThat(httpStatus(new TransactionOrderConflictException(stream))).isEqualTo(503);
    assertThat(httpStatus(new DuplicateEventIdException(stream, List.of(), "test"))).isEqualTo(500);
  }

  /** A clock that moves on by {@code step} each time it is read. */
  static final class TickingClock extends Clock {
    private final Instant start;
    private final Duration step;
    private final AtomicLong reads = new AtomicLong();

    TickingClock(Instant start, Duration step) {
      this.start = start;
      this.step = step;
    }

    @Override
    public Instant instant() {
      return start.plus(step.multipliedBy(reads.getAndIncrement()));
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      throw new UnsupportedOperationException("not needed by the examples");
    }
  }
}
