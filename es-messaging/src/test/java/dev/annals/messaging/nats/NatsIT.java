package dev.annals.messaging.nats;

import dev.annals.messaging.BrokerContract;
import dev.annals.messaging.Fixtures;
import dev.annals.messaging.MessageSink;
import dev.annals.messaging.OutgoingMessage;
import dev.annals.messaging.inbox.Inbox;
import dev.annals.messaging.inbox.InboxDeadLetter;
import dev.annals.messaging.inbox.MessageHandler;
import dev.annals.testkit.PostgresTestDatabase;
import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The broker contract against the NATS JetStream server on 127.0.0.1:4222. */
class NatsIT extends BrokerContract {

  static final int PORT = 4222;
  static final String URL = "nats://127.0.0.1:" + PORT;

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  @BeforeAll
  static void natsIsRunning() {
    Fixtures.requireListening("NATS (with JetStream)", PORT, "start-stop-daemon --start --oknodo "
        + "--background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js "
        + "-sd /var/lib/nats-server -l /var/log/nats-server.log");
  }

  @Override
  protected PostgresTestDatabase db() {
    return db;
  }

  @Override
  protected Broker broker() throws Exception {
    String id = UUID.randomUUID().toString().substring(0, 8);
    String stream = "ANNALS_IT_" + id;
    String prefix = "annals.it." + id;
    Connection admin = Nats.connect(URL);
    JetStreamManagement jsm = admin.jetStreamManagement();
    jsm.addStream(StreamConfiguration.builder().name(stream).subjects(prefix + ".>")
        .storageType(StorageType.Memory).duplicateWindow(Duration.ofMinutes(2)).build());
    return new Broker() {
      @Override
      public int port() {
        return PORT;
      }

      @Override
      public MessageSink sink(int port) {
        return NatsSink.builder("nats://127.0.0.1:" + port).subjectPrefix(prefix).stream(stream)
            .ackTimeout(Duration.ofSeconds(5)).build();
      }

      @Override
      public Consumer consumer(Inbox inbox, String name, MessageHandler handler) {
        NatsConsumer c = NatsConsumer.builder(URL, stream, name, inbox, handler)
            .filterSubject(prefix + ".account")
            .retries(3, Duration.ofMillis(10), Duration.ofMillis(50)).build();
        c.start();
        return Consumer.of(c::counts, c::close);
      }

      @Override
      public void publishGarbage(byte[] body) throws Exception {
        admin.jetStream().publish(prefix + ".account", body);
      }

      @Override
      public Consumer redeliver(MessageSink sink, List<OutgoingMessage> sent, Consumer current,
          Inbox inbox, String name, MessageHandler handler) throws Exception {
        // The server drops a message sent again by its Nats-Msg-Id, so replay the stream instead:
        // a durable consumer created anew delivers everything from the start.
        current.close();
        jsm.deleteConsumer(stream, name);
        Consumer again = consumer(inbox, name, handler);
        closeLater.add(again);
        return again;
      }

      @Override
      public List<String> deadLetterErrors(Inbox inbox, String consumer) {
        return inbox.deadLetters(consumer).stream().map(InboxDeadLetter::error).toList();
      }

      @Override
      public void delete() throws Exception {
        jsm.deleteStream(stream);
        admin.close();
      }
    };
  }
}
