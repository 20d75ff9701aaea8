package dev.annals.projections;

import dev.annals.core.EventRegistry;
import dev.annals.core.ExpectedVersion;
import dev.annals.core.NewEvent;
import dev.annals.core.RecordedEvent;
import dev.annals.core.StreamId;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.testkit.Await;
import dev.annals.testkit.PostgresTestDatabase;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.jdbi.v3.core.Jdbi;

/** Events, stores and a balances projector shared by the tests. */
final class Bank {

  /** Money paid into an account (the stream). */
  record Deposited(long cents) {}

  /** Money taken out. */
  record Withdrawn(long cents) {}

  /** Something the projectors do not expect. */
  record Frozen(String reason) {}

  private Bank() {}

  static EventRegistry registry() {
    return EventRegistry.builder()
        .register(Deposited.class, "Deposited")
        .register(Withdrawn.class, "Withdrawn")
        .register(Frozen.class, "Frozen")
        .build();
  }

  /** A store with a pool of its own, whose connections carry {@code application} as their name. */
  static PostgresEventStore store(PostgresTestDatabase db, String schema, int poolSize, String application) {
    String url = db.jdbcUrl();
    url += (url.contains("?") ? "&" : "?") + "ApplicationName=" + application;
    return PostgresEventStore.builder(registry()).jdbcUrl(url).poolSize(poolSize).schema(schema)
        .installSchema(true).connectionTimeout(Duration.ofSeconds(30)).build();
  }

  /**
   * A store for one simulated node: {@code notifyInterval} zero sends no notifications and needs
   * no listening connection; its pool gives up waiting for a connection after two seconds, so
   * that a node whose pool is closed under it (a dead node) stops quickly.
   */
  static PostgresEventStore store(PostgresTestDatabase db, String schema, int poolSize, String application,
      Duration notifyInterval) {
    String url = db.jdbcUrl();
    url += (url.contains("?") ? "&" : "?") + "ApplicationName=" + application;
    return PostgresEventStore.builder(registry()).jdbcUrl(url).poolSize(poolSize).schema(schema)
        .installSchema(true).notifyInterval(notifyInterval).connectionTimeout(Duration.ofSeconds(2)).build();
  }

  /** A runner builder with test-friendly timings: short lease, fast polling, quiet progress. */
  static ProjectionRunner.Builder runner(PostgresEventStore store, String node, Projector... projectors) {
    ProjectionRunner.Builder b = ProjectionRunner.builder(store).nodeId(node).installSchema(true)
        .leaseDuration(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(5), Duration.ofMillis(50))
        .rebuildProgress(p -> {}, Duration.ofSeconds(5));
    for (Projector p : projectors) {
      b.projector(p);
    }
    return b;
  }

  /** Waits for a condition, failing with {@code what} after {@code timeout}. */
  static void await(String what, Duration timeout, java.util.function.BooleanSupplier condition) {
    Await.until(what, timeout, condition);
  }

  static StreamId account(int n) {
    return StreamId.of("account", "a" + n);
  }

  static void deposit(PostgresEventStore store, StreamId account, long cents) {
    store.append(account, ExpectedVersion.any(), NewEvent.of(new Deposited(cents)));
  }

  /** Something to run before a handler applies an event, to make it fail or stall. */
  @FunctionalInterface
  interface Hook {
    void before(RecordedEvent event, ProjectionContext ctx) throws Exception;
  }

  /**
   * A read model of balances: {@code <prefix>_balances} (account, cents, events) and
   * {@code <prefix>_applied} (one row per event id, primary key: applying an event twice fails).
   */
  static Projector.ReadModelBuilder balances(String name, String prefix, String node, Hook hook) {
    String balances = prefix + "_balances";
    String applied = prefix + "_applied";
    return Projector.builder(name)
        .filter(dev.annals.core.LogFilter.categories("account"))
        .tables(balances, applied)
        .setup(t -> {
          t.handle().execute("CREATE TABLE " + t.table(balances)
              + " (account text PRIMARY KEY, cents bigint NOT NULL, events integer NOT NULL)");
          t.handle().execute("CREATE TABLE " + t.table(applied) + " (event_id uuid PRIMARY KEY, "
              + "position bigint NOT NULL, stream text NOT NULL, version bigint NOT NULL, node text NOT NULL)");
        })
        .handler((event, ctx) -> {
          hook.before(event, ctx);
          long delta;
          if (event.payload() instanceof Deposited d) {
            delta = d.cents();
          } else if (event.payload() instanceof Withdrawn w) {
            delta = -w.cents();
          } else {
            throw new IllegalArgumentException("unexpected event " + event.type());
          }
          ctx.handle().execute("INSERT INTO " + ctx.table(applied) + " VALUES (?, ?, ?, ?, ?)",
              ctx.idempotencyKey(), event.position(), event.streamId().toString(), event.version(), node);
          ctx.handle().execute("INSERT INTO " + ctx.table(balances) + " VALUES (?, ?, 1) "
              + "ON CONFLICT (account) DO UPDATE SET cents = " + ctx.table(balances) + ".cents + excluded.cents, "
              + "events = " + ctx.table(balances) + ".events + 1", event.streamId().id(), delta);
        });
  }

  static Projector.ReadModelBuilder balances(String name, String prefix) {
    return balances(name, prefix, "n", (e, c) -> {});
  }

  /** account id → cents, read from a table or view. */
  static Map<String, Long> balancesIn(Jdbi jdbi, String table) {
    Map<String, Long> out = new TreeMap<>();
    jdbi.useHandle(h -> h.createQuery("SELECT account, cents FROM " + table)
        .map((rs, ctx) -> Map.entry(rs.getString(1), rs.getLong(2)))
        .forEach(e -> out.put(e.getKey(), e.getValue())));
    return out;
  }

  /** The event ids applied, with how often (the primary key makes it at most once). */
  static List<UUID> appliedIn(Jdbi jdbi, String table) {
    return jdbi.withHandle(h -> h.createQuery("SELECT event_id FROM " + table + " ORDER BY position")
        .mapTo(UUID.class).list());
  }

  /** Expected balances from the events of the account category, computed in Java. */
  static Map<String, Long> expectedBalances(PostgresEventStore store) {
    Map<String, Long> out = new TreeMap<>();
    long after = 0;
    while (true) {
      List<RecordedEvent> page = store.readAll(after, 1000, dev.annals.core.LogFilter.categories("account"));
      if (page.isEmpty()) {
        return out;
      }
      for (RecordedEvent e : page) {
        long delta = e.payload() instanceof Deposited d ? d.cents()
            : e.payload() instanceof Withdrawn w ? -w.cents() : 0;
        out.merge(e.streamId().id(), delta, Long::sum);
      }
      after = page.get(page.size() - 1).position();
    }
  }

  /** Every event id of the account category. */
  static List<UUID> accountEventIds(PostgresEventStore store) {
    Map<Long, UUID> byPosition = new HashMap<>();
    long after = 0;
    while (true) {
      List<RecordedEvent> page = store.readAll(after, 1000, dev.annals.core.LogFilter.categories("account"));
      if (page.isEmpty()) {
        return new TreeMap<>(byPosition).values().stream().toList();
      }
      page.forEach(e -> byPosition.put(e.position(), e.eventId()));
      after = page.get(page.size() - 1).position();
    }
  }
}
