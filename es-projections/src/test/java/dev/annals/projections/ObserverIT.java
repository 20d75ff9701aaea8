package dev.annals.projections;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.annals.postgres.LogCursor;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.postgres.StoredEvent;
import dev.annals.testkit.Await;
import dev.annals.testkit.PostgresTestDatabase;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** What a runner's observer hears of each batch, and that it cannot harm the partition. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ObserverIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  PostgresEventStore store;
  final List<ProjectionObserver.Observation> seen = new CopyOnWriteArrayList<>();

  @BeforeEach
  void newStore() {
    store = Bank.store(db, db.newSchema(), 3, "observer");
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  Projector counting(String name) {
    return Projector.builder(name).batchSize(4).onFailure(FailurePolicy.CONTINUE)
        .retries(1, Duration.ofMillis(1), Duration.ofMillis(1))
        .handler((event, ctx) -> {
          if (event.payload() instanceof Bank.Frozen) {
            throw new IllegalStateException("frozen");
          }
        }).build();
  }

  @Test
  void each_batch_is_reported_with_its_events_and_how_many_were_handled() {
    for (int i = 1; i <= 9; i++) {
      Bank.deposit(store, Bank.account(i % 2), i);
    }
    store.append(Bank.account(5), dev.annals.core.ExpectedVersion.any(),
        dev.annals.core.NewEvent.of(new Bank.Frozen("court order")));
    awaitReadable(store, 10);
    try (ProjectionRunner runner = Bank.runner(store, "n", counting("ledger")).observer(seen::add).build()) {
      assertThat(runner.catchUp("ledger")).isEqualTo(10);
    }
    List<ProjectionObserver.Batch> batches = seen.stream().map(o -> (ProjectionObserver.Batch) o).toList();
    assertThat(batches).extracting(ProjectionObserver.Batch::projector).containsOnly("ledger");
    assertThat(batches).extracting(b -> b.events().size()).as("batches of at most 4").containsExactly(4, 4, 2);
    assertThat(batches).extracting(ProjectionObserver.Batch::handled)
        .as("the parked event counts as handled: the checkpoint moved past it").containsExactly(4, 4, 2);
    assertThat(batches.stream().flatMap(b -> b.events().stream()).map(StoredEvent::position).toList())
        .isSorted().hasSize(10);
    assertThat(batches).allMatch(b -> !b.took().isNegative() && b.partition() == 0 && b.version() == 1);
  }

  @Test
  void a_failing_observer_is_ignored_and_the_partition_goes_on() {
    for (int i = 1; i <= 6; i++) {
      Bank.deposit(store, Bank.account(i), i);
    }
    awaitReadable(store, 6);
    ProjectionObserver broken = o -> {
      throw new IllegalStateException("observer broke");
    };
    try (ProjectionRunner runner = Bank.runner(store, "n", counting("ledger"))
        .observer(broken.andThen(seen::add)).build()) {
      runner.start();
      Await.until("6 events processed", Duration.ofMinutes(3),
          () -> runner.status("ledger").get(0).work().processedEvents() == 6);
      assertThat(seen).as("the observer after the broken one still hears every batch").isNotEmpty();
      assertThat(runner.projectorNames()).containsExactly("ledger");
    }
  }

  /**
   * Waits until the gap-safe reader sees all {@code n} events of this test's log: an open
   * transaction anywhere in the shared cluster (another build's test) holds readers back.
   */
  static void awaitReadable(PostgresEventStore store, int n) {
    Await.until(n + " events readable", Duration.ofMinutes(3),
        () -> store.logReader().read(LogCursor.START, n + 1).events().size() == n);
  }

  @Test
  void a_second_observer_is_refused() {
    assertThatThrownBy(() -> ProjectionRunner.builder(store).observer(seen::add).observer(seen::add))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("andThen");
  }
}
