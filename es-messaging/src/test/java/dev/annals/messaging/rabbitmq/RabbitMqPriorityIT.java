package dev.annals.messaging.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import dev.annals.core.ExpectedVersion;
import dev.annals.core.NewEvent;
import dev.annals.core.StreamId;
import dev.annals.messaging.CloudEventMapper;
import dev.annals.messaging.Fixtures;
import dev.annals.messaging.Publisher;
import dev.annals.messaging.inbox.Inbox;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.projections.ProjectionRunner;
import dev.annals.testkit.PostgresTestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A priority lane on a RabbitMQ priority queue: fraud alerts overtake a backlog of statements,
 * and each stream keeps its order.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class RabbitMqPriorityIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  static final int PREFETCH = 10;

  String schema;
  PostgresEventStore store;
  Inbox inbox;
  Connection admin;
  Channel ch;
  String exchange;
  String queue;

  @BeforeAll
  static void rabbitMqIsRunning() {
    Fixtures.requireListening("RabbitMQ", RabbitMqIT.PORT, "rabbitmq-server -detached");
  }

  @BeforeEach
  void setUp() throws Exception {
    schema = db.newSchema();
    store = Fixtures.store(db, schema);
    inbox = Inbox.install(store);
    store.jdbi().useHandle(h -> h.execute("CREATE TABLE " + schema + ".handled (seq bigserial, "
        + "category text NOT NULL, stream text NOT NULL, version bigint NOT NULL)"));
    String base = "annals.it.prio." + UUID.randomUUID().toString().substring(0, 8);
    exchange = base + ".events";
    queue = base + ".work";
    admin = RabbitMqIT.factory(RabbitMqIT.PORT).newConnection("annals-test-admin");
    ch = admin.createChannel();
    ch.exchangeDeclare(exchange, BuiltinExchangeType.DIRECT, false, false, null);
    ch.queueDeclare(queue, false, false, false, Map.of("x-max-priority", 10));
    ch.queueBind(queue, exchange, "statement");
    ch.queueBind(queue, exchange, "fraud");
  }

  @AfterEach
  void tearDown() throws Exception {
    ch.queueDelete(queue);
    ch.queueDelete(queue + ".dead");
    ch.exchangeDelete(exchange);
    admin.close();
    store.close();
  }

  long handled() {
    return store.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM " + schema + ".handled")
        .mapTo(Long.class).one());
  }

  @Test
  void a_fraud_alert_overtakes_a_backlog_of_ten_thousand_statements_and_each_stream_stays_in_order()
      throws Exception {
    for (int round = 0; round < 500; round++) {
      for (int s = 0; s < 20; s++) {
        store.append(StreamId.of("statement", "s" + s), ExpectedVersion.any(),
            NewEvent.of(new Fixtures.Deposited(round + 1)));
      }
    }
    // Appended last, behind all 10,000 statements in the log and in the queue.
    Fixtures.append(store, StreamId.of("fraud", "f1"), new Fixtures.Frozen("card cloned"));

    try (RabbitMqSink sink = RabbitMqSink.builder(RabbitMqIT.factory(RabbitMqIT.PORT)).exchange(exchange)
        .priority("fraud", 9).build();
        ProjectionRunner runner = Fixtures.runner(store, "node1", Publisher.builder("lanes", sink)
            .mapper(Fixtures.mapper()).build())) {
      runner.start();
      assertThat(runner.awaitCaughtUp("lanes", Duration.ofMinutes(5))).as("all published").isTrue();
    }
    assertThat(ch.messageCount(queue)).as("backlog").isEqualTo(10_001);

    RabbitMqConsumer consumer = RabbitMqConsumer.builder(RabbitMqIT.factory(RabbitMqIT.PORT), queue, "work",
        inbox, (event, handle) -> handle.execute("INSERT INTO " + schema + ".handled (category, stream, version) "
            + "VALUES (?, ?, ?)", CloudEventMapper.streamId(event).category(),
            CloudEventMapper.streamId(event).toString(), CloudEventMapper.streamVersion(event)))
        .prefetch(PREFETCH).build();
    try {
      consumer.start();
      Fixtures.await("the backlog to drain", Duration.ofMinutes(5), () -> handled() == 10_001);
    } finally {
      consumer.close();
    }

    long fraudSeq = store.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM " + schema
        + ".handled WHERE seq <= (SELECT seq FROM " + schema + ".handled WHERE category = 'fraud')")
        .mapTo(Long.class).one());
    assertThat(fraudSeq).as("place of the fraud alert in the order of handling (1 = first)")
        .isLessThanOrEqualTo(PREFETCH);
    Map<String, Long> last = new HashMap<>();
    List<String> outOfOrder = new ArrayList<>();
    store.jdbi().useHandle(h -> h.createQuery("SELECT stream, version FROM " + schema + ".handled ORDER BY seq")
        .map((rs, ctx) -> Map.entry(rs.getString(1), rs.getLong(2)))
        .forEach(e -> {
          long previous = last.getOrDefault(e.getKey(), 0L);
          if (e.getValue() != previous + 1) {
            outOfOrder.add(e.getKey() + " v" + e.getValue() + " after v" + previous);
          }
          last.put(e.getKey(), e.getValue());
        }));
    assertThat(outOfOrder).as("streams out of order").isEmpty();
  }

  @Test
  void a_priority_out_of_range_or_given_twice_is_refused() {
    RabbitMqSink.Builder b = RabbitMqSink.builder(RabbitMqIT.factory(RabbitMqIT.PORT)).exchange("x");
    assertThatThrownBy(() -> b.priority("fraud", 256)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("fraud").hasMessageContaining("256");
    b.priority("fraud", 9);
    assertThatThrownBy(() -> b.priority("fraud", 5)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("already");
  }
}
