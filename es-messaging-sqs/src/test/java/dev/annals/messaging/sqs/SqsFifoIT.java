package dev.annals.messaging.sqs;

import dev.annals.messaging.BrokerContract;
import dev.annals.messaging.MessageSink;
import dev.annals.messaging.OutgoingMessage;
import dev.annals.messaging.inbox.Inbox;
import dev.annals.messaging.inbox.MessageHandler;
import dev.annals.testkit.PostgresTestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;

/** The broker contract against a FIFO queue of an SQS-compatible server (ElasticMQ) in this JVM. */
class SqsFifoIT extends BrokerContract {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  static ElasticMq server;

  @BeforeAll
  static void startServer() {
    server = ElasticMq.start();
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  @Override
  protected PostgresTestDatabase db() {
    return db;
  }

  @Override
  protected Broker broker() {
    SqsClient admin = ElasticMq.client(server.port());
    String queue = ElasticMq.queueWithDeadLetters(admin,
        "annals-it-" + UUID.randomUUID().toString().substring(0, 8) + ".fifo");
    List<SqsClient> clients = new ArrayList<>(List.of(admin));
    return new Broker() {
      @Override
      public int port() {
        return server.port();
      }

      @Override
      public MessageSink sink(int port) {
        SqsClient client = ElasticMq.client(port);
        clients.add(client);
        // The queue URL names the queue; the client's endpoint decides where requests go.
        return SqsSink.builder(client).queueUrl(queue).build();
      }

      @Override
      public Consumer consumer(Inbox inbox, String name, MessageHandler handler) {
        SqsConsumer c = SqsConsumer.builder(admin, queue, name, inbox, handler)
            .waitTime(Duration.ofSeconds(1))
            .retries(3, Duration.ofMillis(10), Duration.ofMillis(50)).build();
        c.start();
        return Consumer.of(c::counts, c::close);
      }

      @Override
      public void publishGarbage(byte[] body) {
        admin.sendMessage(r -> r.queueUrl(queue).messageBody(new String(body, java.nio.charset.StandardCharsets.UTF_8))
            .messageGroupId("garbage").messageDeduplicationId(UUID.randomUUID().toString()));
      }

      @Override
      public Consumer redeliver(MessageSink sink, List<OutgoingMessage> sent, Consumer current,
          Inbox inbox, String name, MessageHandler handler) {
        // The queue drops a message sent again with its deduplication id within five minutes;
        // what comes after that window (or a copy from another publisher) is a new message.
        List<SendMessageBatchRequestEntry> entries = new ArrayList<>();
        for (OutgoingMessage m : sent) {
          entries.add(SqsSink.entry(m, true, UUID.randomUUID().toString(), "r" + entries.size()));
        }
        admin.sendMessageBatch(r -> r.queueUrl(queue).entries(entries));
        return current;
      }

      @Override
      public List<String> deadLetterErrors(Inbox inbox, String consumer) {
        return SqsStandardIT.drain(admin, ElasticMq.deadLetterUrl(queue)).stream()
            .map(SqsFifoIT::error).toList();
      }

      @Override
      public void delete() {
        admin.deleteQueue(r -> r.queueUrl(queue));
        admin.deleteQueue(r -> r.queueUrl(ElasticMq.deadLetterUrl(queue)));
        clients.forEach(SqsClient::close);
      }
    };
  }

  static String error(Message m) {
    return m.messageAttributes().get("x-annals-error").stringValue();
  }
}
