package dev.annals.messaging;

import static org.assertj.core.api.Assertions.assertThat;

import dev.annals.core.ExpectedVersion;
import dev.annals.core.LogFilter;
import dev.annals.core.Metadata;
import dev.annals.core.NewEvent;
import dev.annals.core.RecordedEvent;
import dev.annals.core.StreamId;
import dev.annals.messaging.inbox.Inbox;
import dev.annals.messaging.inbox.MessageHandler;
import dev.annals.messaging.internal.CloudEventCodec;
import dev.annals.messaging.schemas.PayloadSchemas;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.testkit.PostgresTestDatabase;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.core.message.Encoding;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The structured-mode formats through a real broker: each format's consumer gets every
 * attribute, the inbox applies each event once, and crafted bodies are dead-lettered with a
 * clear error while the consumer goes on. A binding's test extends this with a {@link Broker}.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
public abstract class FormatContract {

  /** One test's broker resources, with names of their own. */
  public interface Broker {
    /** A sink in {@code format} to the test's destination. */
    MessageSink sink(CloudEventFormat format);

    /** A started consumer of the test's destination. */
    BrokerContract.Consumer consumer(Inbox inbox, String name, MessageHandler handler) throws Exception;

    /**
     * Puts {@code body} on the test's destination as it is, with {@code contentType} (none if
     * null), and nothing the broker would deduplicate it by.
     */
    void publishRaw(String contentType, byte[] body) throws Exception;

    /** The errors recorded with the consumer's dead letters, wherever this broker keeps them. */
    List<String> deadLetterErrors(Inbox inbox, String consumer) throws Exception;

    /** Deletes what the test made on the broker. */
    void delete() throws Exception;
  }

  protected abstract PostgresTestDatabase db();

  protected abstract Broker broker() throws Exception;

  static final String TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  static final Schema DEPOSITED = new Schema.Parser().parse("{\"type\": \"record\", \"name\": "
      + "\"Deposited\", \"fields\": [{\"name\": \"cents\", \"type\": \"long\"}]}");

  String schema;
  PostgresEventStore store;
  Inbox inbox;
  PayloadSchemas schemas;
  Broker broker;
  final List<AutoCloseable> closeLater = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    schema = db().newSchema();
    store = Fixtures.store(db(), schema);
    inbox = Inbox.install(store);
    schemas = PayloadSchemas.install(store);
    store.jdbi().useHandle(h -> h.execute("CREATE TABLE " + schema + ".received (event_id uuid "
        + "PRIMARY KEY, payload text NOT NULL)"));
    broker = broker();
  }

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closeLater.size() - 1; i >= 0; i--) {
      closeLater.get(i).close();
    }
    broker.delete();
    store.close();
  }

  <T extends AutoCloseable> T later(T resource) {
    closeLater.add(resource);
    return resource;
  }

  /**
   * Sends one stored event through the test's broker in {@code format} and returns nothing: a
   * subclass reads it off the broker itself to check how its transport frames the format.
   */
  protected void sendOneEvent(CloudEventFormat format) throws Exception {
    store.append(StreamId.of("account", "wire"), ExpectedVersion.any(), List.of(NewEvent.of(new Fixtures.Deposited(1))));
    CloudEventMapper mapper = CloudEventMapper.builder(Fixtures.registry()).source("urn:annals:test:bank").build();
    List<OutgoingMessage> messages = new ArrayList<>();
    for (RecordedEvent e : store.readAll(0, 100, LogFilter.all())) {
      messages.add(mapper.toMessage(e));
    }
    later(broker.sink(format)).send(messages);
  }

  long received() {
    return store.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM " + schema + ".received")
        .mapTo(Long.class).one());
  }

  @ParameterizedTest
  @EnumSource(CloudEventFormat.class)
  void every_attribute_arrives_in_each_format_and_a_redelivery_has_no_second_effect(CloudEventFormat format)
      throws Exception {
    schemas.register(Fixtures.registry(), Fixtures.Deposited.class, DEPOSITED);
    Metadata traced = Metadata.empty().withCorrelationId("corr-7").withCausationId("cmd-3")
        .with(Metadata.TRACEPARENT, TRACEPARENT).with(Metadata.TRACESTATE, "bank=1");
    StreamId stream = StreamId.of("account", "f1");
    store.append(stream, ExpectedVersion.any(), List.of(NewEvent.of(new Fixtures.Deposited(250), traced),
        NewEvent.of(new Fixtures.Frozen("court order"), traced), NewEvent.of(new Fixtures.Deposited(7))));
    CloudEventMapper mapper = CloudEventMapper.builder(Fixtures.registry()).source("urn:annals:test:bank")
        .payloadSchemas(schemas).build();
    List<OutgoingMessage> sent = new ArrayList<>();
    for (RecordedEvent e : store.readAll(0, 100, LogFilter.all())) {
      sent.add(mapper.toMessage(e));
    }

    Map<String, CloudEvent> arrived = new ConcurrentHashMap<>();
    MessageHandler handler = (event, handle) -> {
      arrived.put(event.getId(), event);
      handle.execute("INSERT INTO " + schema + ".received (event_id, payload) VALUES (?, ?)",
          CloudEventMapper.eventId(event), schemas.decode(event));
    };
    BrokerContract.Consumer consumer = later(broker.consumer(inbox, "formats", handler));
    MessageSink sink = later(broker.sink(format));
    sink.send(sent);
    Fixtures.await("three effects", Duration.ofSeconds(60), () -> consumer.counts().applied() == 3);
    // The same events once more, as a broker redelivering them would.
    for (OutgoingMessage m : sent) {
      CloudEventCodec.Encoded enc = CloudEventCodec.encode(m.event(), Encoding.STRUCTURED, format, "");
      broker.publishRaw(enc.contentType(), enc.body());
    }
    Fixtures.await("three duplicates", Duration.ofSeconds(60), () -> consumer.counts().duplicates() == 3);

    assertThat(received()).as("effects").isEqualTo(3);
    for (OutgoingMessage m : sent) {
      CloudEvent got = arrived.get(m.id());
      assertThat(got).as("event %s", m.id()).isNotNull();
      CloudEvent asBytes = CloudEventBuilder.v1(got).withData(got.getData().toBytes()).build();
      assertThat(asBytes).as("event %s as it arrived in %s", m.id(), format).isEqualTo(m.event());
    }
    CloudEvent first = arrived.get(sent.get(0).id());
    assertThat(CloudEventMapper.traceparent(first)).contains(TRACEPARENT);
    assertThat(CloudEventMapper.tracestate(first)).contains("bank=1");
    assertThat(first.getDataContentType()).isEqualTo(PayloadSchemas.AVRO_CONTENT_TYPE);
    List<String> payloads = store.jdbi().withHandle(h -> h.createQuery("SELECT payload FROM " + schema
        + ".received ORDER BY payload").mapTo(String.class).list());
    assertThat(payloads).as("payloads decoded by the consumer")
        .containsExactly("{\"cents\":250}", "{\"cents\":7}", "{\"reason\":\"court order\"}");
    assertThat(consumer.counts().deadLettered()).isZero();
  }

  @Test
  void crafted_bodies_are_dead_lettered_with_a_clear_error_and_the_consumer_goes_on() throws Exception {
    Fixtures.append(store, StreamId.of("account", "c1"), new Fixtures.Deposited(1));
    CloudEvent good = Fixtures.mapper().toCloudEvent(store.readAll(0, 10, LogFilter.all()).get(0));
    byte[] protobuf = CloudEventCodec.encode(good, Encoding.STRUCTURED, CloudEventFormat.PROTOBUF, "").body();
    byte[] huge = new byte[512 * 1024];
    new Random(7).nextBytes(huge);

    broker.publishRaw(CloudEventFormat.PROTOBUF.contentType(), Arrays.copyOf(protobuf, protobuf.length - 9));
    broker.publishRaw(CloudEventFormat.AVRO.contentType(),
        new byte[] {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x08, 'a', 'b', 'c'});
    broker.publishRaw("application/x-protobuf", protobuf);
    broker.publishRaw(CloudEventFormat.AVRO.contentType(), huge);
    CloudEventCodec.Encoded ok = CloudEventCodec.encode(good, Encoding.STRUCTURED, CloudEventFormat.AVRO, "");
    broker.publishRaw(ok.contentType(), ok.body());

    BrokerContract.Consumer consumer = later(broker.consumer(inbox, "crafted", (event, handle) ->
        handle.execute("INSERT INTO " + schema + ".received (event_id, payload) VALUES (?, ?)",
            CloudEventMapper.eventId(event), CloudEventMapper.dataAsString(event))));
    Fixtures.await("one effect and four dead letters", Duration.ofSeconds(60),
        () -> consumer.counts().applied() == 1 && consumer.counts().deadLettered() == 4);

    List<String> errors = broker.deadLetterErrors(inbox, "crafted");
    assertThat(errors).hasSize(4);
    assertThat(errors).anySatisfy(e -> assertThat(e).contains("not a structured-mode PROTOBUF event"));
    assertThat(errors).anySatisfy(e -> assertThat(e).contains("not a structured-mode AVRO event",
        "claims more bytes than the 8 it has"));
    assertThat(errors).anySatisfy(e -> assertThat(e).contains("neither a structured-mode content type",
        "application/x-protobuf"));
    assertThat(errors).allSatisfy(e -> assertThat(e.length()).as("an error about a 512 KiB body")
        .isLessThan(2_000));
    assertThat(received()).isEqualTo(1);
  }
}
