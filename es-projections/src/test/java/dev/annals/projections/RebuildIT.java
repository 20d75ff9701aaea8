package dev.annals.projections;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.annals.core.LogFilter;
import dev.annals.core.StreamId;
import dev.annals.postgres.LogCursor;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.testkit.PostgresTestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class RebuildIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  static Projector balancesV1() {
    return Projector.builder("balances")
        .filter(LogFilter.categories("account"))
        .tables("balances")
        .setup(t -> t.handle().execute("CREATE TABLE " + t.table("balances")
            + " (account text PRIMARY KEY, cents bigint NOT NULL)"))
        .handler((event, ctx) -> ctx.handle().execute("INSERT INTO " + ctx.table("balances")
            + " VALUES (?, ?) ON CONFLICT (account) DO UPDATE SET cents = "
            + ctx.table("balances") + ".cents + excluded.cents",
            event.streamId().id(), event.payload(Bank.Deposited.class).cents()))
        .build();
  }

  /** Version 2 changes the table's shape (an event count) and the partitioning. */
  static Projector balancesV2(String name, String table) {
    return Projector.builder(name)
        .version(2)
        .filter(LogFilter.categories("account"))
        .partitions(3)
        .batchSize(100)
        .tables(table)
        .setup(t -> t.handle().execute("CREATE TABLE " + t.table(table)
            + " (account text PRIMARY KEY, cents bigint NOT NULL, events integer NOT NULL)"))
        .handler((event, ctx) -> ctx.handle().execute("INSERT INTO " + ctx.table(table)
            + " VALUES (?, ?, 1) ON CONFLICT (account) DO UPDATE SET cents = "
            + ctx.table(table) + ".cents + excluded.cents, events = " + ctx.table(table) + ".events + 1",
            event.streamId().id(), event.payload(Bank.Deposited.class).cents()))
        .build();
  }

  @Test
  void a_new_version_is_built_beside_the_old_one_and_reads_switch_to_it_once_it_has_caught_up() throws Exception {
    String schema = db.newSchema();
    try (PostgresEventStore store = Bank.store(db, schema, 8, "rebuild")) {
      ProjectionSchema.install(store.dataSource(), schema);
      // Records every change of the active version, to prove the switch happens once.
      store.jdbi().useHandle(h -> {
        h.execute("CREATE TABLE " + schema + ".switch_log (id serial PRIMARY KEY, projector text, version integer)");
        h.execute("CREATE FUNCTION " + schema + ".log_switch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            + "INSERT INTO " + schema + ".switch_log (projector, version) VALUES (NEW.projector, NEW.active_version); "
            + "RETURN NEW; END $$");
        h.execute("CREATE TRIGGER log_switch AFTER INSERT OR UPDATE ON " + schema
            + ".projection_versions FOR EACH ROW EXECUTE FUNCTION " + schema + ".log_switch()");
      });
      for (int i = 0; i < 1500; i++) {
        Bank.deposit(store, Bank.account(i % 40), i + 1);
      }
      List<RebuildProgress> progress = new CopyOnWriteArrayList<>();
      try (ProjectionRunner old = Bank.runner(store, "old", balancesV1()).build();
          ProjectionRunner next = Bank.runner(store, "new", balancesV2("balances", "balances"))
              .rebuildProgress(progress::add, Duration.ZERO).build()) {
        old.start();
        assertThat(old.awaitCaughtUp("balances", Duration.ofSeconds(30))).isTrue();

        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger written = new AtomicInteger();
        Thread writer = new Thread(() -> {
          while (running.get()) {
            int n = written.getAndIncrement();
            Bank.deposit(store, Bank.account(n % 45), 1);
          }
        }, "writer");
        List<Integer> versionsRead = Collections.synchronizedList(new ArrayList<>());
        List<String> readProblems = new CopyOnWriteArrayList<>();
        Thread reader = new Thread(() -> {
          while (running.get()) {
            try {
              store.jdbi().useHandle(h -> {
                // One statement: which version's shape the view has, and how many rows it shows.
                var row = h.createQuery("SELECT jsonb_exists(to_jsonb(b), 'events') AS v2, count(*) OVER () AS n "
                        + "FROM " + schema + ".balances b LIMIT 1")
                    .map((rs, ctx) -> new Object[] {rs.getBoolean(1), rs.getLong(2)}).findOne();
                if (row.isEmpty()) {
                  readProblems.add("the view was empty at read " + versionsRead);
                  return;
                }
                int version = (Boolean) row.get()[0] ? 2 : 1;
                if (versionsRead.isEmpty() || versionsRead.get(versionsRead.size() - 1) != version) {
                  versionsRead.add(version);
                }
              });
            } catch (RuntimeException e) {
              if (readProblems.size() < 5) {
                readProblems.add(e.toString());
              }
            }
          }
        }, "reader");
        writer.start();
        reader.start();
        // The assertions want reads on both sides of the switch: a starved reader thread may
        // otherwise read first after it, or not again before it is stopped.
        Bank.await("the reader sees version 1", Duration.ofSeconds(30), () -> versionsRead.contains(1));

        next.start();
        Bank.await("version 2 serves reads", Duration.ofSeconds(60), () -> activeVersion(store, schema) == 2);
        Bank.await("more appends after the switch", Duration.ofSeconds(30), () -> written.get() > 200);
        Bank.await("the reader sees version 2", Duration.ofSeconds(30), () -> versionsRead.contains(2));
        running.set(false);
        writer.join();
        reader.join();

        assertThat(next.awaitCaughtUp("balances", Duration.ofSeconds(30))).isTrue();
        assertThat(readProblems).as("reads during the rebuild").isEmpty();
        assertThat(versionsRead).as("the versions reads saw, in order").containsExactly(1, 2);
        assertThat(switches(store, schema)).as("changes of the active version")
            .containsExactly("balances v1", "balances v2");
        assertThat(states(store, schema, 1)).as("version 1 after the switch").containsOnly("RETIRED");
        assertThat(old.status("balances")).extracting(s -> s.partition().version()).containsOnly(2);
        assertThat(progress).as("rebuild progress reports").isNotEmpty()
            .allSatisfy(p -> assertThat(p.version()).isEqualTo(2));
        assertThat(progress.get(progress.size() - 1).eventsDone()).isPositive();
      }

      Map<String, Long> view = Bank.balancesIn(store.jdbi(), schema + ".balances");
      assertThat(view).as("the view after the switch").isEqualTo(Bank.expectedBalances(store));
      try (ProjectionRunner scratch = Bank.runner(store, "scratch", balancesV2("scratch", "scratch")).build()) {
        scratch.catchUp("scratch");
      }
      assertThat(view).as("the view against version 2 projected from scratch")
          .isEqualTo(Bank.balancesIn(store.jdbi(), schema + ".scratch"));
      Map<String, Long> counts = new TreeMap<>();
      store.jdbi().useHandle(h -> h.createQuery("SELECT account, events FROM " + schema + ".balances")
          .map((rs, ctx) -> Map.entry(rs.getString(1), rs.getLong(2))).forEach(e -> counts.put(e.getKey(), e.getValue())));
      Map<String, Long> expectedCounts = new TreeMap<>();
      store.readAll(0, 100_000, LogFilter.categories("account"))
          .forEach(e -> expectedCounts.merge(e.streamId().id(), 1L, Long::sum));
      assertThat(counts).as("events per account in version 2").isEqualTo(expectedCounts);
    }
  }

  @Test
  void a_reset_to_the_start_replays_everything_in_the_same_order_and_flags_the_replays() {
    String schema = db.newSchema();
    try (PostgresEventStore store = Bank.store(db, schema, 4, "reset")) {
      List<long[]> seen = new CopyOnWriteArrayList<>();
      Projector p = Bank.balances("ledger", "led", "n", (event, ctx) ->
          seen.add(new long[] {event.position(), ctx.replaying() ? 1 : 0})).batchSize(7).build();
      for (int i = 0; i < 30; i++) {
        Bank.deposit(store, Bank.account(i % 4), i + 1);
      }
      try (ProjectionRunner runner = Bank.runner(store, "a", p).build()) {
        assertThat(runner.catchUp("ledger")).isEqualTo(30);
        List<Long> firstPass = positions(seen);
        assertThat(seen).allSatisfy(s -> assertThat(s[1]).as("replaying on the first pass").isZero());
        seen.clear();

        runner.reset("ledger", LogCursor.START);
        assertThat(Bank.balancesIn(store.jdbi(), schema + ".led_balances")).as("after the reset").isEmpty();
        assertThat(runner.catchUp("ledger")).isEqualTo(30);
        assertThat(positions(seen)).as("the replay's order").isEqualTo(firstPass);
        assertThat(seen).allSatisfy(s -> assertThat(s[1]).as("replaying on the second pass").isOne());
        assertThat(Bank.balancesIn(store.jdbi(), schema + ".led_balances")).isEqualTo(Bank.expectedBalances(store));
        seen.clear();

        Bank.deposit(store, Bank.account(9), 5);
        runner.catchUp("ledger");
        assertThat(seen).singleElement().satisfies(s -> assertThat(s[1]).as("a new event is no replay").isZero());
      }
    }
  }

  @Test
  void replaying_from_a_position_reprocesses_that_event_and_everything_after_it() {
    String schema = db.newSchema();
    try (PostgresEventStore store = Bank.store(db, schema, 4, "replay")) {
      List<Long> handled = new CopyOnWriteArrayList<>();
      Projector p = Projector.builder("seen")
          .tables("seen")
          .setup(t -> t.handle().execute("CREATE TABLE " + t.table("seen") + " (position bigint PRIMARY KEY)"))
          .reset((t, target) -> t.handle().execute("DELETE FROM " + t.table("seen") + " WHERE position > ?",
              target.position()))
          .handler((event, ctx) -> {
            handled.add(event.position());
            ctx.handle().execute("INSERT INTO " + ctx.table("seen") + " VALUES (?)", event.position());
          })
          .build();
      for (int i = 0; i < 20; i++) {
        Bank.deposit(store, Bank.account(i % 3), 1);
      }
      try (ProjectionRunner runner = Bank.runner(store, "a", p).build()) {
        runner.catchUp("seen");
        handled.clear();
        runner.replayFrom("seen", 12);
        runner.catchUp("seen");
        assertThat(handled).as("positions processed again").containsExactly(12L, 13L, 14L, 15L, 16L, 17L, 18L, 19L, 20L);
        long rows = store.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM " + schema + ".seen")
            .mapTo(Long.class).one());
        assertThat(rows).isEqualTo(20);
        assertThatThrownBy(() -> runner.replayFrom("seen", 999))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no event at position 999");
      }
    }
  }

  @Test
  void the_estimate_of_events_to_go_counts_only_the_projectors_own_events_of_a_mixed_log() {
    String schema = db.newSchema();
    try (PostgresEventStore store = Bank.store(db, schema, 4, "estimate")) {
      // One account event in three positions; the other two are of a category the projector skips.
      int own = 60;
      for (int i = 0; i < own; i++) {
        Bank.deposit(store, Bank.account(i % 5), 1);
        Bank.deposit(store, StreamId.of("order", "o" + (i % 7)), 1);
        Bank.deposit(store, StreamId.of("order", "p" + (i % 3)), 1);
      }
      List<RebuildProgress> progress = new CopyOnWriteArrayList<>();
      Projector p = Bank.balances("ledger", "led").batchSize(5).build();
      try (ProjectionRunner runner = Bank.runner(store, "a", p).rebuildProgress(progress::add, Duration.ZERO).build()) {
        assertThat(runner.catchUp("ledger")).isEqualTo(own);
        runner.reset("ledger", LogCursor.START);
        progress.clear();
        assertThat(runner.catchUp("ledger")).isEqualTo(own);
      }
      assertThat(progress).as("progress reports of the replay").isNotEmpty();
      // Without the filter's share, the first report said about 170 to go, of 60 in all.
      assertThat(progress).allSatisfy(r -> assertThat(r.eventsDone() + r.eventsToGo())
          .as("events done and to go, in %s", r).isBetween((long) own * 3 / 4, (long) own * 5 / 4));
    }
  }

  @Test
  void a_projector_without_a_reset_callback_may_only_be_reset_to_the_start() {
    String schema = db.newSchema();
    try (PostgresEventStore store = Bank.store(db, schema, 4, "noreset")) {
      Bank.deposit(store, Bank.account(1), 1);
      Bank.deposit(store, Bank.account(1), 2);
      try (ProjectionRunner runner = Bank.runner(store, "a", Bank.balances("ledger", "led").build()).build()) {
        runner.catchUp("ledger");
        assertThatThrownBy(() -> runner.replayFrom("ledger", 2))
            .isInstanceOf(ProjectionException.class)
            .hasMessageContaining("reset of projector ledger")
            .hasMessageContaining("can only be reset to the start");
        assertThat(Bank.balancesIn(store.jdbi(), schema + ".led_balances")).as("unchanged")
            .containsEntry("a1", 3L);
      }
    }
  }

  private static List<Long> positions(List<long[]> seen) {
    return seen.stream().map(s -> s[0]).toList();
  }

  private static int activeVersion(PostgresEventStore store, String schema) {
    return store.jdbi().withHandle(h -> h.createQuery("SELECT active_version FROM " + schema
        + ".projection_versions WHERE projector = 'balances'").mapTo(Integer.class).findOne().orElse(0));
  }

  private static List<String> switches(PostgresEventStore store, String schema) {
    return store.jdbi().withHandle(h -> h.createQuery("SELECT projector || ' v' || version FROM " + schema
        + ".switch_log ORDER BY id").mapTo(String.class).list());
  }

  private static List<String> states(PostgresEventStore store, String schema, int version) {
    return store.jdbi().withHandle(h -> h.createQuery("SELECT state FROM " + schema
        + ".projection_checkpoints WHERE projector = 'balances' AND projector_version = :v")
        .bind("v", version).mapTo(String.class).list());
  }
}
