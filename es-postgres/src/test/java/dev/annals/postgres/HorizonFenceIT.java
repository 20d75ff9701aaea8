package dev.annals.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import dev.annals.core.EventStore;
import dev.annals.core.ExpectedVersion;
import dev.annals.core.NewEvent;
import dev.annals.core.StreamId;
import dev.annals.core.TransactionOrderConflictException;
import dev.annals.testkit.ContractEvents;
import dev.annals.testkit.ContractEvents.ItemAdded;
import dev.annals.testkit.Await;
import dev.annals.testkit.PostgresTestDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The horizon fence: a transaction that never appends to a store, in another database or on
 * other tables of this one, does not hold the store's readers back; a transaction that took its
 * id before the fence passed it cannot append any more (nothing written, retryable); one that
 * appended holds the fence until it ends, and no reader skips its events.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class HorizonFenceIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  static final Duration WAIT = Duration.ofSeconds(60);

  static HikariDataSource pool;
  PostgresEventStore store;
  String schema;
  final List<Connection> strangers = new ArrayList<>();

  @BeforeAll
  static void open() {
    pool = Pools.pool(db, 12);
  }

  @AfterAll
  static void close() {
    pool.close();
  }

  @BeforeEach
  void newStore() throws SQLException {
    schema = db.newSchema();
    store = PostgresEventStore.builder(ContractEvents.registry()).dataSource(pool).schema(schema)
        .installSchema(true).horizonLag(Duration.ofMillis(50)).build();
    try (Connection c = pool.getConnection(); Statement st = c.createStatement()) {
      st.execute("CREATE TABLE " + schema + ".other_work (n int)");
    }
  }

  @AfterEach
  void closeAll() throws SQLException {
    for (Connection c : strangers) {
      c.close();
    }
    strangers.clear();
    store.close();
  }

  /**
   * Opens a transaction that holds a transaction id and never appends: in the {@code postgres}
   * database, or writing a table of the test database.
   */
  private long stranger(String where) throws SQLException {
    Connection c = where.equals("another database")
        ? DriverManager.getConnection(db.jdbcUrl().replaceFirst("(//[^/]+)/[^?]*", "$1/postgres"))
        : pool.getConnection();
    strangers.add(c);
    c.setAutoCommit(false);
    try (Statement st = c.createStatement()) {
      if (where.equals("another database")) {
        st.execute("SELECT pg_current_xact_id()");
      } else {
        st.execute("INSERT INTO " + schema + ".other_work VALUES (1)");
      }
    }
    return RawAppend.currentTransactionId(c);
  }

  private static String name(StoredEvent e) {
    return ((ItemAdded) e.decode(ContractEvents.registry()).payload()).name();
  }

  private static List<String> readAll(LogReader reader, int count) throws InterruptedException {
    List<String> names = new ArrayList<>();
    LogCursor cursor = LogCursor.START;
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (names.size() < count && System.nanoTime() < deadline) {
      LogBatch batch = reader.read(cursor, 100);
      batch.events().forEach(e -> names.add(name(e)));
      cursor = batch.next();
      if (batch.isEmpty()) {
        reader.awaitEvents(Duration.ofMillis(20));
      }
    }
    names.addAll(reader.read(cursor, 100).events().stream().map(HorizonFenceIT::name).toList());
    return names;
  }

  /**
   * Whether the fence is above {@code xid}. On another thread: Jdbi would hand this thread's open
   * handle, whose snapshot (REPEATABLE READ) never shows the fence move.
   */
  private boolean fencePassed(long xid) {
    return java.util.concurrent.CompletableFuture.supplyAsync(() -> fenceAbove(xid)).join();
  }

  private boolean fenceAbove(long xid) {
    // The advancer moves the fence to a transaction id it saw handed out a while ago: on a quiet
    // cluster ids must keep coming for it ever to pass this one, so each look takes one.
    store.jdbi().useHandle(h -> h.createQuery("SELECT pg_current_xact_id()").mapTo(String.class).one());
    return store.jdbi().withHandle(h -> h.createQuery("SELECT fence > CAST(:xid AS xid8) FROM " + schema
        + ".log_horizon").bind("xid", Long.toUnsignedString(xid)).mapTo(Boolean.class).one());
  }

  private static void append(EventStore store, String stream, String name) {
    store.append(StreamId.of("cart", stream), ExpectedVersion.any(), NewEvent.of(new ItemAdded(name, 1)));
  }

  @ParameterizedTest(name = "in {0}")
  @ValueSource(strings = {"another database", "the same database, on another table"})
  void a_transaction_that_never_appends_does_not_hold_readers_back(String where) throws Exception {
    LogReader reader = store.logReader();
    long strangerXid = stranger(where);
    for (int i = 1; i <= 3; i++) {
      append(store, "c" + i, "e" + i);
    }
    assertThat(readAll(reader, 3)).as("read while the transaction %s stays open", strangerXid)
        .containsExactly("e1", "e2", "e3");
    Await.until("nothing held back", WAIT, () -> reader.head().heldBackEvents() == 0);
    assertThat(reader.head().oldestTransaction()).as("nothing holds this store's readers back").isEmpty();
  }

  @Test
  void an_append_from_a_transaction_the_fence_has_passed_is_refused_and_writes_nothing() throws Exception {
    store.logReader();
    stranger("another database");
    StreamId cart = StreamId.of("cart", "late");
    assertThatThrownBy(() -> store.jdbi().useTransaction(h -> {
      h.execute("INSERT INTO " + schema + ".other_work VALUES (2)");
      long xid = RawAppend.currentTransactionId(h.getConnection());
      Await.until("the fence passes the transaction's id", WAIT, () -> fencePassed(xid));
      store.joining(h).append(cart, ExpectedVersion.noStream(), NewEvent.of(new ItemAdded("late", 1)));
    })).isInstanceOf(TransactionOrderConflictException.class)
        .satisfies(e -> assertThat(((TransactionOrderConflictException) e).isRetryable()).isTrue());
    assertThat(store.streamVersion(cart)).as("nothing written").isZero();

    // Retried in a new transaction, it goes through.
    store.jdbi().useTransaction(h -> store.joining(h).append(cart, ExpectedVersion.noStream(),
        NewEvent.of(new ItemAdded("late", 1))));
    assertThat(store.streamVersion(cart)).isEqualTo(1);
  }

  @Test
  void the_group_statements_refuse_a_transaction_below_the_fence() throws Exception {
    store.logReader();
    stranger("another database");
    StreamId stream = StreamId.of("cart", "grouped");
    store.append(stream, ExpectedVersion.any(), NewEvent.of(new ItemAdded("first", 1)));
    AppendSql sql = new AppendSql(schema);
    byte[] digest = new byte[32];
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(false);
      long xid = RawAppend.currentTransactionId(c);
      Await.until("the fence passes the transaction's id", WAIT, () -> fencePassed(xid));
      try (java.sql.PreparedStatement ps = c.prepareStatement(sql.appendSingles)) {
        ps.setArray(1, c.createArrayOf("text", new String[] {stream.toString()}));
        ps.setArray(2, c.createArrayOf("int8", new Long[] {1L}));
        ps.setArray(3, c.createArrayOf("bytea", new byte[][] {digest}));
        ps.setArray(4, c.createArrayOf("text", new String[] {"cart"}));
        ps.setArray(5, c.createArrayOf("uuid", new UUID[] {UUID.randomUUID()}));
        ps.setArray(6, c.createArrayOf("text", new String[] {"ItemAdded"}));
        ps.setArray(7, c.createArrayOf("int4", new Integer[] {1}));
        ps.setArray(8, c.createArrayOf("text", new String[] {"{\"name\": \"late\", \"quantity\": 1}"}));
        ps.setArray(9, c.createArrayOf("text", new String[] {"{}"}));
        ps.execute();
        assertThat(ps.getMoreResults()).isTrue();
        try (java.sql.ResultSet rs = ps.getResultSet()) {
          assertThat(rs.next()).as("the set-based group statement wrote nothing").isFalse();
        }
      }
      try (java.sql.PreparedStatement ps = c.prepareStatement(sql.appendGroup)) {
        ps.setArray(1, c.createArrayOf("int4", new Integer[] {1, 1}));
        ps.setArray(2, c.createArrayOf("int8", new Long[] {1L, 0L}));
        ps.setArray(3, c.createArrayOf("text", new String[] {stream.toString(), "cart-fresh"}));
        ps.setArray(4, c.createArrayOf("text", new String[] {"cart", "cart"}));
        ps.setArray(5, c.createArrayOf("uuid", new UUID[] {UUID.randomUUID(), UUID.randomUUID()}));
        ps.setArray(6, c.createArrayOf("text", new String[] {"ItemAdded", "ItemAdded"}));
        ps.setArray(7, c.createArrayOf("int4", new Integer[] {1, 1}));
        ps.setArray(8, c.createArrayOf("text", new String[] {"{\"name\": \"a\", \"quantity\": 1}",
            "{\"name\": \"b\", \"quantity\": 1}"}));
        ps.setArray(9, c.createArrayOf("text", new String[] {"{}", "{}"}));
        ps.setArray(10, c.createArrayOf("bytea", new byte[][] {digest, digest}));
        ps.execute();
        assertThat(ps.getMoreResults()).isTrue();
        try (java.sql.ResultSet rs = ps.getResultSet()) {
          rs.next();
          assertThat((Integer[]) rs.getArray(1).getArray()).as("append_group: an order conflict each")
              .containsExactly(2, 2);
        }
      }
      // Both statements turn JIT off for their transaction: with sequential scans off, the
      // planner's estimate of the fence read would otherwise have every group compiled by LLVM.
      try (java.sql.Statement st = c.createStatement();
          java.sql.ResultSet rs = st.executeQuery("SELECT current_setting('jit')")) {
        rs.next();
        assertThat(rs.getString(1)).isEqualTo("off");
      }
      c.commit();
    }
    assertThat(store.streamVersion(stream)).isEqualTo(1);
    assertThat(store.streamVersion(StreamId.of("cart", "fresh"))).isZero();
  }

  @ParameterizedTest(name = "through {0}")
  @ValueSource(strings = {"append_events", "append_event"})
  void the_append_functions_refuse_a_transaction_below_the_fence(String function) throws Exception {
    store.logReader();
    stranger("another database");
    store.append(StreamId.of("cart", "f"), ExpectedVersion.any(), NewEvent.of(new ItemAdded("first", 1)));
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(false);
      long xid = RawAppend.currentTransactionId(c);
      Await.until("the fence passes the transaction's id", WAIT, () -> fencePassed(xid));
      long[] r = RawAppend.itemAdded(c, schema, function, "cart-f", 1, UUID.randomUUID(), "second");
      assertThat(r[0]).as("status: transaction order conflict").isEqualTo(2);
      long[] fresh = RawAppend.itemAdded(c, schema, function, "cart-g", -1, UUID.randomUUID(), "other");
      assertThat(fresh[0]).as("a new stream is refused alike").isEqualTo(2);
      c.commit();
    }
    assertThat(store.streamVersion(StreamId.of("cart", "f"))).isEqualTo(1);
    assertThat(store.streamVersion(StreamId.of("cart", "g"))).isZero();
  }

  @Test
  void a_repeatable_read_caller_sees_the_latest_fence_and_one_that_takes_its_id_late_appends() throws Exception {
    store.logReader();
    stranger("another database");
    StreamId early = StreamId.of("cart", "rr-early");
    // Took its id early: refused although its snapshot is older than the fence's move.
    assertThatThrownBy(() -> store.jdbi().useTransaction(org.jdbi.v3.core.transaction.TransactionIsolationLevel.REPEATABLE_READ,
        h -> {
          long xid = RawAppend.currentTransactionId(h.getConnection());
          Await.until("the fence passes the transaction's id", WAIT, () -> fencePassed(xid));
          store.joining(h).append(early, ExpectedVersion.noStream(), NewEvent.of(new ItemAdded("early", 1)));
        })).isInstanceOf(TransactionOrderConflictException.class);
    assertThat(store.streamVersion(early)).isZero();

    // Took its snapshot early but its id only when appending: above the fence, so written and read.
    LogReader reader = store.logReader();
    long before = store.jdbi().withHandle(h -> h.createQuery("SELECT CAST(pg_snapshot_xmax(pg_current_snapshot()) AS text)")
        .mapTo(String.class).map(Long::parseUnsignedLong).one());
    store.jdbi().useTransaction(org.jdbi.v3.core.transaction.TransactionIsolationLevel.REPEATABLE_READ, h -> {
      h.createQuery("SELECT count(*) FROM " + schema + ".events").mapTo(Long.class).one();
      Await.until("the fence passes the snapshot", WAIT, () -> fencePassed(before));
      store.joining(h).append(StreamId.of("cart", "rr-late"), ExpectedVersion.noStream(),
          NewEvent.of(new ItemAdded("late", 1)));
    });
    assertThat(readAll(reader, 1)).containsExactly("late");
  }

  @Test
  void a_transaction_that_appended_holds_the_fence_and_readers_get_its_events_once_it_commits() throws Exception {
    LogReader reader = store.logReader();
    stranger("another database");
    append(store, "a", "before");
    assertThat(readAll(reader, 1)).containsExactly("before");
    Handle open = store.jdbi().open();
    try {
      open.begin();
      append(store.joining(open), "held", "held");
      int pid = open.createQuery("SELECT pg_backend_pid()").mapTo(Integer.class).one();
      append(store, "b", "after-1");
      append(store, "c", "after-2");
      Await.until("the open appender is named as what holds the horizon", WAIT,
          () -> reader.head().oldestTransaction().map(LogHead.OpenTransaction::pid).orElse(0) == pid);
      assertThat(readAll(reader, 1)).as("nothing past the open appender").containsExactly("before");
      open.commit();
    } finally {
      open.close();
    }
    assertThat(readAll(reader, 4)).containsExactly("before", "held", "after-1", "after-2");
  }

  @Test
  void a_checkpointing_reader_sees_every_committed_event_once_while_the_fence_moves_under_out_of_order_commits()
      throws Exception {
    stranger("another database");
    int writers = 8;
    int appendsPerWriter = 50;
    Set<UUID> committed = ConcurrentHashMap.newKeySet();
    AtomicInteger refused = new AtomicInteger();
    List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
    AtomicBoolean writing = new AtomicBoolean(true);
    List<StoredEvent> seen = Collections.synchronizedList(new ArrayList<>());
    LogReader reader = store.logReader();
    Thread readerThread = new Thread(() -> {
      LogCursor cursor = LogCursor.START;
      long giveUpAt = Long.MAX_VALUE;
      try {
        while (true) {
          LogBatch batch = reader.read(cursor, 37);
          seen.addAll(batch.events());
          cursor = batch.next();
          if (batch.isEmpty()) {
            if (!writing.get()) {
              if (seen.size() >= committed.size()) {
                return;
              }
              giveUpAt = Math.min(giveUpAt, System.nanoTime() + WAIT.toNanos());
              if (System.nanoTime() > giveUpAt) {
                return;
              }
            }
            reader.awaitEvents(Duration.ofMillis(20));
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
              if (random.nextInt(4) == 0) {
                // Take an id first and append a while later: the fence may pass it meanwhile.
                try (Statement st = c.createStatement()) {
                  st.execute("INSERT INTO " + schema + ".other_work VALUES (" + i + ")");
                }
                Thread.sleep(random.nextInt(0, 120));
              }
              String stream = "cart-s" + random.nextInt(8);
              UUID id = UUID.randomUUID();
              long[] r = RawAppend.itemAdded(c, schema, random.nextBoolean() ? "append_events" : "append_event",
                  stream, -1, id, "w" + writer + "-" + i);
              // Hold the transaction open a random while so commits come out of position order.
              Thread.sleep(random.nextInt(0, 15));
              if (r[0] == 0 && random.nextInt(10) > 0) {
                c.commit();
                committed.add(id);
              } else {
                if (r[0] == 2) {
                  refused.incrementAndGet();
                }
                c.rollback();
              }
            }
          }
          return null;
        }));
      }
      for (Future<?> f : futures) {
        f.get(300, TimeUnit.SECONDS);
      }
    } finally {
      executor.shutdownNow();
    }
    writing.set(false);
    readerThread.join(WAIT.toMillis() * 2);

    HorizonAdvancer advancer = store.horizonAdvancer().orElseThrow();
    System.out.printf("HorizonFenceIT: %d appends committed, %d refused, fence moved %d times, "
        + "%d moves gave up after the lock timeout%n", committed.size(), refused.get(),
        advancer.advances(), advancer.timeouts());
    assertThat(failures).isEmpty();
    List<UUID> seenIds = seen.stream().map(StoredEvent::eventId).toList();
    assertThat(seenIds).as("no event twice").doesNotHaveDuplicates();
    assertThat(new HashSet<>(seenIds)).as("every committed event, nothing else (%s appends refused by the "
        + "fence or the stream order)", refused.get()).isEqualTo(committed);
    Map<StreamId, Long> lastVersion = new HashMap<>();
    LogCursor previous = LogCursor.START;
    for (StoredEvent e : seen) {
      assertThat(e.cursor().isAfter(previous)).isTrue();
      previous = e.cursor();
      Long before = lastVersion.put(e.streamId(), e.version());
      assertThat(e.version()).as("version order in %s", e.streamId()).isEqualTo(before == null ? 1 : before + 1);
    }
  }

  @Test
  void without_a_fence_a_transaction_in_another_database_holds_readers_back_as_before() throws Exception {
    try (PostgresEventStore unfenced = PostgresEventStore.builder(ContractEvents.registry()).dataSource(pool)
        .schema(schema).horizonLag(Duration.ZERO).build()) {
      LogReader reader = unfenced.logReader();
      stranger("another database");
      append(unfenced, "x", "x");
      assertThat(unfenced.headPosition()).isPositive();
      assertThat(reader.read(LogCursor.START, 10).events()).as("held back by the stranger").isEmpty();
      assertThat(reader.head().oldestTransaction()).isPresent();
    }
  }
}
