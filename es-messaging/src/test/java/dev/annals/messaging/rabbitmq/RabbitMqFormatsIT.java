package dev.annals.messaging.rabbitmq;

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
import dev.annals.testkit.PostgresTestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;

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

  @Override
  protected Broker broker() throws Exception {
    String base = "annals.fmt." + UUID.randomUUID().toString().substring(0, 8);
    String exchange = base + ".events";
    String queue = base + ".account";
    Connection admin = RabbitMqIT.factory(RabbitMqIT.PORT).newConnection("annals-test-admin");
    Channel ch = admin.createChannel();
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
