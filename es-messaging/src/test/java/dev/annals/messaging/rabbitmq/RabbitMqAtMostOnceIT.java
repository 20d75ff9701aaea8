package dev.annals.messaging.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import dev.annals.core.StreamId;
import dev.annals.messaging.Fixtures;
import dev.annals.messaging.CountingSink;
import dev.annals.messaging.Publisher;
import dev.annals.messaging.PublisherStatus;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.projections.ProjectionRunner;
import dev.annals.testkit.PostgresTestDatabase;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A publisher at most once (fire and forget) against the RabbitMQ server on 127.0.0.1:5672. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class RabbitMqAtMostOnceIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  PostgresEventStore store;

  @BeforeAll
  static void rabbitMqIsRunning() {
    Fixtures.requireListening("RabbitMQ", RabbitMqIT.PORT, "rabbitmq-server -detached");
  }

  @BeforeEach
  void setUp() {
    store = Fixtures.store(db, db.newSchema());
  }

  @AfterEach
  void tearDown() {
    store.close();
  }

  List<UUID> append(int streams, int perStream) {
    List<UUID> ids = new ArrayList<>();
    for (int v = 0; v < perStream; v++) {
      for (int s = 0; s < streams; s++) {
        ids.add(Fixtures.append(store, StreamId.of("account", "n" + s), new Fixtures.Deposited(v + 1)));
      }
    }
    return ids;
  }

  @Test
  void with_the_broker_down_the_publisher_drops_each_batch_once_and_moves_on() throws Exception {
    List<UUID> ids = append(5, 10);
    RabbitMqSink down = RabbitMqSink.builder(RabbitMqIT.factory(Fixtures.closedPort())).exchange("notifications").build();
    CountingSink counting = new CountingSink(down);

    try (ProjectionRunner runner = Fixtures.runner(store, "node1", Publisher.builder("notify", counting)
        .mapper(Fixtures.mapper()).batchSize(10).atMostOnce().build())) {
      runner.start();
      assertThat(runner.awaitCaughtUp("notify", Duration.ofMinutes(2))).as("caught up with the broker down")
          .isTrue();
      PublisherStatus status = PublisherStatus.of(runner, "notify");
      assertThat(status.position()).as("checkpoint").isEqualTo(store.headPosition());
      assertThat(status.lastError()).as("a dropped batch is no error of the publisher").isEmpty();
      assertThat(status.openDeadLetters()).isZero();
    }

    assertThat(counting.offered()).as("times each event was offered to the sink")
        .containsOnlyKeys(ids.stream().map(UUID::toString).toList())
        .allSatisfy((id, times) -> assertThat(times).as("offers of %s", id).isEqualTo(1));
    assertThat(counting.failed()).as("batches the sink refused").isEqualTo(counting.calls()).isPositive();
    assertThat(counting.confirmedSends()).as("confirmed sends").isZero();
    assertThatThrownBy(() -> down.sendAtMostOnce(Fixtures.messages(store).subList(0, 1)))
        .as("a direct send with no broker").isInstanceOf(IOException.class);
  }

  @Test
  void with_the_broker_up_every_event_arrives_in_log_order_without_confirms() throws Exception {
    List<UUID> ids = append(3, 10);
    String base = "annals.it.amo." + UUID.randomUUID().toString().substring(0, 8);
    try (Connection admin = RabbitMqIT.factory(RabbitMqIT.PORT).newConnection("annals-test-admin")) {
      Channel ch = admin.createChannel();
      ch.exchangeDeclare(base, BuiltinExchangeType.DIRECT, false, true, null);
      ch.queueDeclare(base + ".account", false, false, true, null);
      ch.queueBind(base + ".account", base, "account");
      try (RabbitMqSink sink = RabbitMqSink.builder(RabbitMqIT.factory(RabbitMqIT.PORT)).exchange(base).build();
          ProjectionRunner runner = Fixtures.runner(store, "node1", Publisher.builder("notify", sink)
              .mapper(Fixtures.mapper()).batchSize(7).atMostOnce().build())) {
        runner.start();
        Fixtures.await("30 messages in the queue", Duration.ofMinutes(2),
            () -> messageCount(ch, base + ".account") == 30);
      }
      List<String> got = new ArrayList<>();
      GetResponse r;
      while ((r = ch.basicGet(base + ".account", true)) != null) {
        got.add(r.getProps().getMessageId());
      }
      assertThat(got).as("message ids in queue order").containsExactlyElementsOf(
          ids.stream().map(UUID::toString).toList());
      ch.queueDelete(base + ".account");
      ch.exchangeDelete(base);
    }
  }

  static long messageCount(Channel ch, String queue) {
    try {
      return ch.messageCount(queue);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
