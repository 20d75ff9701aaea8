package dev.annals.projections;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.annals.postgres.PostgresEventStore;
import dev.annals.postgres.StoredEvent;
import dev.annals.testkit.Await;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A runner's batch scope: around the handlers, on their thread, and unable to harm the partition. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class BatchScopeIT {

  @RegisterExtension
  static final dev.annals.testkit.PostgresTestDatabase db = dev.annals.testkit.PostgresTestDatabase.create();

  /** What the scope makes current, as a tracing span would be. */
  static final ThreadLocal<String> CURRENT = new ThreadLocal<>();

  PostgresEventStore store;
  /** What the handlers saw as current, by event position. */
  final List<String> seenByHandlers = new CopyOnWriteArrayList<>();
  final List<BatchScope.Start> opened = new CopyOnWriteArrayList<>();
  final List<BatchScope.End> closed = new CopyOnWriteArrayList<>();
  final List<String> order = new CopyOnWriteArrayList<>();
  final List<String> warnings = new CopyOnWriteArrayList<>();
  final Handler warningsHandler = new Handler() {
    @Override
    public void publish(LogRecord r) {
      if (r.getLevel().intValue() >= java.util.logging.Level.WARNING.intValue()) {
        warnings.add(r.getMessage());
      }
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };

  @BeforeEach
  void newStore() {
    store = Bank.store(db, db.newSchema(), 3, "batch-scope");
    Logger.getLogger("dev.annals.projections").addHandler(warningsHandler);
  }

  @AfterEach
  void closeStore() {
    Logger.getLogger("dev.annals.projections").removeHandler(warningsHandler);
    store.close();
  }

  /** Sets {@link #CURRENT} to the batch's first position while it runs, as a span's scope would. */
  BatchScope recording(String name) {
    return batch -> {
      opened.add(batch);
      order.add("open " + name);
      String before = CURRENT.get();
      CURRENT.set(name + "@" + batch.events().get(0).position());
      return end -> {
        CURRENT.set(before);
        closed.add(end);
        order.add("close " + name);
      };
    };
  }

  Projector seeing(String name) {
    return Projector.builder(name).batchSize(4).onFailure(FailurePolicy.CONTINUE)
        .retries(1, Duration.ofMillis(1), Duration.ofMillis(1))
        .handler((event, ctx) -> {
          seenByHandlers.add(CURRENT.get());
          if (event.payload() instanceof Bank.Frozen) {
            throw new IllegalStateException("frozen");
          }
        }).build();
  }

  @Test
  void the_scope_is_current_while_each_batch_is_handled_and_hears_how_it_ended() {
    for (int i = 1; i <= 9; i++) {
      Bank.deposit(store, Bank.account(i % 2), i);
    }
    store.append(Bank.account(5), dev.annals.core.ExpectedVersion.any(),
        dev.annals.core.NewEvent.of(new Bank.Frozen("court order")));
    ObserverIT.awaitReadable(store, 10);
    try (ProjectionRunner runner = Bank.runner(store, "n", seeing("ledger")).batchScope(recording("scope"))
        .observer(o -> order.add("observed")).build()) {
      assertThat(runner.catchUp("ledger")).isEqualTo(10);
    }
    assertThat(opened).extracting(b -> b.events().size()).as("batches of at most 4").containsExactly(4, 4, 2);
    assertThat(opened).allMatch(b -> b.projector().equals("ledger") && b.version() == 1 && b.partition() == 0);
    List<String> expected = opened.stream().flatMap(b -> b.events().stream()
        .map(e -> "scope@" + b.events().get(0).position())).toList();
    // The frozen event is handled twice (its try, then its retry), inside its batch's scope.
    assertThat(seenByHandlers).as("each handler ran inside its batch's scope").containsAll(expected)
        .doesNotContainNull();
    assertThat(closed).extracting(BatchScope.End::handled).containsExactly(4, 4, 2);
    assertThat(closed).allMatch(e -> e.failure().isEmpty() && !e.took().isNegative());
    assertThat(order).as("closed before the observer hears of the batch")
        .containsExactly("open scope", "close scope", "observed", "open scope", "close scope", "observed",
            "open scope", "close scope", "observed");
    assertThat(CURRENT.get()).as("nothing left current on the calling thread").isNull();
  }

  @Test
  void a_started_partition_runs_its_handlers_inside_the_scope_on_its_own_thread() {
    for (int i = 1; i <= 3; i++) {
      Bank.deposit(store, Bank.account(i), i);
    }
    List<String> handlerThreads = new CopyOnWriteArrayList<>();
    List<String> scopeThreads = new CopyOnWriteArrayList<>();
    Projector p = Projector.builder("ledger").handler((event, ctx) -> {
      handlerThreads.add(Thread.currentThread().getName());
      seenByHandlers.add(CURRENT.get());
    }).build();
    BatchScope scope = recording("scope").andThen(batch -> {
      scopeThreads.add(Thread.currentThread().getName());
      return null;
    });
    try (ProjectionRunner runner = Bank.runner(store, "n", p).batchScope(scope).build()) {
      runner.start();
      Await.until("3 events processed", Duration.ofMinutes(3),
          () -> runner.status("ledger").get(0).work().processedEvents() == 3);
    }
    assertThat(handlerThreads).hasSize(3).allMatch(t -> t.startsWith("projector-ledger-"));
    assertThat(scopeThreads).isNotEmpty().allMatch(t -> t.startsWith("projector-ledger-"));
    assertThat(seenByHandlers).hasSize(3).allMatch(s -> s != null && s.startsWith("scope@"));
    assertThat(closed.stream().mapToInt(BatchScope.End::handled).sum()).as("however the events were batched")
        .isEqualTo(3);
  }

  @Test
  void a_batch_that_throws_closes_its_scope_with_the_failure() {
    Bank.deposit(store, Bank.account(1), 1);
    ObserverIT.awaitReadable(store, 1);
    Projector p = Projector.builder("ledger").handler((event, ctx) -> {
      throw new AssertionError("a handler's Error rolls the batch back and propagates");
    }).build();
    try (ProjectionRunner runner = Bank.runner(store, "n", p).batchScope(recording("scope")).build()) {
      assertThatThrownBy(() -> runner.catchUp("ledger")).isInstanceOf(AssertionError.class);
    }
    assertThat(closed).singleElement().satisfies(end -> {
      assertThat(end.handled()).isZero();
      assertThat(end.failure()).get().isInstanceOf(AssertionError.class);
    });
    assertThat(CURRENT.get()).isNull();
  }

  @Test
  void a_failing_scope_is_logged_each_time_and_the_partition_goes_on() {
    for (int i = 1; i <= 6; i++) {
      Bank.deposit(store, Bank.account(i), i);
    }
    ObserverIT.awaitReadable(store, 6);
    BatchScope failsToOpen = batch -> {
      throw new IllegalStateException("scope broke");
    };
    BatchScope failsToClose = batch -> end -> {
      throw new IllegalStateException("scope broke on close");
    };
    Projector p = Projector.builder("ledger").batchSize(2).handler((event, ctx) -> seenByHandlers.add(CURRENT.get()))
        .build();
    try (ProjectionRunner runner = Bank.runner(store, "n", p)
        .batchScope(failsToOpen.andThen(recording("inner")).andThen(failsToClose)).build()) {
      assertThat(runner.catchUp("ledger")).isEqualTo(6);
    }
    assertThat(seenByHandlers).as("the scope after the broken one still runs around every batch")
        .hasSize(6).allMatch(s -> s != null && s.startsWith("inner@"));
    assertThat(closed).extracting(BatchScope.End::handled).containsExactly(2, 2, 2);
    assertThat(warnings.stream().filter(w -> w.contains("batch scope failed to open"))).hasSize(3);
    assertThat(warnings.stream().filter(w -> w.contains("batch scope failed to close"))).hasSize(3);
    assertThat(CURRENT.get()).isNull();
  }

  @Test
  void a_second_scope_is_refused() {
    assertThatThrownBy(() -> ProjectionRunner.builder(store).batchScope(recording("a")).batchScope(recording("b")))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("andThen");
  }

  @Test
  void a_batch_start_copies_its_events_and_an_end_needs_a_failure_or_none() {
    assertThat(new BatchScope.Start("p", 1, 0, new java.util.ArrayList<StoredEvent>()).events())
        .isUnmodifiable();
    assertThat(new BatchScope.End(0, Duration.ZERO, Optional.empty()).failure()).isEmpty();
    assertThatThrownBy(() -> new BatchScope.End(0, Duration.ZERO, null)).isInstanceOf(NullPointerException.class);
  }
}
