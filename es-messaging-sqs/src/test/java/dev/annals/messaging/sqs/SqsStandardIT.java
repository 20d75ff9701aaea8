package dev.annals.messaging.sqs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.annals.core.StreamId;
import dev.annals.messaging.CloudEventMapper;
import dev.annals.messaging.Fixtures;
import dev.annals.messaging.OutgoingMessage;
import dev.annals.messaging.inbox.Inbox;
import dev.annals.messaging.inbox.MessageHandler;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.testkit.PostgresTestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * A standard queue (no order, no deduplication by SQS): the inbox drops what comes twice, the
 * redrive policy's queue takes poison messages; and the errors a wrong setup gets.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class SqsStandardIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  static ElasticMq server;
  static SqsClient client;

  PostgresEventStore store;
  Inbox inbox;
  String queue;
  final List<AutoCloseable> closeLater = new ArrayList<>();

  @BeforeAll
  static void startServer() {
    server = ElasticMq.start();
    client = ElasticMq.client(server.port());
  }

  @AfterAll
  static void stopServer() {
    if (client != null) {
      client.close();
    }
    if (server != null) {
      server.close();
    }
  }

  @BeforeEach
  void setUp() {
    store = Fixtures.store(db, db.newSchema());
    inbox = Inbox.install(store);
    queue = ElasticMq.queueWithDeadLetters(client, "annals-std-" + UUID.randomUUID().toString().substring(0, 8));
  }

  @AfterEach
  void tearDown() throws Exception {
    for (AutoCloseable c : closeLater) {
      c.close();
    }
    store.close();
  }

  List<OutgoingMessage> messages() {
    return Fixtures.messages(store);
  }

  SqsConsumer consumer(String name, MessageHandler handler) {
    SqsConsumer c = SqsConsumer.builder(client, queue, name, inbox, handler).waitTime(Duration.ofSeconds(1))
        .retries(2, Duration.ofMillis(10), Duration.ofMillis(20)).build();
    closeLater.add(c);
    c.start();
    return c;
  }

  @Test
  void every_message_sent_twice_takes_effect_once_and_a_poison_one_goes_to_the_dead_letter_queue()
      throws Exception {
    for (int i = 1; i <= 25; i++) {
      Fixtures.append(store, StreamId.of("account", "a" + (i % 3)), new Fixtures.Deposited(i));
    }
    Fixtures.append(store, StreamId.of("account", "a9"), new Fixtures.Frozen("court order"));
    SqsSink sink = SqsSink.builder(client).queueUrl(queue).build();
    assertThat(sink.fifo()).isFalse();
    List<OutgoingMessage> sent = messages();
    sink.send(sent);
    sink.send(sent);
    ConcurrentLinkedQueue<String> effects = new ConcurrentLinkedQueue<>();
    SqsConsumer consumer = consumer("standard", (event, handle) -> {
      if (event.getType().equals("Frozen")) {
        throw new IllegalStateException("frozen: " + CloudEventMapper.dataAsString(event));
      }
      effects.add(event.getId());
    });

    Fixtures.await("25 effects, 25 duplicates and a dead letter", Duration.ofSeconds(60),
        () -> consumer.counts().applied() == 25 && consumer.counts().duplicates() == 25
            && consumer.counts().deadLettered() == 2);

    assertThat(effects).as("effects").hasSize(25).doesNotHaveDuplicates();
    // The poison message was sent twice; SQS does not deduplicate a standard queue, and the
    // inbox records only what took effect, so each copy is dead-lettered.
    List<Message> dead = drain(client, ElasticMq.deadLetterUrl(queue));
    assertThat(dead).hasSize(2).allSatisfy(m -> {
      assertThat(m.messageAttributes().get("x-annals-error").stringValue())
          .contains("IllegalStateException", "court order");
      assertThat(m.messageAttributes().get("x-annals-consumer").stringValue()).isEqualTo("standard");
      assertThat(m.messageAttributes().get("x-annals-attempts").stringValue()).isEqualTo("2");
    });
  }

  @Test
  void a_queue_without_a_redrive_policy_is_refused_at_start_with_its_name() {
    String bare = client.createQueue(r -> r.queueName("annals-bare-" + UUID.randomUUID().toString()
        .substring(0, 8))).queueUrl();
    SqsConsumer c = SqsConsumer.builder(client, bare, "bare", inbox, (e, h) -> {}).build();
    assertThatThrownBy(c::start).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(bare).hasMessageContaining("no redrive policy");
  }

  @Test
  void settings_out_of_range_are_refused_with_the_value() {
    SqsConsumer.Builder b = SqsConsumer.builder(client, queue, "x", inbox, (e, h) -> {});
    assertThatThrownBy(() -> b.waitTime(Duration.ofSeconds(21))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("PT21S");
    assertThatThrownBy(() -> b.visibilityTimeout(Duration.ofMillis(1500)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PT1.5S");
    assertThatThrownBy(() -> SqsSink.builder(client).queueUrl("bank-events"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bank-events");
    assertThatThrownBy(() -> SqsSink.builder(client).build()).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("queueUrl");
  }

  @Test
  void a_sink_whose_server_is_gone_fails_without_showing_the_credentials() {
    SqsClient nowhere = ElasticMq.client(Fixtures.closedPort());
    closeLater.add(nowhere);
    SqsSink sink = SqsSink.builder(nowhere).queueUrl(queue).build();
    Fixtures.append(store, StreamId.of("account", "gone"), new Fixtures.Deposited(1));
    assertThatThrownBy(() -> sink.send(messages()))
        .satisfies(e -> assertThat(e.toString()).doesNotContain(ElasticMq.SECRET_KEY));
    assertThat(sink.describe()).contains(queue).doesNotContain(ElasticMq.SECRET_KEY);
  }

  /** Receives and deletes everything on {@code queueUrl} until a receive comes back empty. */
  static List<Message> drain(SqsClient client, String queueUrl) {
    List<Message> out = new ArrayList<>();
    while (true) {
      List<Message> got = client.receiveMessage(r -> r.queueUrl(queueUrl).maxNumberOfMessages(10)
          .waitTimeSeconds(1).messageAttributeNames("All")).messages();
      if (got.isEmpty()) {
        return out;
      }
      for (Message m : got) {
        client.deleteMessage(r -> r.queueUrl(queueUrl).receiptHandle(m.receiptHandle()));
      }
      out.addAll(got);
    }
  }
}
