package dev.annals.messaging.rabbitmq;

import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import dev.annals.messaging.BrokerContract;
import dev.annals.messaging.Fixtures;
import dev.annals.messaging.MessageSink;
import dev.annals.messaging.OutgoingMessage;
import dev.annals.messaging.inbox.Inbox;
import dev.annals.messaging.inbox.MessageHandler;
import dev.annals.testkit.PostgresTestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The broker contract against the RabbitMQ server on 127.0.0.1:5672 (guest/guest). */
class RabbitMqIT extends BrokerContract {

  static final int PORT = 5672;

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  @BeforeAll
  static void rabbitMqIsRunning() {
    Fixtures.requireListening("RabbitMQ", PORT, "rabbitmq-server -detached");
  }

  @Override
  protected PostgresTestDatabase db() {
    return db;
  }

  static ConnectionFactory factory(int port) {
    ConnectionFactory f = new ConnectionFactory();
    f.setHost("127.0.0.1");
    f.setPort(port);
    f.setUsername("guest");
    f.setPassword("guest");
    f.setConnectionTimeout(5000);
    return f;
  }

  @Override
  protected Broker broker() throws Exception {
    String base = "annals.it." + UUID.randomUUID().toString().substring(0, 8);
    String exchange = base + ".events";
    String queue = base + ".account";
    Connection admin = factory(PORT).newConnection("annals-test-admin");
    Channel ch = admin.createChannel();
    ch.exchangeDeclare(exchange, BuiltinExchangeType.DIRECT, false, false, null);
    ch.queueDeclare(queue, false, false, false, null);
    ch.queueBind(queue, exchange, "account");
    return new Broker() {
      @Override
      public int port() {
        return PORT;
      }

      @Override
      public MessageSink sink(int port) {
        return RabbitMqSink.builder(factory(port)).exchange(exchange)
            .confirmTimeout(Duration.ofSeconds(5)).build();
      }

      @Override
      public Consumer consumer(Inbox inbox, String name, MessageHandler handler) throws Exception {
        RabbitMqConsumer c = RabbitMqConsumer.builder(factory(PORT), queue, name, inbox, handler)
            .retries(3, Duration.ofMillis(10), Duration.ofMillis(50)).build();
        c.start();
        return Consumer.of(c::counts, c::close);
      }

      @Override
      public void publishGarbage(byte[] body) throws Exception {
        ch.basicPublish("", queue, null, body);
      }

      @Override
      public Consumer redeliver(MessageSink sink, List<OutgoingMessage> sent, Consumer current,
          Inbox inbox, String name, MessageHandler handler) throws Exception {
        // RabbitMQ keeps no dedupe window: the same messages sent again reach the consumer again.
        sink.send(sent);
        return current;
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
