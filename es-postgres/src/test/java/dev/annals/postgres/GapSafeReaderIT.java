package dev.annals.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import dev.annals.core.ConcurrencyConflictException;
import dev.annals.core.EventStore;
import dev.annals.core.ExpectedVersion;
import dev.annals.core.LogFilter;
import dev.annals.core.NewEvent;
import dev.annals.core.StreamId;
import dev.annals.core.TransactionOrderConflictException;
import dev.annals.testkit.ContractEvents;
import dev.annals.testkit.ContractEvents.ItemAdded;
import dev.annals.testkit.PostgresTestDatabase;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class GapSafeReaderIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  static HikariDataSource pool;
  PostgresEventStore store;
  String schema;

  @BeforeAll
  static void open() {
    pool = Pools.pool(db, 16);
  }

  @AfterAll
  static void close() {
    pool.close();
  }

  @BeforeEach
  void newStore() {
    schema = db.newSchema();
    store = PostgresEventStore.builder(ContractEvents.registry()).dataSource(pool).schema(schema)
        .installSchema(true).build();
  }

  /**
   * Reads until {@code count} events arrived after {@code from}, or 30 s passed. A single read
   * may come back short while any transaction in the cluster (another test's, say) holds the
   * horizon back; that is the reader's documented behaviour, so tests wait for visibility.
   */
  private static LogBatch readUntil(LogReader reader, LogCursor from, int count, LogFilter filter,
      LogPartition partition) throws InterruptedException {
    List<StoredEvent> events = new ArrayList<>();
    LogCursor cursor = from;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (events.size() < count && System.nanoTime() < deadline) {
      LogBatch batch = reader.read(cursor, count - events.size(), filter, partition);
      events.addAll(batch.events());
      cursor = batch.next();
      if (batch.isEmpty()) {
        reader.awaitEvents(java.time.Duration.ofMillis(50));
      }
    }
    // One more read shows whether anything unexpected follows.
    LogBatch extra = reader.read(cursor, 100, filter, partition);
    events.addAll(extra.events());
    return new LogBatch(events, extra.next());
  }

  private static LogBatch readUntil(LogReader reader, LogCursor from, int count) throws InterruptedException {
    return readUntil(reader, from, count, LogFilter.all(), LogPartition.ALL);
  }

  private static List<String> names(LogBatch batch) {
    List<String> names = new ArrayList<>();
    for (StoredEvent e : batch.events()) {
      names.add(((ItemAdded) e.decode(ContractEvents.registry()).payload()).name());
    }
    return names;
  }

  @Test
  void an_open_transaction_holds_back_everything_after_it_until_it_commits() throws Exception {
    store.append(StreamId.of("cart", "a"), ExpectedVersion.any(), NewEvent.of(new ItemAdded("before", 1)));
    LogReader reader = store.logReader();
    LogBatch first = readUntil(reader, LogCursor.START, 1);
    assertThat(names(first)).containsExactly("before");

    try (Connection held = pool.getConnection()) {
      held.setAutoCommit(false);
      long[] r = RawAppend.itemAdded(held, schema, "cart-held", -1, UUID.randomUUID(), "held");
      assertThat(r[0]).isZero();
      long heldPosition = r[3];

      store.append(StreamId.of("cart", "b"), ExpectedVersion.any(), NewEvent.of(new ItemAdded("after-1", 1)));
      store.append(StreamId.of("cart", "c"), ExpectedVersion.any(), NewEvent.of(new ItemAdded("after-2", 1)));
      assertThat(store.headPosition()).as("later appends committed").isGreaterThan(heldPosition);

      LogBatch whileHeld = reader.read(first.next(), 100);
      assertThat(whileHeld.events()).as("nothing past the open transaction").isEmpty();
      LogHead head = reader.head();
      assertThat(head.heldBackEvents()).as("at least the two appends after it").isGreaterThanOrEqualTo(2);
      assertThat(head.oldestTransaction()).isPresent();

      held.commit();
    }
    LogBatch after = readUntil(reader, first.next(), 3);
    assertThat(names(after)).containsExactly("held", "after-1", "after-2");
  }

  @Test
  void a_checkpointing_reader_sees_every_committed_event_once_under_out_of_order_commits() throws Exception {
    int writers = 10;
    int appendsPerWriter = 60;
    Set<UUID> committed = ConcurrentHashMap.newKeySet();
    List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
    AtomicBoolean writing = new AtomicBoolean(true);
    List<StoredEvent> seen = Collections.synchronizedList(new ArrayList<>());

    Thread readerThread = new Thread(() -> {
      LogReader reader = store.logReader();
      LogCursor cursor = LogCursor.START;
      long giveUpAt = Long.MAX_VALUE;
      try {
        while (true) {
          LogBatch batch = reader.read(cursor, 37);
          seen.addAll(batch.events());
          cursor = batch.next();
          if (batch.isEmpty()) {
            // An empty read means "nothing visible yet": any open transaction in the cluster,
            // even another test's, holds the horizon back. So drain until every committed event
            // arrived, with a deadline, and let the assertions judge what came.
            if (!writing.get()) {
              if (seen.size() >= committed.size()) {
                return;
              }
              giveUpAt = Math.min(giveUpAt, System.nanoTime() + TimeUnit.SECONDS.toNanos(60));
              if (System.nanoTime() > giveUpAt) {
                return;
              }
            }
            reader.awaitEvents(java.time.Duration.ofMillis(20));
          }
        }
      } catch (Throwable t) {
        failures.add(t);
      }
    }, "test-reader");
    readerThread.start();

    ExecutorService executor = Executors.newFixedThreadPool(writers);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        int writer = w;
        futures.add(executor.submit(() -> {
          try (Connection c = pool.getConnection()) {
            c.setAutoCommit(false);
            for (int i = 0; i < appendsPerWriter; i++) {
              ThreadLocalRandom random = ThreadLocalRandom.current();
              String stream = "cart-s" + random.nextInt(8);
              UUID id = UUID.randomUUID();
              long[] r = RawAppend.itemAdded(c, schema, stream, -1, id, "w" + writer + "-" + i);
              // Hold the transaction open a random while so commits come out of position order.
              Thread.sleep(random.nextInt(0, 15));
              if (r[0] == 0 && random.nextInt(10) > 0) {
                c.commit();
                committed.add(id);
              } else {
                c.rollback();
              }
            }
          }
          return null;
        }));
      }
      for (Future<?> f : futures) {
        f.get(120, TimeUnit.SECONDS);
      }
    } finally {
      executor.shutdownNow();
    }
    writing.set(false);
    readerThread.join(TimeUnit.SECONDS.toMillis(120));

    assertThat(failures).isEmpty();
    List<UUID> seenIds = seen.stream().map(StoredEvent::eventId).toList();
    assertThat(seenIds).as("no event twice").doesNotHaveDuplicates();
    assertThat(new HashSet<>(seenIds)).as("every committed event, nothing else").isEqualTo(committed);
    // The order the reader saw is increasing in (transaction, position) and per stream in version.
    Map<StreamId, Long> lastVersion = new HashMap<>();
    LogCursor previous = LogCursor.START;
    for (StoredEvent e : seen) {
      assertThat(e.cursor().isAfter(previous)).isTrue();
      previous = e.cursor();
      Long before = lastVersion.put(e.streamId(), e.version());
      assertThat(e.version()).as("version order in %s", e.streamId()).isEqualTo(before == null ? 1 : before + 1);
    }
  }

  // Both append functions: append_event (schema version 4) checks the order on its own shorter path.
  @ParameterizedTest(name = "through {0}")
  @ValueSource(strings = {"append_events", "append_event"})
  void an_older_transaction_cannot_append_after_a_younger_one_in_the_same_stream(String function)
      throws Exception {
    String stream = "cart-order" + function.length();
    try (Connection older = pool.getConnection(); Connection younger = pool.getConnection()) {
      older.setAutoCommit(false);
      long olderXid = RawAppend.currentTransactionId(older);
      younger.setAutoCommit(false);
      long[] v1 = RawAppend.itemAdded(younger, schema, stream, 0, UUID.randomUUID(), "v1");
      assertThat(RawAppend.currentTransactionId(younger)).isGreaterThan(olderXid);
      younger.commit();
      assertThat(v1[0]).isZero();

      long[] v2 = RawAppend.itemAdded(older, schema, function, stream, 1, UUID.randomUUID(), "v2");
      assertThat(v2[0]).as("status: transaction order conflict").isEqualTo(2);
      assertThat(v2[1]).as("actual version").isEqualTo(1);
      older.commit();
    }
    StreamId id = StreamId.parse(stream);
    assertThat(store.streamVersion(id)).as("nothing written").isEqualTo(1);
    // The store itself retries in a new transaction, so its callers never see the conflict.
    store.append(id, ExpectedVersion.exactly(1), NewEvent.of(new ItemAdded("v2", 1)));
    assertThat(store.readStream(id, 1, 10)).extracting(e -> ((ItemAdded) e.payload()).name())
        .containsExactly("v1", "v2");
  }

  // The store's single-event statement, in a caller's transaction that took its id first.
  @Test
  void the_single_event_statement_will_not_append_after_a_younger_transaction() throws Exception {
    StreamId id = StreamId.of("cart", "order-statement");
    try (Handle older = Jdbi.create(pool).open(); Connection younger = pool.getConnection()) {
      older.begin();
      long olderXid = RawAppend.currentTransactionId(older.getConnection());
      younger.setAutoCommit(false);
      long[] v1 = RawAppend.itemAdded(younger, schema, id.toString(), 0, UUID.randomUUID(), "v1");
      assertThat(RawAppend.currentTransactionId(younger)).isGreaterThan(olderXid);
      younger.commit();
      assertThat(v1[0]).isZero();

      EventStore joined = store.joining(older);
      assertThatThrownBy(() -> joined.append(id, ExpectedVersion.exactly(1), NewEvent.of(new ItemAdded("v2", 1))))
          .isInstanceOf(TransactionOrderConflictException.class);
      older.rollback();
    }
    assertThat(store.streamVersion(id)).as("nothing written").isEqualTo(1);
  }

  // Exact-version appends of one event take the single statement, which skips append_events'
  // advisory lock; any-version appends take append_events. Racing on one stream, they must still
  // make one gap-free version sequence and one intact hash chain.
  @Test
  void writers_at_exact_and_at_any_version_racing_on_one_stream_keep_one_chain() throws Exception {
    StreamId stream = StreamId.of("cart", "mixed");
    store.append(stream, ExpectedVersion.noStream(), NewEvent.of(new ItemAdded("first", 1)));
    int threads = 8;
    int perThread = 150;
    AtomicInteger conflicts = new AtomicInteger();
    Set<UUID> acknowledged = ConcurrentHashMap.newKeySet();
    ExecutorService executor = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        boolean exact = t % 2 == 0;
        futures.add(executor.submit(() -> {
          for (int i = 0; i < perThread; i++) {
            NewEvent event = NewEvent.of(new ItemAdded(exact ? "exact" : "any", i));
            if (exact) {
              while (true) {
                long version = store.streamVersion(stream);
                try {
                  store.append(stream, ExpectedVersion.exactly(version), event);
                  break;
                } catch (ConcurrencyConflictException e) {
                  conflicts.incrementAndGet();
                }
              }
            } else {
              store.append(stream, ExpectedVersion.any(), event);
            }
            acknowledged.add(event.eventId());
          }
          return null;
        }));
      }
      for (Future<?> f : futures) {
        f.get(120, TimeUnit.SECONDS);
      }
    } finally {
      executor.shutdownNow();
    }
    int total = 1 + threads * perThread;
    List<StoredEvent> log = readUntil(store.logReader(), LogCursor.START, total).events();
    assertThat(log).hasSize(total);
    for (int i = 0; i < log.size(); i++) {
      assertThat(log.get(i).version()).as("version order in the log").isEqualTo(i + 1);
    }
    assertThat(log.stream().map(StoredEvent::eventId).toList()).doesNotHaveDuplicates().containsAll(acknowledged);
    assertThat(conflicts.get()).as("the exact writers did race").isPositive();
    assertThat(store.integrityVerifier().verify(IntegrityVerifier.Scope.stream(stream)).intact()).isTrue();
  }

  @Test
  void writers_racing_on_one_stream_with_any_version_keep_version_order_in_the_log() throws Exception {
    StreamId stream = StreamId.of("cart", "race");
    int threads = 8;
    ExecutorService executor = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        futures.add(executor.submit(() -> {
          for (int i = 0; i < 50; i++) {
            store.append(stream, ExpectedVersion.any(), NewEvent.of(new ItemAdded("x", 1)));
          }
          return null;
        }));
      }
      for (Future<?> f : futures) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      executor.shutdownNow();
    }
    List<StoredEvent> log = readUntil(store.logReader(), LogCursor.START, threads * 50).events();
    assertThat(log).hasSize(threads * 50);
    for (int i = 0; i < log.size(); i++) {
      assertThat(log.get(i).version()).isEqualTo(i + 1);
    }
  }

  @Test
  void reading_can_start_at_any_event_and_be_filtered_and_partitioned() throws Exception {
    for (int i = 1; i <= 6; i++) {
      store.append(StreamId.of(i % 2 == 0 ? "cart" : "order", "n" + i), ExpectedVersion.any(),
          NewEvent.of(new ItemAdded("e" + i, 1)));
    }
    LogReader reader = store.logReader();
    readUntil(reader, LogCursor.START, 6);
    assertThat(names(reader.read(reader.cursorBefore(4), 100))).containsExactly("e4", "e5", "e6");
    assertThat(names(reader.read(reader.cursorAfter(4), 100))).containsExactly("e5", "e6");
    assertThat(names(reader.read(LogCursor.START, 100, LogFilter.categories("order")))).containsExactly("e1", "e3", "e5");
    List<String> union = new ArrayList<>();
    for (int p = 0; p < 3; p++) {
      union.addAll(names(reader.read(LogCursor.START, 100, LogFilter.all(), new LogPartition(p, 3))));
    }
    assertThat(union).containsExactlyInAnyOrder("e1", "e2", "e3", "e4", "e5", "e6");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> reader.cursorBefore(99))
        .hasMessageContaining("no event at position 99");
  }

  @Test
  void a_reader_on_another_node_is_woken_by_a_notification() throws Exception {
    PostgresEventStore otherNode = PostgresEventStore.builder(ContractEvents.registry())
        .jdbcUrl(db.jdbcUrl()).poolSize(2).schema(schema).notifyInterval(java.time.Duration.ofMillis(5)).build();
    try {
      LogReader reader = otherNode.logReader();
      reader.read(LogCursor.START, 10);
      // Start the listener, then append from this node.
      assertThat(reader.awaitEvents(java.time.Duration.ofMillis(300))).isFalse();
      store.append(StreamId.of("cart", "wake"), ExpectedVersion.any(), NewEvent.of(new ItemAdded("w", 1)));
      assertThat(reader.awaitEvents(java.time.Duration.ofSeconds(20))).as("woken before the timeout").isTrue();
      assertThat(names(readUntil(reader, LogCursor.START, 1))).containsExactly("w");
    } finally {
      otherNode.close();
    }
  }
}
