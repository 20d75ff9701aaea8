package dev.annals.messaging.sqs.docs;

import dev.annals.core.EventRegistry;
import dev.annals.core.LogFilter;
import dev.annals.messaging.CloudEventMapper;
import dev.annals.messaging.Publisher;
import dev.annals.messaging.inbox.Inbox;
import dev.annals.messaging.sqs.SqsConsumer;
import dev.annals.messaging.sqs.SqsSink;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.projections.ProjectionRunner;
import dev.annals.projections.Projector;
import java.time.Duration;
import javax.sql.DataSource;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * The Amazon SQS examples of docs/messaging.md, through the public API only. They compile with
 * the build, so a change breaking the documented usage fails it; es-messaging's
 * MessagingGuideTest checks that the guide shows each tagged region as it is here. The module's
 * ITs run the same calls against an SQS-compatible server.
 */
final class SqsGuideExamples {

  private SqsGuideExamples() {}

  static ProjectionRunner publishing(EventRegistry registry, PostgresEventStore store) {
    // tag::sqs-sink[]
    SqsClient client = SqsClient.builder()
        .region(Region.EU_WEST_1)                        // credentials: the SDK's default chain
        .httpClient(UrlConnectionHttpClient.create())
        .build();
    SqsSink sink = SqsSink.builder(client)
        .queueUrl("https://sqs.eu-west-1.amazonaws.com/123456789012/bank-accounts.fifo")
        .build();

    Projector publisher = Publisher.builder("accounts_to_sqs", sink)
        .mapper(CloudEventMapper.builder(registry).source("urn:bank:accounts").build())
        .filter(LogFilter.categories("account"))
        .build();
    ProjectionRunner runner = ProjectionRunner.builder(store).projector(publisher).build();
    runner.start();
    // end::sqs-sink[]
    return runner;
  }

  static void consuming(SqsClient client, DataSource dataSource) {
    // tag::sqs-consumer[]
    Inbox inbox = Inbox.install(dataSource, "billing");
    SqsConsumer consumer = SqsConsumer.builder(client,
            "https://sqs.eu-west-1.amazonaws.com/123456789012/bank-accounts.fifo", "billing", inbox,
            (event, handle) -> handle.execute(
                "INSERT INTO billing.deposits (event_id, account) VALUES (?, ?)",
                CloudEventMapper.eventId(event), CloudEventMapper.streamId(event).id()))
        .visibilityTimeout(Duration.ofSeconds(30))     // default; extended while the database is down
        .waitTime(Duration.ofSeconds(20))              // long polling, default
        .retries(5, Duration.ofMillis(100), Duration.ofSeconds(10))
        .build();
    consumer.start();    // refuses a queue without a redrive policy
    // ...
    consumer.close();
    // end::sqs-consumer[]
  }
}
