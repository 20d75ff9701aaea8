package dev.annals.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.annals.core.AggregateRepository;
import dev.annals.core.AggregateState;
import dev.annals.core.AggregateType;
import dev.annals.core.AsOf;
import dev.annals.core.CommandContext;
import dev.annals.core.Decider;
import dev.annals.core.EventRegistry;
import dev.annals.core.Snapshot;
import dev.annals.core.StreamId;
import dev.annals.testkit.PostgresTestDatabase;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class SnapshotsAndRepositoryIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  record Add(int n) {}

  record Added(int n) {}

  record Total(int sum) {}

  static final EventRegistry REGISTRY = EventRegistry.builder().register(Added.class, "Added").build();
  static final AggregateType<Add, Total, Added> COUNTER = AggregateType
      .builder("counter", Added.class, Decider.<Add, Total, Added>of(() -> new Total(0),
          (t, e) -> new Total(t.sum() + e.n()), (c, t) -> List.of(new Added(c.n()))))
      .snapshots(Total.class, 1).snapshotEvery(10).build();

  static HikariDataSource pool;
  static PostgresEventStore store;

  @BeforeAll
  static void open() {
    pool = Pools.pool(db, 4);
    store = PostgresEventStore.builder(REGISTRY).dataSource(pool).schema(db.schema()).installSchema(true).build();
  }

  @AfterAll
  static void close() {
    store.close();
    pool.close();
  }

  @Test
  void snapshots_are_kept_per_version_and_found_at_or_before_a_version() {
    PostgresSnapshotStore snapshots = store.snapshotStore();
    StreamId s = StreamId.of("counter", "x");
    // A snapshot is bound to its stream's event at its version, so the stream needs 20 events.
    try (AggregateRepository<Add, Total, Added> repo = AggregateRepository.builder(COUNTER, store).build()) {
      for (int i = 0; i < 20; i++) {
        repo.handle("x", new Add(1));
      }
    }
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    snapshots.save(new Snapshot(s, 10, 1, "{\"sum\": 10}", now));
    snapshots.save(new Snapshot(s, 20, 1, "{\"sum\": 20}", now));
    snapshots.save(new Snapshot(s, 20, 2, "{\"sum\": 21}", now));
    assertThat(snapshots.latest(s).orElseThrow()).isEqualTo(new Snapshot(s, 20, 2, "{\"sum\": 21}", now));
    assertThat(snapshots.latestAtOrBefore(s, 15).orElseThrow().version()).isEqualTo(10);
    assertThat(snapshots.latestAtOrBefore(s, 9)).isEmpty();
    assertThat(snapshots.latest(StreamId.of("counter", "none"))).isEmpty();
  }

  @Test
  void the_repository_runs_on_postgres_with_snapshots_and_temporal_loads() {
    try (AggregateRepository<Add, Total, Added> repo = AggregateRepository.builder(COUNTER, store)
        .snapshotStore(store.snapshotStore()).snapshotExecutor(Runnable::run).build()) {
      for (int i = 1; i <= 25; i++) {
        repo.handle("c1", new Add(i), CommandContext.of("add-" + i));
      }
      repo.handle("c1", new Add(25), CommandContext.of("add-25"));
      assertThat(store.snapshotStore().latest(StreamId.of("counter", "c1")).orElseThrow().version()).isEqualTo(20);
      repo.evict("c1");
      assertThat(repo.load("c1")).isEqualTo(new AggregateState<>(StreamId.of("counter", "c1"), new Total(325), 25));
      assertThat(repo.loadAsOf("c1", AsOf.version(12)).state()).isEqualTo(new Total(78));
      assertThat(repo.history("c1", AsOf.version(3)).events()).hasSize(3);
    }
  }
}
