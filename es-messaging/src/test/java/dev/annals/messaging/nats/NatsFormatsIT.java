package dev.annals.messaging.nats;

import static org.assertj.core.api.Assertions.assertThat;

import dev.annals.messaging.BrokerContract;
import dev.annals.messaging.CloudEventFormat;
import dev.annals.messaging.Fixtures;
import dev.annals.messaging.FormatContract;
import dev.annals.messaging.MessageSink;
import dev.annals.messaging.inbox.Inbox;
import dev.annals.messaging.inbox.InboxDeadLetter;
import dev.annals.messaging.inbox.MessageHandler;
import dev.annals.testkit.PostgresTestDatabase;
import dev.annals.testkit.Await;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.impl.Headers;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

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

  /** The JetStream stream and subject prefix of this test's broker, and its management. */
  private String stream;
  private String prefix;
  private JetStreamManagement jsm;

  /** What the contract cannot see: the content-type header each binary format travels with. */
  @ParameterizedTest
  @EnumSource(value = CloudEventFormat.class, names = {"PROTOBUF", "AVRO"})
  void a_binary_format_travels_with_its_content_type(CloudEventFormat format) throws Exception {
    sendOneEvent(format);
    MessageInfo[] got = new MessageInfo[1];
    Await.until("the message is in the stream", Duration.ofSeconds(60), () -> {
      try {
        got[0] = jsm.getLastMessage(stream, prefix + ".account");
        return true;
      } catch (JetStreamApiException notYet) {
        return false;
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    assertThat(got[0].getHeaders().getFirst("content-type")).isEqualTo(format.contentType());
    assertThat(got[0].getData()).isNotEmpty();
  }

  @Override
  protected Broker broker() throws Exception {
    String id = UUID.randomUUID().toString().substring(0, 8);
    String stream = "ANNALS_FMT_" + id;
    String prefix = "annals.fmt." + id;
    Connection admin = Nats.connect(NatsIT.URL);
    JetStreamManagement jsm = admin.jetStreamManagement();
    this.stream = stream;
    this.prefix = prefix;
    this.jsm = jsm;
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
