package dev.annals.projections;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.annals.core.ExpectedVersion;
import dev.annals.core.LogFilter;
import dev.annals.core.NewEvent;
import dev.annals.core.RecordedEvent;
import dev.annals.core.StreamId;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.testkit.PostgresTestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Side effects handled a batch at a time, and targets that are down for a while. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class BatchSideEffectsIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  static final StreamId A1 = Bank.account(1);
  static final StreamId A2 = Bank.account(2);

  PostgresEventStore store;

  @BeforeEach
  void newStore() {
    store = Bank.store(db, db.newSchema(), 4, "batch");
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  UUID append(StreamId stream, Object payload) {
    NewEvent e = NewEvent.of(payload);
    store.append(stream, ExpectedVersion.any(), e);
    return e.eventId();
  }

  @Test
  void a_batch_handler_gets_whole_batches_in_log_order() {
    for (int i = 1; i <= 25; i++) {
      append(i % 2 == 0 ? A1 : A2, new Bank.Deposited(i));
    }
    List<List<UUID>> calls = new CopyOnWriteArrayList<>();
    Projector sender = Projector.sideEffects("sender").batchSize(10)
        .batchHandler(events -> calls.add(events.stream().map(RecordedEvent::eventId).toList()))
        .build();
    try (ProjectionRunner runner = Bank.runner(store, "a", sender).build()) {
      assertThat(runner.catchUp("sender")).isEqualTo(25);
      assertThat(calls).extracting(List::size).containsExactly(10, 10, 5);
      assertThat(calls.stream().flatMap(List::stream).toList())
          .isEqualTo(Bank.accountEventIds(store));
      assertThat(runner.status("sender").get(0).isCaughtUp()).isTrue();
    }
  }

  @Test
  void an_unavailable_target_is_waited_for_without_parking_or_skipping_anything() {
    for (int i = 1; i <= 5; i++) {
      append(A1, new Bank.Deposited(i));
    }
    AtomicBoolean down = new AtomicBoolean(true);
    AtomicInteger refusals = new AtomicInteger();
    List<UUID> delivered = new CopyOnWriteArrayList<>();
    Projector sender = Projector.sideEffects("sender")
        .retries(2, Duration.ofMillis(1), Duration.ofMillis(5))
        .batchHandler(events -> {
          if (down.get()) {
            refusals.incrementAndGet();
            throw new TargetUnavailableException("broker at 127.0.0.1:1 refused the connection", null);
          }
          events.forEach(e -> delivered.add(e.eventId()));
        })
        .build();
    try (ProjectionRunner runner = Bank.runner(store, "a", sender).build()) {
      runner.start();
      Bank.await("ten refusals, far more than the 2 tries an event gets", Duration.ofSeconds(30),
          () -> refusals.get() >= 10);
      ProjectionStatus during = runner.status("sender").get(0);
      assertThat(during.position().cursor().position()).as("checkpoint while the target is down").isZero();
      assertThat(during.health().lastError()).get().extracting(ProjectionStatus.LastError::message).asString()
          .contains("target unavailable", "refused the connection");
      assertThat(during.health().state()).isNotEqualTo(ProjectorState.FAILED);
      assertThat(delivered).isEmpty();

      down.set(false);
      assertThat(runner.awaitCaughtUp("sender", Duration.ofSeconds(30))).isTrue();
      assertThat(delivered).isEqualTo(Bank.accountEventIds(store));
      assertThat(runner.deadLetters("sender")).isEmpty();
    }
  }

  @Test
  void a_failing_batch_is_retried_one_event_at_a_time_so_only_the_poison_event_is_parked() {
    UUID first = append(A1, new Bank.Deposited(1));
    UUID poison = append(A2, new Bank.Frozen("no"));
    UUID behindPoison = append(A2, new Bank.Deposited(2));
    UUID last = append(A1, new Bank.Deposited(3));
    List<List<UUID>> calls = new CopyOnWriteArrayList<>();
    Projector sender = Projector.sideEffects("sender")
        .onFailure(FailurePolicy.CONTINUE)
        .retries(2, Duration.ofMillis(1), Duration.ofMillis(2))
        .batchHandler(events -> {
          calls.add(events.stream().map(RecordedEvent::eventId).toList());
          if (events.stream().anyMatch(e -> e.payload() instanceof Bank.Frozen)) {
            throw new IllegalArgumentException("cannot send a frozen account");
          }
        })
        .build();
    try (ProjectionRunner runner = Bank.runner(store, "a", sender).build()) {
      runner.catchUp("sender");
      List<UUID> succeeded = new ArrayList<>();
      calls.stream().filter(c -> c.size() == 1 && !c.contains(poison)).forEach(succeeded::addAll);
      assertThat(calls.get(0)).as("first the whole batch").containsExactly(first, poison, behindPoison, last);
      assertThat(succeeded).as("then one at a time").containsExactly(first, last);
      assertThat(calls.stream().filter(c -> c.equals(List.of(poison)))).as("tries of the poison event").hasSize(2);
      assertThat(runner.deadLetters("sender")).extracting(DeadLetter::eventId, DeadLetter::status)
          .containsExactly(org.assertj.core.groups.Tuple.tuple(poison, DeadLetter.Status.PARKED),
              org.assertj.core.groups.Tuple.tuple(behindPoison, DeadLetter.Status.BLOCKED));
    }
  }

  @Test
  void handler_and_batch_handler_exclude_each_other() {
    assertThatThrownBy(() -> Projector.sideEffects("sender").handler((e, c) -> {}).batchHandler(e -> {}))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("projector sender already has a handler(...); set either handler(...) or batchHandler(...)");
    assertThatThrownBy(() -> Projector.sideEffects("sender").batchHandler(e -> {}).handler((e, c) -> {}))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("projector sender already has a batchHandler(...); set either handler(...) or batchHandler(...)");
  }
}
