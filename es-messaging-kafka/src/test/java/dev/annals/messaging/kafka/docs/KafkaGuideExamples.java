package dev.annals.messaging.kafka.docs;

import dev.annals.core.EventRegistry;
import dev.annals.core.LogFilter;
import dev.annals.messaging.CloudEventMapper;
import dev.annals.messaging.Publisher;
import dev.annals.messaging.inbox.Inbox;
import dev.annals.messaging.kafka.KafkaInboxConsumer;
import dev.annals.messaging.kafka.KafkaSink;
import dev.annals.messaging.kafka.KafkaTestBroker;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.projections.ProjectionRunner;
import dev.annals.projections.Projector;
import dev.annals.testkit.PostgresTestDatabase;
import javax.sql.DataSource;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The Kafka examples of docs/messaging.md, through the public API only. They compile with the
 * build, so a change breaking the documented usage fails it; es-messaging's MessagingGuideTest
 * checks that the guide shows each tagged region as it is here. The module's ITs run the same
 * calls against a broker.
 */
final class KafkaGuideExamples {

  private KafkaGuideExamples() {}

  static ProjectionRunner publishing(EventRegistry registry, PostgresEventStore store) {
    // tag::kafka-sink[]
    KafkaSink sink = KafkaSink.builder("kafka-1:9092,kafka-2:9092")
        .topicPerCategory("bank.")                 // account events go to bank.account
        .property("security.protocol", "SASL_SSL") // any other producer setting
        .build();

    Projector publisher = Publisher.builder("accounts_to_kafka", sink)
        .mapper(CloudEventMapper.builder(registry).source("urn:bank:accounts").build())
        .filter(LogFilter.categories("account"))
        .build();
    ProjectionRunner runner = ProjectionRunner.builder(store).projector(publisher).build();
    runner.start();
    // end::kafka-sink[]
    return runner;
  }

  static void consuming(DataSource dataSource) {
    // tag::kafka-consumer[]
    Inbox inbox = Inbox.install(dataSource, "billing");
    KafkaInboxConsumer consumer = KafkaInboxConsumer.builder("kafka-1:9092", "billing")
        .topics("bank.account")
        .inbox(inbox)
        .handler((event, handle) -> handle.execute(
            "INSERT INTO billing.deposits (event_id, account, cents) VALUES (?, ?, ?)",
            CloudEventMapper.eventId(event), CloudEventMapper.streamId(event).id(),
            cents(CloudEventMapper.dataAsString(event))))
        .deadLetterTopic("billing.dlt")
        .build();
    consumer.start();
    // ...
    consumer.close();
    // end::kafka-consumer[]
  }

  /** The amount of a deposit's JSON payload, as a receiving service would read it. */
  static long cents(String json) {
    return Long.parseLong(json.replaceAll("\\D", ""));
  }

  /** How a test class gets a broker; not a test itself, so nothing starts. */
  static final class BrokerPerTestClass {
    // tag::kafka-test-broker[]
    @RegisterExtension static final PostgresTestDatabase db = PostgresTestDatabase.create();
    @RegisterExtension static final KafkaTestBroker kafka = KafkaTestBroker.create();
    // end::kafka-test-broker[]
  }
}
