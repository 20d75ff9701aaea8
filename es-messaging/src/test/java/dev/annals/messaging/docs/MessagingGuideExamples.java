package dev.annals.messaging.docs;

import static dev.annals.messaging.Fixtures.WALLET;

import com.rabbitmq.client.ConnectionFactory;
import dev.annals.core.AggregateRepository;
import dev.annals.core.CommandContext;
import dev.annals.core.EventRegistry;
import dev.annals.core.LogFilter;
import dev.annals.messaging.CloudEventMapper;
import dev.annals.messaging.MessageSink;
import dev.annals.messaging.Publisher;
import dev.annals.messaging.inbox.Inbox;
import dev.annals.messaging.inbox.MessageHandler;
import dev.annals.messaging.nats.NatsConsumer;
import dev.annals.messaging.nats.NatsSink;
import dev.annals.messaging.rabbitmq.RabbitMqConsumer;
import dev.annals.messaging.rabbitmq.RabbitMqSink;
import dev.annals.messaging.webhooks.WebhookSecretKey;
import dev.annals.messaging.webhooks.WebhookSignature;
import dev.annals.messaging.webhooks.WebhookSubscription;
import dev.annals.messaging.webhooks.Webhooks;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.projections.ProjectionRunner;
import dev.annals.projections.Projector;
import io.cloudevents.core.message.Encoding;
import java.net.URI;
import java.time.Duration;
import java.util.Set;
import javax.sql.DataSource;

/**
 * The examples of docs/messaging.md (the Kafka ones are in es-messaging-kafka), through the
 * public API only. They compile with the build, so a change breaking the documented usage fails
 * it; MessagingGuideTest checks that the guide shows each tagged region as it is here. The
 * brokers' own tests run the same calls end to end.
 */
final class MessagingGuideExamples {

  private MessagingGuideExamples() {}

  static CloudEventMapper mapper(EventRegistry registry) {
    // tag::mapper[]
    CloudEventMapper mapper = CloudEventMapper.builder(registry)
        .source("urn:bank:accounts")       // required: which service the events come from
        .typePrefix("com.bank.")           // optional: type = prefix + registered type name
        .build();
    // end::mapper[]
    return mapper;
  }

  static ProjectionRunner publishing(ConnectionFactory factory, CloudEventMapper mapper,
      PostgresEventStore store) {
    // tag::publisher[]
    MessageSink sink = RabbitMqSink.builder(factory).exchange("bank.events").build();

    Projector publisher = Publisher.builder("accounts_to_rabbit", sink)
        .mapper(mapper)
        .filter(LogFilter.categories("account"))     // or LogFilter.types(...)
        .batchSize(500)                               // events per broker round trip
        .retries(5, Duration.ofMillis(100), Duration.ofSeconds(30))
        .build();

    ProjectionRunner runner = ProjectionRunner.builder(store).projector(publisher).build();
    runner.start();
    // end::publisher[]
    return runner;
  }

  static ProjectionRunner fireAndForget(ConnectionFactory factory, CloudEventMapper mapper,
      PostgresEventStore store) {
    // tag::at-most-once[]
    MessageSink sink = RabbitMqSink.builder(factory).exchange("bank.notifications").build();

    Projector notifications = Publisher.builder("balance_notifications", sink)
        .mapper(mapper)
        .filter(LogFilter.types("Deposited", "Withdrawn"))
        .atMostOnce()            // no confirms, no retries: a batch the broker does not take is lost
        .build();
    // end::at-most-once[]
    ProjectionRunner runner = ProjectionRunner.builder(store).projector(notifications).build();
    runner.start();
    return runner;
  }

  static RabbitMqSink priorities(ConnectionFactory factory) throws Exception {
    // tag::priority-lane[]
    // The queue:  channel.queueDeclare("bank.work", true, false, false, Map.of("x-max-priority", 10));
    RabbitMqSink sink = RabbitMqSink.builder(factory)
        .exchange("bank.events")
        .priority("fraud", 9)           // fraud alerts overtake ...
        .priority("statement", 1)       // ... a backlog of statements
        .build();
    // end::priority-lane[]
    return sink;
  }

  static RabbitMqSink rabbitMq() throws Exception {
    // tag::rabbitmq-sink[]
    ConnectionFactory factory = new ConnectionFactory();
    factory.setUri("amqp://guest:guest@127.0.0.1:5672");

    RabbitMqSink sink = RabbitMqSink.builder(factory)
        .exchange("bank.events")                       // declared by the application
        .routingKey(RabbitMqSink.RoutingKey.CATEGORY)  // default
        .encoding(Encoding.BINARY)                     // default
        .confirmTimeout(Duration.ofSeconds(30))        // default
        .build();
    // end::rabbitmq-sink[]
    return sink;
  }

  static NatsSink nats() {
    // tag::nats-sink[]
    NatsSink sink = NatsSink.builder("nats://127.0.0.1:4222")
        .subjectPrefix("bank.events")        // account events go to bank.events.account
        .stream("BANK_EVENTS")               // optional: created with subjects bank.events.> if missing
        .duplicateWindow(Duration.ofMinutes(2))
        .ackTimeout(Duration.ofSeconds(30))
        .build();
    // end::nats-sink[]
    return sink;
  }

  static Webhooks webhooks(PostgresEventStore store, CloudEventMapper mapper) {
    // tag::webhooks[]
    // The key that encrypts subscription secrets at rest; kept outside the database.
    WebhookSecretKey key = WebhookSecretKey.fromBase64(System.getenv("WEBHOOK_SECRET_KEY"));
    Webhooks webhooks = Webhooks.builder(store, mapper)
        .secretKey(key)                        // required: secrets are never stored in plain text
        .retries(Duration.ofSeconds(1), Duration.ofMinutes(5))   // backoff after a failure
        .parkAfter(Duration.ofHours(24))       // failing this long without a success: parked
        .requestTimeout(Duration.ofSeconds(10))
        .build();                              // installs the tables in the store's schema

    ProjectionRunner runner = ProjectionRunner.builder(store).projector(webhooks.projector()).build();
    runner.start();
    webhooks.start();                          // the dispatcher thread

    String secret = WebhookSignature.newSecret();   // give it to the subscriber once
    WebhookSubscription s = webhooks.subscribe(URI.create("https://partner.example/hooks"),
        Set.of("Deposited", "Withdrawn"), secret);  // Set.of() for every type
    // end::webhooks[]
    return webhooks;
  }

  static void consumers(DataSource dataSource, ConnectionFactory factory) throws Exception {
    // tag::inbox-consumers[]
    Inbox inbox = Inbox.install(dataSource, "payments");   // idempotent; or Inbox.install(store)

    MessageHandler handler = (event, handle) -> handle.execute(
        "INSERT INTO payments.deposits (account, cents) VALUES (?, ?)",
        CloudEventMapper.streamId(event).id(), readCents(CloudEventMapper.dataAsString(event)));

    RabbitMqConsumer rabbit = RabbitMqConsumer.builder(factory, "payments.account", "payments",
            inbox, handler)
        .prefetch(100)
        .retries(5, Duration.ofMillis(100), Duration.ofSeconds(10))
        .deadLetterQueue("payments.account.dead")              // default: <queue>.dead
        .build();
    rabbit.start();

    NatsConsumer nats = NatsConsumer.builder("nats://127.0.0.1:4222", "BANK_EVENTS", "payments",
            inbox, handler)
        .filterSubject("bank.events.account")
        .batchSize(100)
        .build();
    nats.start();
    // end::inbox-consumers[]
  }

  static void commands(Inbox inbox, PostgresEventStore store, String messageId, long command)
      throws Exception {
    // tag::inbox-commands[]
    inbox.process("wallets", messageId, handle -> {
      try (var wallets = AggregateRepository.builder(WALLET, store.joining(handle)).cacheSize(0).build()) {
        wallets.handle("w1", command, CommandContext.of("message-" + messageId));
      }
    });
    // end::inbox-commands[]
  }

  /** The amount of a deposit's JSON payload, as a receiving service would read it. */
  static long readCents(String json) {
    return Long.parseLong(json.replaceAll("\\D", ""));
  }
}
