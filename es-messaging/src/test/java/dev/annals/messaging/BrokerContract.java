package dev.annals.messaging;

import static org.assertj.core.api.Assertions.assertThat;

import dev.annals.core.RecordedEvent;
import dev.annals.core.StreamId;
import dev.annals.messaging.inbox.ConsumerCounts;
import dev.annals.messaging.inbox.Inbox;
import dev.annals.messaging.inbox.MessageHandler;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.projections.ProjectionRunner;
import dev.annals.projections.Projector;
import dev.annals.testkit.PostgresTestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

/**
 * What every broker binding must do, end to end against a real broker: publisher, broker,
 * consumer, inbox. A binding's test extends this with a {@link Broker} fixture.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
public abstract class BrokerContract {

  /** One test's broker resources, with names of their own; {@link #delete()} removes them. */
  public interface Broker {
    /** The broker's port on 127.0.0.1, for a proxy in front of it. */
    int port();

    /** A sink to the test's destination through 127.0.0.1:{@code port}. */
    MessageSink sink(int port);

    /** A started consumer of the test's destination. */
    Consumer consumer(Inbox inbox, String name, MessageHandler handler) throws Exception;

    /** Puts a message that is not a CloudEvent on the test's destination. */
    void publishGarbage(byte[] body) throws Exception;

    /**
     * Makes the broker deliver {@code sent}, which {@code current} has handled, once more;
     * returns the consumer that gets them (a new one if the broker needs it).
     */
    Consumer redeliver(MessageSink sink, List<OutgoingMessage> sent, Consumer current, Inbox inbox,
        String name, MessageHandler handler) throws Exception;

    /** The errors recorded with the consumer's dead letters, wherever this broker keeps them. */
    List<String> deadLetterErrors(Inbox inbox, String consumer) throws Exception;

    /** Deletes what the test made on the broker. */
    void delete() throws Exception;
  }

  /** A running consumer. */
  public interface Consumer extends AutoCloseable {
    ConsumerCounts counts();

    @Override
    void close();

    /** A consumer made of a broker consumer's own counts and close. */
    static Consumer of(java.util.function.Supplier<ConsumerCounts> counts, Runnable close) {
      return new Consumer() {
        @Override
        public ConsumerCounts counts() {
          return counts.get();
        }

        @Override
        public void close() {
          close.run();
        }
      };
    }
  }

  protected abstract PostgresTestDatabase db();

  protected abstract Broker broker() throws Exception;

  String schema;
  PostgresEventStore store;
  Inbox inbox;
  Broker broker;
  protected final List<AutoCloseable> closeLater = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    schema = db().newSchema();
    store = Fixtures.store(db(), schema);
    inbox = Inbox.install(store);
    store.jdbi().useHandle(h -> h.execute("CREATE TABLE " + schema + ".received (seq bigserial, "
        + "event_id uuid NOT NULL, stream text NOT NULL, version bigint NOT NULL)"));
    broker = broker();
  }

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closeLater.size() - 1; i >= 0; i--) {
      closeLater.get(i).close();
    }
    broker.delete();
    store.close();
  }

  /** A password in the message of the handler's failure; no dead letter may show it. */
  static final String LEDGER_PASSWORD = "ledger-pa55";

  /** Records each event in {@code received}, in the inbox transaction; refuses Frozen events. */
  MessageHandler recorder() {
    return (event, handle) -> {
      if (event.getType().equals("Frozen")) {
        throw new IllegalArgumentException("cannot take a frozen account: " + CloudEventMapper.dataAsString(event)
            + " (ledger at amqp://ledger:" + LEDGER_PASSWORD + "@ledger.local/bank)");
      }
      handle.execute("INSERT INTO " + schema + ".received (event_id, stream, version) VALUES (?, ?, ?)",
          CloudEventMapper.eventId(event), CloudEventMapper.streamId(event).toString(),
          CloudEventMapper.streamVersion(event));
    };
  }

  <T extends AutoCloseable> T later(T resource) {
    closeLater.add(resource);
    return resource;
  }

  long received() {
    return store.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM " + schema + ".received")
        .mapTo(Long.class).one());
  }

  @Test
  void ten_thousand_events_take_effect_exactly_once_in_stream_order_despite_a_publisher_crash_and_a_broker_outage()
      throws Exception {
    List<UUID> ids = Fixtures.appendDeposits(store, 20, 10_000);
    Consumer consumer = later(broker.consumer(inbox, "bank_mirror", recorder()));
    TcpProxy proxy = later(new TcpProxy(broker.port()));
    MessageSink sink = later(broker.sink(proxy.port()));

    // A first node crashes after the broker confirmed part of a batch, before its checkpoint.
    CrashingSink crashing = new CrashingSink(sink, 3_000);
    try (ProjectionRunner first = Fixtures.runner(store, "node1", publisher(crashing))) {
      first.start();
      Fixtures.await("the first node to crash", Duration.ofSeconds(60), crashing::crashed);
    }

    // A second node takes over; the broker goes away while it publishes, and comes back.
    OutageSink outage = new OutageSink(sink, proxy, 6_000);
    try (ProjectionRunner second = Fixtures.runner(store, "node2", publisher(outage))) {
      second.start();
      Fixtures.await("the broker outage", Duration.ofSeconds(60), () -> outage.failures() >= 3);
      PublisherStatus during = PublisherStatus.of(second, "mirror");
      assertThat(during.lastError()).as("last error while the broker is down").get().asString()
          .contains("target unavailable", sink.describe());
      assertThat(during.lagEvents()).as("lag while the broker is down").isPositive();
      long stuckAt = during.position();
      Fixtures.await("more failed tries", Duration.ofSeconds(60), () -> outage.failures() >= 5);
      assertThat(PublisherStatus.of(second, "mirror").position()).as("checkpoint while the broker is down")
          .isEqualTo(stuckAt);

      proxy.up();
      // Generous: 10,000 events through a broker on two cores shared with other builds once took
      // more than two minutes.
      assertThat(second.awaitCaughtUp("mirror", Duration.ofMinutes(5))).as("publisher caught up").isTrue();
      Fixtures.await("10,000 effects", Duration.ofMinutes(5), () -> received() >= 10_000);
      PublisherStatus after = PublisherStatus.of(second, "mirror");
      assertThat(after.lagEvents()).isZero();
      assertThat(after.openDeadLetters()).isZero();
      assertThat(after.position()).isEqualTo(store.headPosition());
    }

    List<UUID> effected = store.jdbi().withHandle(h -> h.createQuery("SELECT event_id FROM " + schema
        + ".received").mapTo(UUID.class).list());
    assertThat(effected).as("every event exactly once in effect").hasSize(10_000)
        .containsExactlyInAnyOrderElementsOf(ids);
    Map<String, Long> lastVersion = new HashMap<>();
    store.jdbi().useHandle(h -> h.createQuery("SELECT stream, version FROM " + schema + ".received ORDER BY seq")
        .map((rs, ctx) -> Map.entry(rs.getString(1), rs.getLong(2)))
        .forEach(e -> {
          long previous = lastVersion.getOrDefault(e.getKey(), 0L);
          assertThat(e.getValue()).as("version after %s in stream %s", previous, e.getKey()).isEqualTo(previous + 1);
          lastVersion.put(e.getKey(), e.getValue());
        }));
    assertThat(crashing.sentBeforeCrash()).as("messages confirmed but not checkpointed by the crashed node").isPositive();
    assertThat(consumer.counts().deadLettered()).isZero();
  }

  @Test
  void a_redelivered_message_is_ignored_by_the_inbox() throws Exception {
    UUID one = Fixtures.append(store, StreamId.of("account", "r1"), new Fixtures.Deposited(5));
    UUID two = Fixtures.append(store, StreamId.of("account", "r1"), new Fixtures.Deposited(6));
    MessageSink sink = later(broker.sink(broker.port()));
    List<OutgoingMessage> sent = messages();
    sink.send(sent);
    Consumer consumer = later(broker.consumer(inbox, "redelivery", recorder()));
    Fixtures.await("both effects", Duration.ofSeconds(30), () -> consumer.counts().applied() == 2);

    Consumer again = broker.redeliver(sink, sent, consumer, inbox, "redelivery", recorder());
    Fixtures.await("both messages delivered again", Duration.ofSeconds(30),
        () -> again.counts().duplicates() == 2);

    assertThat(received()).as("effects after the redelivery").isEqualTo(2);
    assertThat(inbox.seen("redelivery", one.toString())).isTrue();
    assertThat(inbox.seen("redelivery", two.toString())).isTrue();
  }

  @Test
  void a_poison_message_lands_in_the_dead_letters_with_its_error_and_the_rest_goes_on() throws Exception {
    StreamId stream = StreamId.of("account", "p1");
    Fixtures.append(store, stream, new Fixtures.Deposited(1));
    Fixtures.append(store, stream, new Fixtures.Frozen("court order"));
    Fixtures.append(store, stream, new Fixtures.Deposited(2));
    MessageSink sink = later(broker.sink(broker.port()));
    broker.publishGarbage("this is not a CloudEvent".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    sink.send(messages());
    AtomicInteger tries = new AtomicInteger();
    MessageHandler counting = (event, handle) -> {
      if (event.getType().equals("Frozen")) {
        tries.incrementAndGet();
      }
      recorder().handle(event, handle);
    };
    Consumer consumer = later(broker.consumer(inbox, "poison", counting));
    Fixtures.await("two effects and two dead letters", Duration.ofSeconds(30),
        () -> consumer.counts().applied() == 2 && consumer.counts().deadLettered() == 2);

    assertThat(tries.get()).as("tries of the poison message").isEqualTo(3);
    List<String> errors = broker.deadLetterErrors(inbox, "poison");
    assertThat(errors).hasSize(2);
    assertThat(errors).anySatisfy(e -> assertThat(e).contains("not a CloudEvent"));
    assertThat(errors).anySatisfy(e -> assertThat(e).contains("IllegalArgumentException",
        "cannot take a frozen account", "court order", "amqp://ledger:***@ledger.local"));
    assertThat(errors).as("dead letter errors").noneMatch(e -> e.contains(LEDGER_PASSWORD));
    assertThat(received()).isEqualTo(2);
  }

  /** Every event of the store as the publisher would send it. */
  List<OutgoingMessage> messages() {
    CloudEventMapper mapper = Fixtures.mapper();
    List<OutgoingMessage> out = new ArrayList<>();
    for (RecordedEvent e : store.readAll(0, 1000, dev.annals.core.LogFilter.all())) {
      out.add(mapper.toMessage(e));
    }
    return out;
  }

  Projector publisher(MessageSink sink) {
    return Publisher.builder("mirror", sink).mapper(Fixtures.mapper())
        .filter(dev.annals.core.LogFilter.categories("account"))
        .batchSize(200)
        .retries(3, Duration.ofMillis(20), Duration.ofMillis(200))
        .build();
  }

  /** Sends through {@code inner} until {@code crashAfter} messages, then half a batch, then dies. */
  static final class CrashingSink implements MessageSink {
    private final MessageSink inner;
    private final int crashAfter;
    private int sent;
    private final AtomicBoolean crashed = new AtomicBoolean();

    CrashingSink(MessageSink inner, int crashAfter) {
      this.inner = inner;
      this.crashAfter = crashAfter;
    }

    @Override
    public String describe() {
      return inner.describe();
    }

    @Override
    public synchronized void send(List<OutgoingMessage> batch) throws Exception {
      if (crashed.get()) {
        throw new Error("this node has crashed");
      }
      if (sent + batch.size() > crashAfter) {
        inner.send(batch.subList(0, Math.max(1, batch.size() / 2)));
        crashed.set(true);
        throw new Error("simulated crash after the broker confirmed half a batch");
      }
      inner.send(batch);
      sent += batch.size();
    }

    boolean crashed() {
      return crashed.get();
    }

    synchronized int sentBeforeCrash() {
      return sent;
    }

    @Override
    public void close() {}
  }

  /** Takes the proxy down once {@code after} messages went through, and counts failed sends. */
  static final class OutageSink implements MessageSink {
    private final MessageSink inner;
    private final TcpProxy proxy;
    private final int after;
    private int sent;
    private boolean tripped;
    private final AtomicInteger failures = new AtomicInteger();

    OutageSink(MessageSink inner, TcpProxy proxy, int after) {
      this.inner = inner;
      this.proxy = proxy;
      this.after = after;
    }

    @Override
    public String describe() {
      return inner.describe();
    }

    @Override
    public synchronized void send(List<OutgoingMessage> batch) throws Exception {
      if (!tripped && sent >= after) {
        tripped = true;
        proxy.down();
      }
      try {
        inner.send(batch);
        sent += batch.size();
      } catch (Exception e) {
        failures.incrementAndGet();
        throw e;
      }
    }

    int failures() {
      return failures.get();
    }

    @Override
    public void close() {}
  }
}
