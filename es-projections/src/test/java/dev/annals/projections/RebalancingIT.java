package dev.annals.projections;

import static org.assertj.core.api.Assertions.assertThat;

import dev.annals.postgres.PostgresEventStore;
import dev.annals.testkit.PostgresTestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Ownership follows membership: partitions spread evenly over the nodes running a projector,
 * move to a node that joins, and leave a node that dies, while writers append; every event lands
 * in the read model exactly once through every hand-over.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class RebalancingIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  /** Generous: the machine may be starved; the rules themselves move partitions within a tick. */
  static final Duration MOVE = Duration.ofSeconds(60);
  static final int PARTITIONS = 8;

  @Test
  void three_nodes_share_the_partitions_a_fourth_gets_its_share_and_a_dead_ones_are_taken_over() throws Exception {
    String schema = db.newSchema();
    List<PostgresEventStore> stores = new ArrayList<>();
    List<ProjectionRunner> runners = new ArrayList<>();
    try (PostgresEventStore writerStore = Bank.store(db, schema, 2, "writer")) {
      AtomicBoolean writing = new AtomicBoolean(true);
      AtomicInteger written = new AtomicInteger();
      Thread writer = new Thread(() -> {
        while (writing.get()) {
          int n = written.getAndIncrement();
          Bank.deposit(writerStore, Bank.account(n % 37), n % 100 + 1);
        }
      }, "writer");
      try {
        for (String node : List.of("a", "b", "c")) {
          runners.add(node(schema, node, stores));
        }
        writer.start();
        runners.forEach(ProjectionRunner::start);
        ProjectionRunner observer = runners.get(0);
        Bank.await("the partitions spread 3/3/2 over a, b and c", MOVE,
            () -> evenlyOwnedBy(observer, Set.of("a", "b", "c")));

        ProjectionRunner d = node(schema, "d", stores);
        runners.add(d);
        d.start();
        Bank.await("node d gets its share: 2 partitions each", MOVE,
            () -> evenlyOwnedBy(observer, Set.of("a", "b", "c", "d")));
        Bank.await("node d applies events", MOVE, () -> appliedBy(writerStore, schema, "d"));

        // Node b dies: its pool is gone, it can neither renew its leases nor sign off.
        stores.get(1).close();
        Bank.await("node b's partitions go to a, c and d", MOVE,
            () -> evenlyOwnedBy(observer, Set.of("a", "c", "d")));
        int atTakeover = written.get();
        Bank.await("more events written after the takeover", MOVE, () -> written.get() > atTakeover + 100);
        writing.set(false);
        writer.join();

        assertThat(d.awaitCaughtUp("balances", Duration.ofSeconds(60))).isTrue();
        assertThat(d.deadLetters("balances")).as("double applies would fail on the primary key and be parked")
            .isEmpty();
      } finally {
        writing.set(false);
        writer.join();
        runners.forEach(ProjectionRunner::close);
        stores.forEach(PostgresEventStore::close);
      }
      assertThat(Bank.appliedIn(writerStore.jdbi(), schema + ".bal_applied"))
          .as("every event applied exactly once")
          .containsExactlyInAnyOrderElementsOf(Bank.accountEventIds(writerStore));
      assertThat(Bank.balancesIn(writerStore.jdbi(), schema + ".bal_balances"))
          .isEqualTo(Bank.expectedBalances(writerStore));
    }
  }

  @Test
  void a_node_that_stops_signs_off_and_the_others_take_its_partitions() throws Exception {
    String schema = db.newSchema();
    List<PostgresEventStore> stores = new ArrayList<>();
    try (PostgresEventStore writerStore = Bank.store(db, schema, 2, "writer");
        ProjectionRunner a = node(schema, "a", stores);
        ProjectionRunner b = node(schema, "b", stores)) {
      for (int i = 0; i < 50; i++) {
        Bank.deposit(writerStore, Bank.account(i % 11), 1);
      }
      a.start();
      b.start();
      Bank.await("a and b hold 4 partitions each", MOVE, () -> evenlyOwnedBy(a, Set.of("a", "b")));
      b.stop("balances");
      Bank.await("a holds all of them", MOVE, () -> evenlyOwnedBy(a, Set.of("a")));
      assertThat(a.awaitCaughtUp("balances", Duration.ofSeconds(60))).isTrue();
      assertThat(Bank.appliedIn(writerStore.jdbi(), schema + ".bal_applied"))
          .containsExactlyInAnyOrderElementsOf(Bank.accountEventIds(writerStore));
    } finally {
      stores.forEach(PostgresEventStore::close);
    }
  }

  @Test
  void the_share_of_each_node_is_even_and_a_newcomer_is_fed_first() {
    Members.View joined = new Members.View(List.of("a", "b", "c"), 4, Map.of(0, "a", 1, "a", 2, "b", 3, "b"));
    assertThat(Members.balance(joined, "a")).isEqualTo(new Members.Balance(0, 1));
    assertThat(Members.balance(joined, "b")).isEqualTo(new Members.Balance(0, 1));
    assertThat(Members.balance(joined, "c")).isEqualTo(new Members.Balance(2, 0));

    Members.View evened = new Members.View(List.of("a", "b", "c"), 4, Map.of(0, "a", 1, "c", 2, "b", 3, "c"));
    // Nobody gives anything up; a and b would take one more only if one came free.
    assertThat(Members.balance(evened, "a")).isEqualTo(new Members.Balance(1, 0));
    assertThat(Members.balance(evened, "b")).isEqualTo(new Members.Balance(1, 0));
    assertThat(Members.balance(evened, "c")).isEqualTo(new Members.Balance(0, 0));

    Members.View alone = new Members.View(List.of("a"), 8, Map.of());
    assertThat(Members.balance(alone, "a")).isEqualTo(new Members.Balance(8, 0));

    Members.View crowded = new Members.View(List.of("a", "b", "c", "d"), 8,
        Map.of(0, "a", 1, "a", 2, "a", 3, "b", 4, "b", 5, "b", 6, "c", 7, "c"));
    assertThat(Members.balance(crowded, "a")).isEqualTo(new Members.Balance(0, 1));
    assertThat(Members.balance(crowded, "c")).isEqualTo(new Members.Balance(0, 0));
    assertThat(Members.balance(crowded, "d")).isEqualTo(new Members.Balance(2, 0));

    // Fewer partitions than nodes: the floor is zero, so an idle node never makes others give up.
    Members.View few = new Members.View(List.of("a", "b"), 1, Map.of(0, "a"));
    assertThat(Members.balance(few, "a")).isEqualTo(new Members.Balance(0, 0));
    assertThat(Members.balance(few, "b")).isEqualTo(new Members.Balance(1, 0));
  }

  private static ProjectionRunner node(String schema, String node, List<PostgresEventStore> stores) {
    PostgresEventStore store = Bank.store(db, schema, 3, "node-" + node, Duration.ZERO);
    stores.add(store);
    return Bank.runner(store, node, Bank.balances("balances", "bal", node, (e, c) -> {})
            .partitions(PARTITIONS).batchSize(20).build())
        .leaseDuration(Duration.ofSeconds(2)).build();
  }

  /** The node with a live lease on each partition, "-" for none. */
  private static Map<Integer, String> owners(ProjectionRunner runner) {
    Map<Integer, String> out = new TreeMap<>();
    runner.status("balances").forEach(s -> out.put(s.partition().index(),
        s.lease().map(ProjectionStatus.Lease::node).orElse("-")));
    return out;
  }

  /** Whether every partition has a live owner among {@code nodes}, each holding its even share. */
  private static boolean evenlyOwnedBy(ProjectionRunner observer, Set<String> nodes) {
    Map<Integer, String> owners = owners(observer);
    if (owners.size() != PARTITIONS || !nodes.containsAll(owners.values())) {
      return false;
    }
    Map<String, Integer> counts = new TreeMap<>();
    owners.values().forEach(n -> counts.merge(n, 1, Integer::sum));
    int floor = PARTITIONS / nodes.size();
    int ceiling = floor + (PARTITIONS % nodes.size() == 0 ? 0 : 1);
    return counts.size() == nodes.size()
        && counts.values().stream().allMatch(n -> n >= floor && n <= ceiling);
  }

  private static boolean appliedBy(PostgresEventStore store, String schema, String node) {
    return store.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM " + schema
        + ".bal_applied WHERE node = :node").bind("node", node).mapTo(Long.class).one()) > 0;
  }
}
