package dev.annals.bank;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import dev.annals.bank.domain.AccountCommand.Deposit;
import dev.annals.bank.domain.AccountCommand.Open;
import dev.annals.bank.domain.BankEvents;
import dev.annals.bank.domain.Money;
import dev.annals.core.CommandContext;
import dev.annals.core.LogFilter;
import dev.annals.core.RecordedEvent;
import dev.annals.messaging.rabbitmq.RabbitMqSink;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.testkit.PostgresTestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Currency;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The bank publishes its account events, and only those, to RabbitMQ when asked to. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class BankPublishingIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  @Test
  void every_account_event_reaches_the_broker_once_in_log_order_and_transfer_events_stay_home() throws Exception {
    ConnectionFactory factory = new ConnectionFactory();
    factory.setUri("amqp://guest:guest@127.0.0.1:5672");
    String name = "bank-test-" + UUID.randomUUID();
    try (Connection connection = connect(factory); Channel channel = connection.createChannel()) {
      channel.exchangeDeclare(name, "topic", false, true, null);
      channel.queueDeclare(name, false, false, true, null);
      channel.queueBind(name, name, "account");
      try (PostgresEventStore store = PostgresEventStore.builder(BankEvents.REGISTRY).encryptPersonalDataWithoutMasterKey().jdbcUrl(db.jdbcUrl())
              .schema(db.newSchema()).installSchema(true).build();
          Bank bank = Bank.start(store, "publishing", Optional.of(RabbitMqSink.builder(factory).exchange(name).build()))) {
        bank.handle("1001", new Open("alice", Currency.getInstance("EUR")), CommandContext.of("open-1001"));
        bank.handle("1002", new Open("bob", Currency.getInstance("EUR")), CommandContext.of("open-1002"));
        for (int i = 0; i < 20; i++) {
          bank.handle(i % 2 == 0 ? "1001" : "1002", new Deposit(Money.of("10", "EUR")), CommandContext.of("dep-" + i));
        }
        bank.transfer("t1", "1001", "1002", Money.of("5", "EUR"), CommandContext.of("t1"));
        assertThat(bank.awaitSettled(Duration.ofSeconds(120))).isTrue();

        List<String> expected = store.readAll(0, 1000, LogFilter.categories("account")).stream()
            .map(RecordedEvent::eventId).map(UUID::toString).toList();
        List<String> received = new ArrayList<>();
        GetResponse message;
        while ((message = channel.basicGet(name, true)) != null) {
          received.add(message.getProps().getMessageId());
          assertThat(message.getProps().getHeaders()).containsKey("cloudEvents:source");
        }
        assertThat(expected).as("2 openings, 20 deposits, a debit and a credit").hasSize(24);
        assertThat(received).containsExactlyElementsOf(expected);
      }
    }
  }

  @Test
  void publishing_is_off_unless_asked_for_and_a_bad_url_is_named() {
    assertThat(BankPublishing.fromEnvironment(Map.of())).isEmpty();
    assertThat(BankPublishing.fromEnvironment(Map.of(BankPublishing.VARIABLE, " "))).isEmpty();
    assertThatThrownBy(() -> BankPublishing.sink("mqtt://127.0.0.1:1883"))
        .hasMessageContaining("BANK_PUBLISH must be amqp://USER:PASSWORD@HOST:5672 (RabbitMQ)")
        .hasMessageContaining("was 'mqtt://127.0.0.1:1883'");
  }

  @Test
  void broker_urls_are_named_without_their_credentials() {
    assertThat(BankPublishing.sink("nats://s3cret-token@127.0.0.1:4222").describe())
        .as("the line 'Publishing account events to ...'").contains("nats://***@127.0.0.1:4222")
        .doesNotContain("s3cret");
    assertThat(BankPublishing.sink("kafka://app:s3cret@127.0.0.1:9092").describe())
        .contains("app:***@127.0.0.1:9092").doesNotContain("s3cret");
    assertThatThrownBy(() -> BankPublishing.sink("mqtt://app:s3cret@127.0.0.1:1883"))
        .hasMessageContaining("was 'mqtt://app:***@127.0.0.1:1883'").hasMessageNotContaining("s3cret");
    assertThatThrownBy(() -> BankPublishing.sink("amqp://guest:s3cret@[::1:5672/vhost"))
        .as("a malformed URL").hasMessageContaining("not a valid AMQP URL").hasMessageNotContaining("s3cret");
  }

  private static Connection connect(ConnectionFactory factory) throws Exception {
    try {
      return factory.newConnection("bank-publishing-test");
    } catch (Exception e) {
      throw new IllegalStateException("RabbitMQ does not answer on 127.0.0.1:5672; start it with "
          + "'rabbitmq-server -detached' (" + e.getMessage() + ")", e);
    }
  }
}
