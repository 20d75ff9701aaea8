package dev.annals.messaging.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import dev.annals.messaging.BrokerContract;
import dev.annals.messaging.CloudEventFormat;
import dev.annals.messaging.Fixtures;
import dev.annals.messaging.FormatContract;
import dev.annals.messaging.MessageSink;
import dev.annals.messaging.inbox.Inbox;
import dev.annals.messaging.inbox.MessageHandler;
import dev.annals.testkit.Await;
import dev.annals.testkit.PostgresTestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** JSON, Protobuf and Avro through the RabbitMQ server on 127.0.0.1:5672, by AMQP content type. */
class RabbitMqFormatsIT extends FormatContract {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  @BeforeAll
  static void rabbitMqIsRunning() {
    Fixtures.requireListening("RabbitMQ", RabbitMqIT.PORT, "rabbitmq-server -detached");
  }

  @Override
  protected PostgresTestDatabase db() {
    return db;
  }

  /** The queue of this test's broker, and a channel to read it. */
  private String queue;
  private Channel ch;

  /** What the contract cannot see: the AMQP content type each binary format travels with. */
  @ParameterizedTest
  @EnumSource(value = CloudEventFormat.class, names = {"PROTOBUF", "AVRO"})
  void a_binary_format_travels_with_its_content_type(CloudEventFormat format) throws Exception {
    sendOneEvent(format);
    GetResponse[] got = new GetResponse[1];
    Await.until("the message is on the queue", Duration.ofSeconds(60), () -> {
      try {
        return (got[0] = ch.basicGet(queue, true)) != null;
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    assertThat(got[0].getProps().getContentType()).isEqualTo(format.contentType());
    assertThat(got[0].getBody()).isNotEmpty();
  }

  @Override
  protected Broker broker() throws Exception {
    String base = "annals.fmt." + UUID.randomUUID().toString().substring(0, 8);
    String exchange = base + ".events";
    String queue = base + ".account";
    Connection admin = RabbitMqIT.factory(RabbitMqIT.PORT).newConnection("annals-test-admin");
    Channel ch = admin.createChannel();
    this.queue = queue;
    this.ch = ch;
    ch.exchangeDeclare(exchange, BuiltinExchangeType.DIRECT, false, false, null);
    ch.queueDeclare(queue, false, false, false, null);
    ch.queueBind(queue, exchange, "account");
    return new Broker() {
      @Override
      public MessageSink sink(CloudEventFormat format) {
        return RabbitMqSink.builder(RabbitMqIT.factory(RabbitMqIT.PORT)).exchange(exchange).format(format)
            .confirmTimeout(Duration.ofSeconds(10)).build();
      }

      @Override
      public BrokerContract.Consumer consumer(Inbox inbox, String name, MessageHandler handler) throws Exception {
        RabbitMqConsumer c = RabbitMqConsumer.builder(RabbitMqIT.factory(RabbitMqIT.PORT), queue, name, inbox,
            handler).retries(3, Duration.ofMillis(10), Duration.ofMillis(50)).build();
        c.start();
        return BrokerContract.Consumer.of(c::counts, c::close);
      }

      @Override
      public void publishRaw(String contentType, byte[] body) throws Exception {
        ch.basicPublish("", queue, new AMQP.BasicProperties.Builder().contentType(contentType).build(), body);
      }

      @Override
      public List<String> deadLetterErrors(Inbox inbox, String consumer) throws Exception {
        List<String> errors = new ArrayList<>();
        GetResponse r;
        while ((r = ch.basicGet(queue + ".dead", true)) != null) {
          errors.add(String.valueOf(r.getProps().getHeaders().get("x-annals-error")));
        }
        return errors;
      }

      @Override
      public void delete() throws Exception {
        ch.queueDelete(queue);
        ch.queueDelete(queue + ".dead");
        ch.exchangeDelete(exchange);
        admin.close();
      }
    };
  }
}
