package dev.annals.projections;

import static org.assertj.core.api.Assertions.assertThat;

import dev.annals.core.RecordedEvent;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.testkit.PostgresTestDatabase;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Several runners (nodes) on one database: each partition has one owner at a time, work moves
 * when a node stops or dies, and no event is ever applied twice, even while a stalled node
 * still believes it owns a partition.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class OwnershipIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  static final Duration TAKEOVER = Duration.ofSeconds(15);

  @Test
  void two_then_three_runners_share_the_partitions_and_take_over_from_a_stopped_and_a_dead_one() throws Exception {
    String schema = db.newSchema();
    try (PostgresEventStore writerStore = Bank.store(db, schema, 2, "writer");
        PostgresEventStore storeA = Bank.store(db, schema, 2, "node-a", Duration.ZERO);
        PostgresEventStore storeB = Bank.store(db, schema, 2, "node-b", Duration.ZERO);
        PostgresEventStore storeC = Bank.store(db, schema, 2, "node-c", Duration.ZERO)) {
      AtomicBoolean writing = new AtomicBoolean(true);
      AtomicInteger written = new AtomicInteger();
      Thread writer = new Thread(() -> {
        while (writing.get()) {
          int n = written.getAndIncrement();
          Bank.deposit(writerStore, Bank.account(n % 31), n % 100 + 1);
        }
      }, "writer");
      ProjectionRunner a = Bank.runner(storeA, "a", projector("a")).build();
      ProjectionRunner b = Bank.runner(storeB, "b", projector("b")).build();
      ProjectionRunner c = Bank.runner(storeC, "c", projector("c")).build();
      try {
        a.start();
        // Else b's supervisor may win every partition first, and a has nothing to apply.
        Bank.await("node a owns a partition", TAKEOVER, () -> owners(a).containsValue("a"));
        b.start();
        writer.start();
        Bank.await("every partition owned by a or b", TAKEOVER, () -> ownedBy(b, Set.of("a", "b")));
        // Two reads, one per node: a lease may move between them on a starved machine, so the
        // views are compared until they agree, not once.
        Bank.await("node a and node b see the same owners", TAKEOVER, () -> owners(a).equals(owners(b)));
        // The last assertion wants an event applied by a: a busy CPU may not have let it yet.
        Bank.await("node a applies an event", TAKEOVER, () -> appliedBy(writerStore, schema, "a"));

        c.start();
        a.close();
        Bank.await("node a's partitions move to b or c", TAKEOVER, () -> ownedBy(c, Set.of("b", "c")));

        // Node b dies: its pool is gone, it can neither renew nor give its leases up.
        storeB.close();
        Bank.await("node b's partitions move to c once their leases end", TAKEOVER, () -> ownedBy(c, Set.of("c")));
        // Counted from the takeover: events written after it can only be applied by c (a is
        // closed, b is dead), so c is sure to apply some, however fast the writer was before.
        int atTakeover = written.get();
        Bank.await("more events written after the takeover", TAKEOVER, () -> written.get() > atTakeover + 100);
        writing.set(false);
        writer.join();

        assertThat(c.awaitCaughtUp("balances", Duration.ofSeconds(30))).isTrue();
        assertThat(c.deadLetters("balances")).as("double applies would fail on the primary key and be parked")
            .isEmpty();
      } finally {
        writing.set(false);
        a.close();
        b.close();
        c.close();
      }
      assertThat(Bank.appliedIn(writerStore.jdbi(), schema + ".bal_applied"))
          .as("every event applied exactly once")
          .containsExactlyInAnyOrderElementsOf(Bank.accountEventIds(writerStore));
      assertThat(Bank.balancesIn(writerStore.jdbi(), schema + ".bal_balances"))
          .isEqualTo(Bank.expectedBalances(writerStore));
      List<String> nodes = writerStore.jdbi().withHandle(h -> h.createQuery("SELECT DISTINCT node FROM "
          + schema + ".bal_applied").mapTo(String.class).list());
      assertThat(nodes).as("nodes that applied events").contains("a", "c");
    }
  }

  @Test
  void a_stalled_side_effect_owner_whose_lease_ran_out_cannot_move_the_checkpoint_when_it_wakes() throws Exception {
    String schema = db.newSchema();
    try (PostgresEventStore store = Bank.store(db, schema, 6, "stall")) {
      for (int i = 0; i < 20; i++) {
        Bank.deposit(store, Bank.account(i % 3), 1);
      }
      record Call(UUID key, String node) {}
      List<Call> calls = new CopyOnWriteArrayList<>();
      CountDownLatch stalled = new CountDownLatch(1);
      CountDownLatch wake = new CountDownLatch(1);
      AtomicInteger seenByA = new AtomicInteger();
      Projector mailerA = Projector.sideEffects("mailer").handler((event, ctx) -> {
        calls.add(new Call(ctx.idempotencyKey(), "a"));
        if (seenByA.incrementAndGet() == 3) {
          stalled.countDown();
          wake.await(60, TimeUnit.SECONDS);
        }
      }).build();
      Projector mailerB = Projector.sideEffects("mailer")
          .handler((event, ctx) -> calls.add(new Call(ctx.idempotencyKey(), "b"))).build();

      try (ProjectionRunner a = Bank.runner(store, "a", mailerA).build();
          ProjectionRunner b = Bank.runner(store, "b", mailerB).build()) {
        a.start();
        assertThat(stalled.await(30, TimeUnit.SECONDS)).isTrue();
        b.start();
        Bank.await("node b takes over and sends every mail", TAKEOVER,
            () -> calls.stream().filter(x -> x.node().equals("b")).count() == 20);
        Bank.await("node b's checkpoint is at the end", TAKEOVER, () -> caughtUpBy(b, "b"));
        ProjectionStatus before = b.status("mailer").get(0);

        wake.countDown();
        a.close();
        ProjectionStatus after = b.status("mailer").get(0);
        assertThat(after.position().cursor()).as("the checkpoint after the stalled node woke up")
            .isEqualTo(before.position().cursor());
        // A starved node b may let its lease lapse for a moment; a is closed, so b takes it back.
        Bank.await("node b owns the partition", TAKEOVER,
            () -> owner(b.status("mailer").get(0)).equals("b"));
      }
      Map<UUID, Long> perKey = new TreeMap<>();
      calls.forEach(call -> perKey.merge(call.key(), 1L, Long::sum));
      assertThat(perKey).as("every mail sent at least once").hasSize(20);
      Set<UUID> sentTwice = new HashSet<>();
      perKey.forEach((key, n) -> {
        if (n > 1) {
          sentTwice.add(key);
        }
      });
      Set<UUID> sentByA = new HashSet<>();
      calls.stream().filter(x -> x.node().equals("a")).forEach(x -> sentByA.add(x.key()));
      assertThat(sentTwice).as("mails sent twice: only those of the stalled batch").isSubsetOf(sentByA);
    }
  }

  @Test
  void a_read_model_owner_stalled_inside_its_transaction_is_cut_off_and_its_batch_never_lands() throws Exception {
    String schema = db.newSchema();
    try (PostgresEventStore storeA = Bank.store(db, schema, 3, "stalled-a");
        PostgresEventStore storeB = Bank.store(db, schema, 3, "healthy-b")) {
      for (int i = 0; i < 60; i++) {
        Bank.deposit(storeA, Bank.account(i % 5), i + 1);
      }
      CountDownLatch stalled = new CountDownLatch(1);
      CountDownLatch wake = new CountDownLatch(1);
      AtomicBoolean armed = new AtomicBoolean(true);
      Projector stalling = Bank.balances("balances", "bal", "a", (RecordedEvent event, ProjectionContext ctx) -> {
        if (event.position() == 25 && armed.getAndSet(false)) {
          stalled.countDown();
          wake.await(60, TimeUnit.SECONDS);
        }
      }).batchSize(20).build();
      try (ProjectionRunner a = Bank.runner(storeA, "a", stalling)
              .idleTransactionTimeout(Duration.ofSeconds(1)).build();
          ProjectionRunner b = Bank.runner(storeB, "b", Bank.balances("balances", "bal", "b", (e, c) -> {}).build())
              .build()) {
        a.start();
        assertThat(stalled.await(30, TimeUnit.SECONDS)).isTrue();
        b.start();
        // The database ends a's idle transaction, which frees the row; a's lease runs out.
        Bank.await("node b catches up in a's place", TAKEOVER, () -> caughtUpBy(b, "b"));
        wake.countDown();
        a.close();
        Bank.deposit(storeB, Bank.account(1), 1000);
        assertThat(b.awaitCaughtUp("balances", Duration.ofSeconds(30))).isTrue();
        assertThat(b.deadLetters("balances")).isEmpty();
      }
      assertThat(Bank.appliedIn(storeB.jdbi(), schema + ".bal_applied"))
          .containsExactlyInAnyOrderElementsOf(Bank.accountEventIds(storeB));
      assertThat(Bank.balancesIn(storeB.jdbi(), schema + ".bal_balances")).isEqualTo(Bank.expectedBalances(storeB));
    }
  }

  private static Projector projector(String node) {
    return Bank.balances("balances", "bal", node, (e, c) -> {}).partitions(4).batchSize(20).build();
  }

  private static Map<Integer, String> owners(ProjectionRunner runner) {
    Map<Integer, String> out = new TreeMap<>();
    runner.status("balances").forEach(s -> out.put(s.partition().index(), owner(s)));
    return out;
  }

  /** Whether all four partitions have a live owner, each one of {@code nodes}. */
  private static boolean ownedBy(ProjectionRunner observer, Set<String> nodes) {
    Map<Integer, String> owners = owners(observer);
    return owners.size() == 4 && nodes.containsAll(owners.values());
  }

  private static boolean appliedBy(PostgresEventStore store, String schema, String node) {
    return store.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM " + schema
        + ".bal_applied WHERE node = :node").bind("node", node).mapTo(Long.class).one()) > 0;
  }

  private static boolean caughtUpBy(ProjectionRunner runner, String node) {
    return runner.status().stream().allMatch(s -> s.isCaughtUp() && owner(s).equals(node));
  }

  /** The node with a live lease on the partition, or "-". */
  private static String owner(ProjectionStatus s) {
    return s.lease().map(ProjectionStatus.Lease::node).orElse("-");
  }
}
