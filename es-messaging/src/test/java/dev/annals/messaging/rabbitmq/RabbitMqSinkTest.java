package dev.annals.messaging.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.ConnectionFactory;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

/** What the sink says about itself, without a broker. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class RabbitMqSinkTest {

  @Test
  void describes_its_broker_without_the_password() throws Exception {
    ConnectionFactory factory = new ConnectionFactory();
    factory.setUri("amqp://alice:s3cret-pw@127.0.0.1:5672");
    try (RabbitMqSink sink = RabbitMqSink.builder(factory).exchange("bank.events").build()) {
      assertThat(sink.describe()).doesNotContain("s3cret-pw")
          .isEqualTo("RabbitMQ amqp://127.0.0.1:5672/ exchange 'bank.events'");
    }
  }
}
