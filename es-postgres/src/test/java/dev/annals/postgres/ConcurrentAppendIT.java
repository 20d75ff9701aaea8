package dev.annals.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.annals.core.ConcurrencyConflictException;
import dev.annals.core.ExpectedVersion;
import dev.annals.core.NewEvent;
import dev.annals.core.RecordedEvent;
import dev.annals.core.StreamId;
import dev.annals.testkit.ContractEvents;
import dev.annals.testkit.ContractEvents.ItemAdded;
import dev.annals.testkit.PostgresTestDatabase;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ConcurrentAppendIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  static HikariDataSource pool;
  static PostgresEventStore store;

  @BeforeAll
  static void open() {
    pool = Pools.pool(db, 20);
    store = PostgresEventStore.builder(ContractEvents.registry()).dataSource(pool)
        .schema(db.schema()).installSchema(true).build();
  }

  @AfterAll
  static void close() {
    store.close();
    pool.close();
  }

  @Test
  void sixteen_writers_on_one_stream_for_seconds_lose_and_duplicate_nothing() throws Exception {
    StreamId stream = StreamId.of("cart", "hot");
    int threads = 16;
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
    AtomicInteger successes = new AtomicInteger();
    AtomicInteger conflicts = new AtomicInteger();
    Set<UUID> acknowledged = ConcurrentHashMap.newKeySet();
    List<Throwable> unexpected = Collections.synchronizedList(new ArrayList<>());
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService executor = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        futures.add(executor.submit(() -> {
          start.await();
          while (System.nanoTime() < until) {
            long version = store.streamVersion(stream);
            NewEvent e = NewEvent.of(new ItemAdded("x", 1));
            try {
              store.append(stream, ExpectedVersion.exactly(version), e);
              successes.incrementAndGet();
              acknowledged.add(e.eventId());
            } catch (ConcurrencyConflictException c) {
              conflicts.incrementAndGet();
              assertThat(c.actualVersion()).isGreaterThan(version);
            } catch (Throwable other) {
              unexpected.add(other);
              return null;
            }
          }
          return null;
        }));
      }
      start.countDown();
      for (Future<?> f : futures) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      executor.shutdownNow();
    }
    assertThat(unexpected).as("errors other than conflicts").isEmpty();
    assertThat(conflicts.get()).as("the writers really competed").isPositive();
    List<RecordedEvent> events = store.readStream(stream);
    assertThat(events).extracting(RecordedEvent::version)
        .containsExactlyElementsOf(LongStream.rangeClosed(1, successes.get()).boxed().toList());
    assertThat(events).extracting(RecordedEvent::eventId).containsExactlyInAnyOrderElementsOf(acknowledged);
    assertThat(store.streamVersion(stream)).isEqualTo(successes.get());
    // Losers fail before taking a position: positions used equal events stored.
    assertThat(store.headPosition()).isEqualTo(successes.get());
  }
}
