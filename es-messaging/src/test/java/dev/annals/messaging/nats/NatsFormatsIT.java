package dev.annals.messaging.nats;

import dev.annals.messaging.BrokerContract;
import dev.annals.messaging.CloudEventFormat;
import dev.annals.messaging.Fixtures;
import dev.annals.messaging.FormatContract;
import dev.annals.messaging.MessageSink;
import dev.annals.messaging.inbox.Inbox;
import dev.annals.messaging.inbox.InboxDeadLetter;
import dev.annals.messaging.inbox.MessageHandler;
import dev.annals.testkit.PostgresTestDatabase;
import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.impl.Headers;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;

/** JSON, Protobuf and Avro through NATS JetStream on 127.0.0.1:4222, by content-type header. */
class NatsFormatsIT extends FormatContract {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  @BeforeAll
  static void natsIsRunning() {
    NatsIT.natsIsRunning();
  }

  @Override
  protected PostgresTestDatabase db() {
    return db;
  }

  @Override
  protected Broker broker() throws Exception {
    String id = UUID.randomUUID().toString().substring(0, 8);
    String stream = "ANNALS_FMT_" + id;
    String prefix = "annals.fmt." + id;
    Connection admin = Nats.connect(NatsIT.URL);
    JetStreamManagement jsm = admin.jetStreamManagement();
    jsm.addStream(StreamConfiguration.builder().name(stream).subjects(prefix + ".>")
        .storageType(StorageType.Memory).duplicateWindow(Duration.ofMinutes(2)).build());
    return new Broker() {
      @Override
      public MessageSink sink(CloudEventFormat format) {
        return NatsSink.builder(NatsIT.URL).subjectPrefix(prefix).stream(stream).format(format)
            .ackTimeout(Duration.ofSeconds(10)).build();
      }

      @Override
      public BrokerContract.Consumer consumer(Inbox inbox, String name, MessageHandler handler) {
        NatsConsumer c = NatsConsumer.builder(NatsIT.URL, stream, name, inbox, handler)
            .filterSubject(prefix + ".account")
            .retries(3, Duration.ofMillis(10), Duration.ofMillis(50)).build();
        c.start();
        return BrokerContract.Consumer.of(c::counts, c::close);
      }

      @Override
      public void publishRaw(String contentType, byte[] body) throws Exception {
        Headers headers = new Headers();
        if (contentType != null) {
          headers.put("content-type", contentType);
        }
        admin.jetStream().publish(prefix + ".account", headers, body);
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
