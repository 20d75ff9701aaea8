package dev.annals.messaging.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.annals.messaging.MessageSink;
import dev.annals.messaging.OutgoingMessage;
import dev.annals.messaging.Publisher;
import dev.annals.messaging.PublisherStatus;
import dev.annals.messaging.inbox.Inbox;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.projections.ProjectionRunner;
import dev.annals.projections.Projector;
import dev.annals.testkit.PostgresTestDatabase;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The whole path: events appended to PostgreSQL, published to Kafka by a {@link Publisher} with a
 * {@link KafkaSink}, consumed by a {@link KafkaInboxConsumer} into a table. Whatever fails in
 * between (the publisher dying after Kafka confirmed a batch, Kafka going away), every event ends
 * up with exactly one effect, and each stream's effects commit in version order.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class PublishAndConsumeIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  @RegisterExtension
  static final KafkaTestBroker kafka = KafkaTestBroker.create();

  private static final int STREAMS = 100;
  private static final int PER_STREAM = 100;
  private static final int EVENTS = STREAMS * PER_STREAM;
  private static final Duration DELIVERED = Duration.ofMinutes(5);

  /** Stands for the publisher's JVM dying: nothing catches it, the checkpoint never moves. */
  static final class Crash extends Error {
    private static final long serialVersionUID = 1L;

    Crash() {
      super("simulated crash of the publisher after Kafka confirmed a batch");
    }
  }

  /** Passes batches on and dies right after Kafka confirmed the {@code crashAfter}-th one. */
  static final class CrashingSink implements MessageSink {
    private final MessageSink delegate;
    private final int crashAfter;
    private final AtomicInteger batches = new AtomicInteger();
    final CountDownLatch crashed = new CountDownLatch(1);
    volatile int crashedBatchSize;

    CrashingSink(MessageSink delegate, int crashAfter) {
      this.delegate = delegate;
      this.crashAfter = crashAfter;
    }

    @Override
    public String describe() {
      return delegate.describe();
    }

    @Override
    public void send(List<OutgoingMessage> batch) throws Exception {
      delegate.send(batch);
      if (batches.incrementAndGet() == crashAfter) {
        crashedBatchSize = batch.size();
        crashed.countDown();
        throw new Crash();
      }
    }

    @Override
    public void close() {}
  }

  @Test
  void every_event_takes_effect_once_and_in_stream_order_although_the_publisher_dies_after_kafka_confirmed_a_batch()
      throws Exception {
    String schema = db.newSchema();
    String topicPrefix = "crash.";
    kafka.createTopic(topicPrefix + "account", 4);
    kafka.createTopic("crash-dlt", 1);
    try (PostgresEventStore store = Accounts.store(db, schema);
        KafkaSink sink = KafkaSink.builder(kafka.bootstrapServers()).topicPerCategory(topicPrefix).build()) {
      Accounts.createReceived(store.jdbi(), schema);
      Accounts.deposit(store, STREAMS, PER_STREAM, 20);
      Inbox inbox = Inbox.install(store);

      try (KafkaInboxConsumer consumer = consumer("ledger", topicPrefix + "account", "crash-dlt", inbox, schema)) {
        consumer.start();
        CrashingSink crashing = new CrashingSink(sink, 7);
        try (ProjectionRunner first = Accounts.runner(store, "first").projector(publisher(crashing)).build()) {
          first.start();
          assertThat(crashing.crashed.await(60, TimeUnit.SECONDS)).as("the publisher reached the crash").isTrue();
        }
        try (ProjectionRunner second = Accounts.runner(store, "second").projector(publisher(sink)).build()) {
          second.start();
          Accounts.await("all events received", DELIVERED,
              () -> Accounts.receivedCount(store.jdbi(), schema) >= EVENTS);
          assertThat(second.awaitCaughtUp("to_kafka", Duration.ofSeconds(30))).isTrue();
        }
        int resent = crashing.crashedBatchSize;
        Accounts.await("the resent batch consumed", Duration.ofSeconds(30),
            () -> consumer.counts().handled() + consumer.counts().duplicates() >= EVENTS + resent);
        KafkaInboxConsumer.Counts counts = consumer.counts();
        assertThat(counts.duplicates()).as("the batch sent again after the crash was dropped by the inbox")
            .isGreaterThanOrEqualTo(resent).isPositive();
        assertThat(counts.handled()).isEqualTo(EVENTS);
        assertThat(counts.deadLettered()).isZero();
      }
      assertExactlyOnceInOrder(store, schema);
    }
  }

  @Test
  void every_event_takes_effect_once_and_in_stream_order_although_kafka_is_down_for_a_while() throws Exception {
    String schema = db.newSchema();
    String topicPrefix = "outage.";
    kafka.createTopic(topicPrefix + "account", 4);
    kafka.createTopic("outage-dlt", 1);
    try (PostgresEventStore store = Accounts.store(db, schema);
        KafkaSink sink = KafkaSink.builder(kafka.bootstrapServers()).topicPerCategory(topicPrefix)
            .deliveryTimeout(Duration.ofSeconds(3)).build()) {
      Accounts.createReceived(store.jdbi(), schema);
      Accounts.deposit(store, STREAMS, PER_STREAM / 5, 10);
      Inbox inbox = Inbox.install(store);

      try (KafkaInboxConsumer consumer = consumer("ledger", topicPrefix + "account", "outage-dlt", inbox, schema);
          ProjectionRunner runner = Accounts.runner(store, "n").projector(publisher(sink)).build()) {
        consumer.start();
        runner.start();
        Accounts.await("a first part received", DELIVERED,
            () -> Accounts.receivedCount(store.jdbi(), schema) >= EVENTS / 10);

        kafka.stop();
        // The rest is written while Kafka is away, so the publisher is still busy with it.
        Accounts.deposit(store, STREAMS, PER_STREAM - PER_STREAM / 5, 10);
        Accounts.await("the publisher reports that Kafka is away", Duration.ofSeconds(60),
            () -> PublisherStatus.of(runner, "to_kafka").lastError().isPresent());
        assertThat(Accounts.receivedCount(store.jdbi(), schema)).as("received while Kafka was away")
            .isLessThan(EVENTS);
        kafka.start();

        Accounts.await("all events received", DELIVERED,
            () -> Accounts.receivedCount(store.jdbi(), schema) >= EVENTS);
        assertThat(runner.awaitCaughtUp("to_kafka", Duration.ofSeconds(30))).isTrue();
        assertThat(PublisherStatus.of(runner, "to_kafka").openDeadLetters()).as("nothing parked").isZero();
        assertThat(consumer.counts().deadLettered()).isZero();
      }
      assertExactlyOnceInOrder(store, schema);
    }
  }

  private static Projector publisher(MessageSink sink) {
    return Publisher.builder("to_kafka", sink).mapper(Accounts.mapper())
        .retries(5, Duration.ofMillis(100), Duration.ofSeconds(1)).build();
  }

  private static KafkaInboxConsumer consumer(String group, String topic, String dlt, Inbox inbox, String schema) {
    return KafkaInboxConsumer.builder(kafka.bootstrapServers(), group)
        .topics(topic)
        .inbox(inbox)
        .handler(Accounts.recordInto(schema))
        .deadLetterTopic(dlt)
        .retries(3, Duration.ofMillis(50), Duration.ofMillis(200))
        .property("default.api.timeout.ms", 10_000)
        .build();
  }

  private static void assertExactlyOnceInOrder(PostgresEventStore store, String schema) {
    assertThat(Accounts.receivedCount(store.jdbi(), schema)).as("effects, one per event").isEqualTo(EVENTS);
    assertThat(Accounts.versionsByStream(store.jdbi(), schema))
        .as("each stream's effects, in commit order, are its versions 1..%d", PER_STREAM)
        .isEqualTo(Accounts.expectedVersions(STREAMS, PER_STREAM));
  }
}
