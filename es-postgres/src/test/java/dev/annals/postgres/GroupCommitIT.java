package dev.annals.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.annals.core.AppendResult;
import dev.annals.core.ConcurrencyConflictException;
import dev.annals.core.EventTooLargeException;
import dev.annals.core.ExpectedVersion;
import dev.annals.core.NewEvent;
import dev.annals.core.RecordedEvent;
import dev.annals.core.StoreUnavailableException;
import dev.annals.core.StreamId;
import dev.annals.testkit.Await;
import dev.annals.testkit.ContractEvents;
import dev.annals.testkit.ContractEvents.ItemAdded;
import dev.annals.testkit.PostgresTestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Group commit: appends gathered behind a group in flight are written together, each with its
 * own outcome. A test holds a stream row locked so that the first append stops inside its
 * statement; what arrives meanwhile queues, and is written as one group when the lock goes.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class GroupCommitIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  private static final Duration BOUND = Duration.ofSeconds(60);

  private final ExecutorService callers = Executors.newCachedThreadPool();

  @AfterEach
  void stopCallers() {
    callers.shutdownNow();
  }

  private PostgresEventStore store(String app, int maxEventSize) {
    return PostgresEventStore.builder(ContractEvents.registry())
        .jdbcUrl(db.jdbcUrl() + "&ApplicationName=" + app).poolSize(4).schema(db.schema())
        .installSchema(true).notifyInterval(Duration.ZERO).maxEventSize(maxEventSize)
        .groupCommit(GroupCommit.of(Duration.ZERO, 64, 1)).build();
  }

  private static GroupCommitter<?, ?> groups(PostgresEventStore store) {
    return store.groupCommitter().orElseThrow();
  }

  private <T> CompletableFuture<T> async(Supplier<T> call) {
    return CompletableFuture.supplyAsync(call, callers);
  }

  private static Throwable failureOf(CompletableFuture<?> f) throws Exception {
    try {
      f.get(BOUND.toSeconds(), TimeUnit.SECONDS);
      return null;
    } catch (ExecutionException e) {
      return e.getCause();
    }
  }

  /** Locks a stream's row in a transaction of its own, until the connection commits or closes. */
  private static Connection lockRow(StreamId stream) throws Exception {
    Connection c = db.connect();
    c.setAutoCommit(false);
    try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM " + db.schema()
        + ".streams WHERE stream_id = ? FOR UPDATE")) {
      ps.setString(1, stream.toString());
      try (ResultSet rs = ps.executeQuery()) {
        assertThat(rs.next()).as("stream row of " + stream).isTrue();
      }
    }
    return c;
  }

  /** The backend of {@code app} waiting on a lock in a statement that contains {@code sql}. */
  private static int blockedBackend(String app, String sql) throws Exception {
    int[] pid = new int[1];
    try (Connection c = db.connect();
        PreparedStatement ps = c.prepareStatement("SELECT pid FROM pg_stat_activity WHERE application_name = ? "
            + "AND wait_event_type = 'Lock' AND query LIKE ?")) {
      ps.setString(1, app);
      ps.setString(2, "%" + sql + "%");
      Await.until("a backend of " + app + " blocked in " + sql, BOUND, () -> {
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next()) {
            pid[0] = rs.getInt(1);
            return true;
          }
          return false;
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
    }
    return pid[0];
  }

  @Test
  void a_group_holding_a_conflict_a_duplicate_id_an_oversized_event_and_a_good_append_answers_each_on_its_own()
      throws Exception {
    String app = "annals-group-" + System.nanoTime();
    try (PostgresEventStore store = store(app, 200)) {
      StreamId blocked = StreamId.of("cart", "blocked");
      StreamId contested = StreamId.of("cart", "contested");
      StreamId replayed = StreamId.of("cart", "replayed");
      StreamId good = StreamId.of("cart", "good");
      StreamId big = StreamId.of("cart", "big");
      store.append(blocked, ExpectedVersion.noStream(), NewEvent.of(new ItemAdded("b", 1)));
      store.append(contested, ExpectedVersion.noStream(), List.of(NewEvent.of(new ItemAdded("c1", 1)),
          NewEvent.of(new ItemAdded("c2", 1)), NewEvent.of(new ItemAdded("c3", 1))));
      NewEvent original = NewEvent.of(new ItemAdded("r", 1));
      AppendResult first = store.append(replayed, ExpectedVersion.noStream(), original);
      store.append(good, ExpectedVersion.noStream(), NewEvent.of(new ItemAdded("g1", 1)));
      long[] before = groups(store).counts();

      CompletableFuture<AppendResult> leader;
      CompletableFuture<AppendResult> conflict;
      CompletableFuture<AppendResult> duplicate;
      CompletableFuture<AppendResult> written;
      CompletableFuture<AppendResult> oversized;
      try (Connection lock = lockRow(blocked)) {
        leader = async(() -> store.append(blocked, ExpectedVersion.exactly(1), NewEvent.of(new ItemAdded("b2", 1))));
        blockedBackend(app, "INSERT INTO");
        conflict = async(() -> store.append(contested, ExpectedVersion.exactly(1), NewEvent.of(new ItemAdded("late", 1))));
        duplicate = async(() -> store.append(replayed, ExpectedVersion.noStream(), original));
        written = async(() -> store.append(good, ExpectedVersion.exactly(1), NewEvent.of(new ItemAdded("g2", 1))));
        oversized = async(() -> store.append(big, ExpectedVersion.noStream(),
            NewEvent.of(new ItemAdded("x".repeat(500), 1))));
        Await.until("three appends queued behind the group in flight", BOUND, () -> groups(store).queued() == 3);
        lock.commit();
      }

      assertThat(leader.get(BOUND.toSeconds(), TimeUnit.SECONDS).lastVersion()).isEqualTo(2);
      assertThat(failureOf(conflict)).isInstanceOfSatisfying(ConcurrencyConflictException.class,
          e -> assertThat(e.actualVersion()).isEqualTo(3));
      assertThat(duplicate.get(BOUND.toSeconds(), TimeUnit.SECONDS)).as("the original append's result").isEqualTo(first);
      AppendResult goodResult = written.get(BOUND.toSeconds(), TimeUnit.SECONDS);
      assertThat(goodResult.firstVersion()).isEqualTo(2);
      assertThat(failureOf(oversized)).isInstanceOf(EventTooLargeException.class);

      long[] after = groups(store).counts();
      assertThat(after[0] - before[0]).as("groups: the leader's, then the three queued together").isEqualTo(2);
      assertThat(after[1] - before[1]).as("appends written in groups").isEqualTo(4);

      assertThat(store.readStream(contested)).hasSize(3);
      assertThat(store.readStream(replayed)).hasSize(1);
      assertThat(store.readStream(big)).isEmpty();
      List<RecordedEvent> goodEvents = store.readStream(good);
      assertThat(goodEvents).extracting(RecordedEvent::version).containsExactly(1L, 2L);
      assertThat(goodEvents.get(1).position()).isEqualTo(goodResult.firstPosition());
      assertThat(store.integrityVerifier().verify(IntegrityVerifier.Scope.all()).violations()).isEmpty();
    }
  }

  @Test
  void an_append_of_more_events_than_a_group_takes_is_written_alone_without_waiting_for_the_group_in_flight()
      throws Exception {
    String app = "annals-group-large-" + System.nanoTime();
    try (PostgresEventStore store = store(app, 1 << 20)) {
      StreamId blocked = StreamId.of("cart", "large-blocked");
      StreamId large = StreamId.of("cart", "large");
      StreamId small = StreamId.of("cart", "small");
      store.append(blocked, ExpectedVersion.noStream(), NewEvent.of(new ItemAdded("b", 1)));
      List<NewEvent> many = new ArrayList<>();
      for (int i = 0; i <= EventAppender.MAX_GROUPED_EVENTS; i++) {
        many.add(NewEvent.of(new ItemAdded("l" + i, 1)));
      }
      long[] before = groups(store).counts();
      try (Connection lock = lockRow(blocked)) {
        CompletableFuture<AppendResult> leader =
            async(() -> store.append(blocked, ExpectedVersion.exactly(1), NewEvent.of(new ItemAdded("b2", 1))));
        blockedBackend(app, "INSERT INTO");
        // The group in flight cannot finish while the row is locked: only an append that does not
        // queue behind it can be answered now.
        AppendResult written = async(() -> store.append(large, ExpectedVersion.noStream(), many))
            .get(BOUND.toSeconds(), TimeUnit.SECONDS);
        assertThat(written.lastVersion()).isEqualTo(many.size());
        CompletableFuture<AppendResult> queued = async(() -> store.append(small, ExpectedVersion.noStream(),
            many.subList(0, EventAppender.MAX_GROUPED_EVENTS).stream()
                .map(e -> NewEvent.of(new ItemAdded("s", 1))).toList()));
        Await.until("the small append queued behind the group", BOUND, () -> groups(store).queued() == 1);
        assertThat(queued).isNotDone();
        lock.commit();
        leader.get(BOUND.toSeconds(), TimeUnit.SECONDS);
        assertThat(queued.get(BOUND.toSeconds(), TimeUnit.SECONDS).lastVersion())
            .isEqualTo(EventAppender.MAX_GROUPED_EVENTS);
      }
      long[] after = groups(store).counts();
      assertThat(after[1] - before[1]).as("appends written in groups: the leader's and the small one").isEqualTo(2);
      assertThat(store.readStream(large)).hasSize(many.size());
      assertThat(store.integrityVerifier().verify(IntegrityVerifier.Scope.all()).violations()).isEmpty();
    }
  }

  @Test
  void appends_to_one_stream_in_one_group_apply_in_order_and_a_second_creator_conflicts() throws Exception {
    String app = "annals-group-order-" + System.nanoTime();
    try (PostgresEventStore store = store(app, 1 << 20)) {
      StreamId blocked = StreamId.of("cart", "blocked-order");
      StreamId shared = StreamId.of("cart", "shared");
      StreamId created = StreamId.of("cart", "created");
      store.append(blocked, ExpectedVersion.noStream(), NewEvent.of(new ItemAdded("b", 1)));
      List<CompletableFuture<AppendResult>> anys = new ArrayList<>();
      CompletableFuture<AppendResult> creator;
      CompletableFuture<AppendResult> secondCreator;
      CompletableFuture<AppendResult> leader;
      try (Connection lock = lockRow(blocked)) {
        leader = async(() -> store.append(blocked, ExpectedVersion.exactly(1), NewEvent.of(new ItemAdded("b2", 1))));
        blockedBackend(app, "INSERT INTO");
        for (int i = 0; i < 3; i++) {
          int n = i;
          anys.add(async(() -> store.append(shared, ExpectedVersion.any(),
              List.of(NewEvent.of(new ItemAdded("a" + n, 1)), NewEvent.of(new ItemAdded("b" + n, 1))))));
          int queued = i + 1;
          Await.until("append " + queued + " queued", BOUND, () -> groups(store).queued() == queued);
        }
        creator = async(() -> store.append(created, ExpectedVersion.noStream(), NewEvent.of(new ItemAdded("one", 1))));
        Await.until("creator queued", BOUND, () -> groups(store).queued() == 4);
        secondCreator = async(() -> store.append(created, ExpectedVersion.noStream(), NewEvent.of(new ItemAdded("two", 1))));
        Await.until("second creator queued", BOUND, () -> groups(store).queued() == 5);
        lock.commit();
      }
      leader.get(BOUND.toSeconds(), TimeUnit.SECONDS);
      for (int i = 0; i < 3; i++) {
        AppendResult r = anys.get(i).get(BOUND.toSeconds(), TimeUnit.SECONDS);
        assertThat(r.firstVersion()).as("append %d in order of arrival", i).isEqualTo(2L * i + 1);
        assertThat(r.lastVersion()).isEqualTo(2L * i + 2);
        assertThat(r.lastPosition()).isGreaterThan(r.firstPosition());
      }
      assertThat(creator.get(BOUND.toSeconds(), TimeUnit.SECONDS).lastVersion()).isEqualTo(1);
      assertThat(failureOf(secondCreator)).isInstanceOfSatisfying(ConcurrencyConflictException.class,
          e -> assertThat(e.actualVersion()).isEqualTo(1));
      List<RecordedEvent> events = store.readStream(shared);
      assertThat(events).extracting(e -> ((ItemAdded) e.payload()).name())
          .containsExactly("a0", "b0", "a1", "b1", "a2", "b2");
      assertThat(events).extracting(RecordedEvent::position).isSorted();
      assertThat(store.readStream(created)).extracting(e -> ((ItemAdded) e.payload()).name()).containsExactly("one");
      assertThat(store.integrityVerifier().verify(IntegrityVerifier.Scope.all()).violations()).isEmpty();
    }
  }

  @Test
  void a_connection_lost_while_a_group_is_written_leaves_every_caller_with_its_events_or_an_idempotent_retry()
      throws Exception {
    String app = "annals-group-loss-" + System.nanoTime();
    try (PostgresEventStore store = store(app, 1 << 20)) {
      StreamId first = StreamId.of("cart", "first");
      StreamId second = StreamId.of("cart", "second");
      store.append(first, ExpectedVersion.noStream(), NewEvent.of(new ItemAdded("f", 1)));
      store.append(second, ExpectedVersion.noStream(), NewEvent.of(new ItemAdded("s", 1)));
      Map<StreamId, NewEvent> sent = new java.util.LinkedHashMap<>();
      Map<StreamId, CompletableFuture<AppendResult>> calls = new java.util.LinkedHashMap<>();
      CompletableFuture<AppendResult> leader;
      try (Connection lockFirst = lockRow(first); Connection lockSecond = lockRow(second)) {
        leader = async(() -> store.append(first, ExpectedVersion.exactly(1), NewEvent.of(new ItemAdded("f2", 1))));
        blockedBackend(app, "INSERT INTO");
        for (int i = 0; i < 5; i++) {
          StreamId s = StreamId.of("cart", "new-" + i);
          NewEvent e = NewEvent.of(new ItemAdded("n" + i, 1));
          sent.put(s, e);
          calls.put(s, async(() -> store.append(s, ExpectedVersion.noStream(), e)));
        }
        NewEvent onSecond = NewEvent.of(new ItemAdded("s2", 1));
        sent.put(second, onSecond);
        calls.put(second, async(() -> store.append(second, ExpectedVersion.exactly(1), onSecond)));
        Await.until("six appends queued", BOUND, () -> groups(store).queued() == 6);
        lockFirst.commit();
        // The group of six now waits for the second stream's row inside append_group: cut it off there.
        int pid = blockedBackend(app, "append_group");
        try (Statement st = lockSecond.createStatement()) {
          st.execute("SELECT pg_terminate_backend(" + pid + ")");
        }
        lockSecond.rollback();
      }
      leader.get(BOUND.toSeconds(), TimeUnit.SECONDS);
      for (Map.Entry<StreamId, CompletableFuture<AppendResult>> call : calls.entrySet()) {
        StreamId s = call.getKey();
        Throwable failure = failureOf(call.getValue());
        long expectedBefore = s.equals(second) ? 1 : 0;
        if (failure != null) {
          assertThat(failure).as("an unknown outcome is retryable").isInstanceOf(StoreUnavailableException.class);
          // The retry with the same id is answered idempotently, whatever happened.
          store.append(s, ExpectedVersion.exactly(expectedBefore), sent.get(s));
        }
        List<RecordedEvent> events = store.readStream(s);
        assertThat(events).as("stream " + s).hasSize((int) expectedBefore + 1);
        assertThat(events.get(events.size() - 1).eventId()).isEqualTo(sent.get(s).eventId());
        // A retry after success is answered with the stored result, never written twice.
        AppendResult again = store.append(s, ExpectedVersion.exactly(expectedBefore), sent.get(s));
        assertThat(again.lastVersion()).isEqualTo(expectedBefore + 1);
        assertThat(store.readStream(s)).hasSize((int) expectedBefore + 1);
      }
      assertThat(store.integrityVerifier().verify(IntegrityVerifier.Scope.all()).violations()).isEmpty();
    }
  }

  @Test
  void a_group_of_single_events_at_exact_versions_answers_conflicts_and_replays_alone_and_survives_a_lost_connection()
      throws Exception {
    String app = "annals-group-singles-" + System.nanoTime();
    try (PostgresEventStore store = store(app, 1 << 20)) {
      StreamId blocked = StreamId.of("cart", "singles-blocked");
      StreamId contested = StreamId.of("cart", "singles-contested");
      StreamId replayed = StreamId.of("cart", "singles-replayed");
      StreamId held = StreamId.of("cart", "singles-held");
      List<StreamId> plain = new ArrayList<>();
      for (StreamId s : List.of(blocked, contested, replayed, held)) {
        store.append(s, ExpectedVersion.noStream(), NewEvent.of(new ItemAdded("first", 1)));
      }
      for (int i = 0; i < 4; i++) {
        plain.add(StreamId.of("cart", "singles-" + i));
        store.append(plain.get(i), ExpectedVersion.noStream(), NewEvent.of(new ItemAdded("first", 1)));
      }
      store.append(contested, ExpectedVersion.exactly(1), NewEvent.of(new ItemAdded("second", 1)));
      NewEvent original = NewEvent.of(new ItemAdded("r2", 1));
      AppendResult first = store.append(replayed, ExpectedVersion.exactly(1), original);

      // One group of single events at exact versions: a conflict, a replay and good appends.
      CompletableFuture<AppendResult> conflict;
      CompletableFuture<AppendResult> duplicate;
      List<CompletableFuture<AppendResult>> good = new ArrayList<>();
      try (Connection lock = lockRow(blocked)) {
        CompletableFuture<AppendResult> leader =
            async(() -> store.append(blocked, ExpectedVersion.exactly(1), NewEvent.of(new ItemAdded("b2", 1))));
        blockedBackend(app, "INSERT INTO");
        conflict = async(() -> store.append(contested, ExpectedVersion.exactly(1), NewEvent.of(new ItemAdded("late", 1))));
        duplicate = async(() -> store.append(replayed, ExpectedVersion.exactly(1), original));
        for (int i = 0; i < 2; i++) {
          StreamId s = plain.get(i);
          good.add(async(() -> store.append(s, ExpectedVersion.exactly(1), NewEvent.of(new ItemAdded("g", 1)))));
        }
        Await.until("four appends queued", BOUND, () -> groups(store).queued() == 4);
        lock.commit();
        leader.get(BOUND.toSeconds(), TimeUnit.SECONDS);
      }
      assertThat(failureOf(conflict)).isInstanceOfSatisfying(ConcurrencyConflictException.class,
          e -> assertThat(e.actualVersion()).isEqualTo(2));
      assertThat(duplicate.get(BOUND.toSeconds(), TimeUnit.SECONDS)).isEqualTo(first);
      for (CompletableFuture<AppendResult> g : good) {
        assertThat(g.get(BOUND.toSeconds(), TimeUnit.SECONDS).lastVersion()).isEqualTo(2);
      }
      assertThat(store.readStream(replayed)).hasSize(2);
      assertThat(store.readStream(contested)).hasSize(2);

      // The same kind of group, cut off while it waits for a row inside its statement.
      Map<StreamId, NewEvent> sent = new java.util.LinkedHashMap<>();
      Map<StreamId, CompletableFuture<AppendResult>> calls = new java.util.LinkedHashMap<>();
      try (Connection lockFirst = lockRow(blocked); Connection lockSecond = lockRow(held)) {
        CompletableFuture<AppendResult> leader =
            async(() -> store.append(blocked, ExpectedVersion.exactly(2), NewEvent.of(new ItemAdded("b3", 1))));
        blockedBackend(app, "INSERT INTO");
        for (StreamId s : List.of(plain.get(2), plain.get(3), held)) {
          NewEvent e = NewEvent.of(new ItemAdded("cut", 1));
          sent.put(s, e);
          calls.put(s, async(() -> store.append(s, ExpectedVersion.exactly(1), e)));
        }
        Await.until("three appends queued", BOUND, () -> groups(store).queued() == 3);
        lockFirst.commit();
        leader.get(BOUND.toSeconds(), TimeUnit.SECONDS);
        int pid = blockedBackend(app, "WITH i AS");
        try (Statement st = lockSecond.createStatement()) {
          st.execute("SELECT pg_terminate_backend(" + pid + ")");
        }
        lockSecond.rollback();
      }
      for (Map.Entry<StreamId, CompletableFuture<AppendResult>> call : calls.entrySet()) {
        StreamId s = call.getKey();
        Throwable failure = failureOf(call.getValue());
        if (failure != null) {
          assertThat(failure).isInstanceOf(StoreUnavailableException.class);
          store.append(s, ExpectedVersion.exactly(1), sent.get(s));
        }
        List<RecordedEvent> events = store.readStream(s);
        assertThat(events).as("stream " + s).hasSize(2);
        assertThat(events.get(1).eventId()).isEqualTo(sent.get(s).eventId());
      }
      assertThat(store.integrityVerifier().verify(IntegrityVerifier.Scope.all()).violations()).isEmpty();
    }
  }
}
