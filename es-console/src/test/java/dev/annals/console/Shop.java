package dev.annals.console;

import dev.annals.core.AggregateRepository;
import dev.annals.core.AggregateType;
import dev.annals.core.CommandContext;
import dev.annals.core.Decider;
import dev.annals.core.DomainException;
import dev.annals.core.EventRegistry;
import dev.annals.core.LogFilter;
import dev.annals.messaging.CloudEventMapper;
import dev.annals.messaging.webhooks.WebhookSecretKey;
import dev.annals.messaging.webhooks.Webhooks;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.projections.FailurePolicy;
import dev.annals.projections.ProjectionRunner;
import dev.annals.projections.Projector;
import dev.annals.testkit.PostgresTestDatabase;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The console tests' own small application: accounts and parcels, two aggregates, and two
 * projectors over them. The parcels projector fails on a parcel sent to an address in
 * {@link #poisoned} until the address is taken out, as a bug fixed by a deployment would.
 */
final class Shop implements AutoCloseable {

  sealed interface AccountEvent {}

  record Opened(String owner) implements AccountEvent {}

  record Deposited(long cents) implements AccountEvent {}

  sealed interface AccountCommand {}

  record Open(String owner) implements AccountCommand {}

  record Deposit(long cents) implements AccountCommand {}

  record Account(String owner, long cents) {}

  sealed interface ParcelEvent {}

  record Sent(String to) implements ParcelEvent {}

  record Send(String to) {}

  static final AggregateType<AccountCommand, Account, AccountEvent> ACCOUNT = AggregateType.builder("account",
      AccountEvent.class, Decider.<AccountCommand, Account, AccountEvent>of(
          () -> new Account(null, 0),
          (s, e) -> e instanceof Opened o ? new Account(o.owner(), 0)
              : new Account(s.owner(), s.cents() + ((Deposited) e).cents()),
          (c, s) -> {
            if (c instanceof Open o) {
              return List.of(new Opened(o.owner()));
            }
            if (s.owner() == null) {
              throw new DomainException("account not open");
            }
            return List.of(new Deposited(((Deposit) c).cents()));
          })).build();

  static final AggregateType<Send, String, ParcelEvent> PARCEL = AggregateType.builder("parcel",
      ParcelEvent.class, Decider.<Send, String, ParcelEvent>of(() -> "", (s, e) -> ((Sent) e).to(),
          (c, s) -> List.of(new Sent(c.to())))).build();

  static EventRegistry registry() {
    // The webhooks read every category, the console's audit events too.
    return ConsoleServer.registerAuditEvents(EventRegistry.builder())
        .register(Opened.class, "account.Opened")
        .register(Deposited.class, "account.Deposited")
        .register(Sent.class, "parcel.Sent")
        .build();
  }

  final Set<String> poisoned = ConcurrentHashMap.newKeySet();
  final PostgresEventStore store;
  final AggregateRepository<AccountCommand, Account, AccountEvent> accounts;
  final AggregateRepository<Send, String, ParcelEvent> parcels;
  final ProjectionRunner runner;
  final Webhooks webhooks;

  Shop(PostgresTestDatabase db) {
    store = PostgresEventStore.builder(registry()).jdbcUrl(db.jdbcUrl()).schema(db.schema()).poolSize(6)
        .installSchema(true).connectionTimeout(Duration.ofSeconds(30)).build();
    accounts = AggregateRepository.builder(ACCOUNT, store).build();
    parcels = AggregateRepository.builder(PARCEL, store).build();
    // Parcels are announced to webhook subscribers; a subscriber failing for 300 ms is parked.
    webhooks = Webhooks.builder(store, CloudEventMapper.builder(registry()).source("urn:annals:test:shop").build())
        .secretKey(WebhookSecretKey.generate()).allowLoopback(true).pollInterval(Duration.ofMillis(10))
        .retries(Duration.ofMillis(20), Duration.ofMillis(50)).parkAfter(Duration.ofMillis(300))
        .requestTimeout(Duration.ofSeconds(5)).build();
    // The ledger's version 1 is installed here; version 2, run by the shop, replaces it once
    // caught up and leaves it retired, with its table, for the console to drop.
    try (ProjectionRunner first = ProjectionRunner.builder(store).nodeId("shop-0").installSchema(true)
        .projector(ledger(1)).build()) {
      first.catchUp("ledger");
    }
    runner = ProjectionRunner.builder(store).nodeId("shop-1").installSchema(true)
        .leaseDuration(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(10), Duration.ofMillis(100))
        .projector(balances()).projector(parcelsProjector()).projector(webhooks.projector()).projector(ledger(2))
        .build();
  }

  /** Every account event's id, per version in a table of its own. */
  static Projector ledger(int version) {
    return Projector.builder("ledger")
        .version(version)
        .filter(LogFilter.categories("account"))
        .tables("ledger")
        .setup(t -> t.handle().execute("CREATE TABLE " + t.table("ledger") + " (event_id uuid PRIMARY KEY)"))
        .handler((event, ctx) -> ctx.handle().execute("INSERT INTO " + ctx.table("ledger")
            + " VALUES (?) ON CONFLICT DO NOTHING", ctx.idempotencyKey()))
        .build();
  }

  /** Whether a table exists, by schema-qualified name. */
  boolean exists(String table) {
    return store.withHandle("look for a table", h -> h.createQuery("SELECT to_regclass(:t) IS NOT NULL")
        .bind("t", table).mapTo(Boolean.class).one());
  }

  private static Projector balances() {
    return Projector.builder("balances")
        .filter(LogFilter.categories("account"))
        .tables("balances")
        .setup(t -> t.handle().execute("CREATE TABLE " + t.table("balances")
            + " (account text PRIMARY KEY, cents bigint NOT NULL)"))
        .handler((event, ctx) -> {
          long delta = event.payload() instanceof Deposited d ? d.cents() : 0;
          ctx.handle().execute("INSERT INTO " + ctx.table("balances") + " AS b VALUES (?, ?) "
              + "ON CONFLICT (account) DO UPDATE SET cents = b.cents + excluded.cents", event.streamId().id(), delta);
        })
        .build();
  }

  private Projector parcelsProjector() {
    return Projector.builder("parcels")
        .filter(LogFilter.categories("parcel"))
        .tables("parcels")
        .setup(t -> t.handle().execute("CREATE TABLE " + t.table("parcels") + " (parcel text PRIMARY KEY, to_address text)"))
        .onFailure(FailurePolicy.CONTINUE)
        .retries(1, Duration.ofMillis(1), Duration.ofMillis(1))
        .handler((event, ctx) -> {
          String to = event.payload(Sent.class).to();
          if (poisoned.contains(to)) {
            throw new IllegalStateException("no route to " + to);
          }
          ctx.handle().execute("INSERT INTO " + ctx.table("parcels") + " VALUES (?, ?) ON CONFLICT (parcel) "
              + "DO UPDATE SET to_address = excluded.to_address", event.streamId().id(), to);
        })
        .build();
  }

  void open(String id, String owner) {
    accounts.handle(id, new Open(owner), CommandContext.random());
  }

  void deposit(String id, long cents) {
    accounts.handle(id, new Deposit(cents), CommandContext.random());
  }

  void send(String id, String to) {
    parcels.handle(id, new Send(to), CommandContext.random());
  }

  long balance(String id) {
    return store.withHandle("read a balance", h -> h.createQuery("SELECT coalesce(max(cents), -1) FROM "
        + store.schema() + ".balances WHERE account = :a").bind("a", id).mapTo(Long.class).one());
  }

  /** A console over this shop on a free port, with an operator and a viewer. */
  ConsoleServer console() {
    return ConsoleServer.builder(store).runner(runner).webhooks(webhooks).port(0)
        .decoder("account", StateDecoder.of(accounts))
        .user(ConsoleUser.parse("olga:operator:{noop}" + OPERATOR_PASSWORD))
        .user(ConsoleUser.parse("vic:viewer:{noop}" + VIEWER_PASSWORD))
        .start();
  }

  static final String OPERATOR_PASSWORD = "olga-secret-1";
  static final String VIEWER_PASSWORD = "vic-secret-2";

  @Override
  public void close() {
    webhooks.close();
    runner.close();
    accounts.close();
    parcels.close();
    store.close();
  }
}
