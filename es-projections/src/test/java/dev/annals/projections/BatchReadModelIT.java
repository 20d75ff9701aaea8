package dev.annals.projections;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.annals.core.RecordedEvent;
import dev.annals.core.StreamId;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.testkit.PostgresTestDatabase;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jdbi.v3.core.statement.PreparedBatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Read models written a batch at a time, exactly once, with a poison event found and parked. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class BatchReadModelIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  static final StreamId A1 = Bank.account(1);
  static final StreamId A2 = Bank.account(2);

  PostgresEventStore store;

  @BeforeEach
  void newStore() {
    store = Bank.store(db, db.newSchema(), 4, "batchrm");
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  /** Balances written with one JDBC batch per projector batch; cents 13 is poison. */
  static Projector ledger(List<Integer> calls, FailurePolicy policy) {
    return Projector.builder("ledger")
        .tables("ledger")
        .batchSize(10)
        .onFailure(policy)
        .retries(2, Duration.ofMillis(1), Duration.ofMillis(2))
        .setup(t -> t.handle().execute("CREATE TABLE " + t.table("ledger")
            + " (event_id uuid PRIMARY KEY, account text NOT NULL, cents bigint NOT NULL)"))
        .batchHandler((events, t) -> {
          calls.add(events.size());
          PreparedBatch batch = t.handle().prepareBatch("INSERT INTO " + t.table("ledger") + " VALUES (?, ?, ?)");
          for (RecordedEvent e : events) {
            long cents = ((Bank.Deposited) e.payload()).cents();
            if (cents == 13) {
              throw new IllegalArgumentException("13 cents is not accepted here");
            }
            batch.add(e.eventId(), e.streamId().id(), cents);
          }
          batch.execute();
        })
        .build();
  }

  long rows() {
    return store.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM " + store.schema() + ".ledger")
        .mapTo(Long.class).one());
  }

  @Test
  void whole_batches_are_written_once_each_in_the_checkpoints_transaction() {
    for (int i = 1; i <= 25; i++) {
      Bank.deposit(store, i % 2 == 0 ? A1 : A2, 100 + i);
    }
    List<Integer> calls = new CopyOnWriteArrayList<>();
    try (ProjectionRunner runner = Bank.runner(store, "a", ledger(calls, FailurePolicy.CONTINUE)).build()) {
      assertThat(runner.catchUp("ledger")).isEqualTo(25);
      assertThat(calls).containsExactly(10, 10, 5);
      assertThat(rows()).isEqualTo(25);
      // Caught up: nothing is handled twice when it runs again.
      assertThat(runner.catchUp("ledger")).isZero();
      assertThat(rows()).isEqualTo(25);
    }
  }

  @Test
  void a_failing_batch_is_tried_one_event_at_a_time_and_only_the_poison_event_is_parked() {
    for (int i = 1; i <= 20; i++) {
      Bank.deposit(store, i < 15 ? A1 : A2, i);
    }
    List<Integer> calls = new CopyOnWriteArrayList<>();
    try (ProjectionRunner runner = Bank.runner(store, "a", ledger(calls, FailurePolicy.CONTINUE)).build()) {
      runner.catchUp("ledger");
      List<DeadLetter> parked = runner.deadLetters("ledger");
      // The poison event, then A1's later event blocked behind it; A2 goes on.
      assertThat(parked).extracting(DeadLetter::status)
          .containsExactly(DeadLetter.Status.PARKED, DeadLetter.Status.BLOCKED);
      assertThat(parked.get(0).error()).contains("13 cents is not accepted here");
      assertThat(rows()).as("every event but the poison one and the one blocked behind it").isEqualTo(18);
      assertThat(calls).contains(10).contains(1);
    }
  }

  @Test
  void the_batch_read_ahead_is_dropped_when_the_batch_before_it_fails_so_nothing_is_skipped() {
    for (int i = 1; i <= 35; i++) {
      Bank.deposit(store, i % 2 == 0 ? A1 : A2, 100 + i);
    }
    List<Long> handled = new CopyOnWriteArrayList<>();
    AtomicBoolean failedOnce = new AtomicBoolean();
    // While the second batch is handled the third is already being read. The second fails as a
    // lost connection does, so the runner goes back to the stored checkpoint: the batch read
    // ahead starts after the failed one and must not be used.
    Projector flaky = Projector.builder("ledger")
        .tables("ledger")
        .batchSize(10)
        .setup(t -> t.handle().execute("CREATE TABLE " + t.table("ledger")
            + " (event_id uuid PRIMARY KEY, position bigint NOT NULL)"))
        .batchHandler((events, t) -> {
          if (!handled.isEmpty() && failedOnce.compareAndSet(false, true)) {
            throw new SQLTransientConnectionException("the connection was lost", "08006");
          }
          PreparedBatch batch = t.handle().prepareBatch("INSERT INTO " + t.table("ledger") + " VALUES (?, ?)");
          for (RecordedEvent e : events) {
            batch.add(e.eventId(), e.position());
          }
          batch.execute();
          t.handle().afterCommit(() -> events.forEach(e -> handled.add(e.position())));
        })
        .build();
    try (ProjectionRunner runner = Bank.runner(store, "a", flaky).build()) {
      runner.start();
      assertThat(runner.awaitCaughtUp("ledger", Duration.ofSeconds(30))).isTrue();
      assertThat(failedOnce).isTrue();
      assertThat(runner.deadLetters("ledger")).isEmpty();
    }
    assertThat(rows()).isEqualTo(35);
    assertThat(handled).as("every event once, in log order").hasSize(35).isSorted().doesNotHaveDuplicates();
  }

  @Test
  void a_handler_and_a_batch_handler_exclude_each_other() {
    assertThatThrownBy(() -> Projector.builder("both").handler((e, c) -> {}).batchHandler((e, t) -> {}))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("either handler(...) or batchHandler(...)");
    assertThatThrownBy(() -> Projector.builder("both").batchHandler((e, t) -> {}).handler((e, c) -> {}))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("either handler(...) or batchHandler(...)");
    assertThatThrownBy(() -> Projector.builder("none").build())
        .hasMessageContaining("needs a handler(...) or a batchHandler(...)");
  }
}
