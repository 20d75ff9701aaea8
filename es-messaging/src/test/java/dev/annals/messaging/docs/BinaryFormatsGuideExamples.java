package dev.annals.messaging.docs;

import com.rabbitmq.client.ConnectionFactory;
import dev.annals.core.EventRegistry;
import dev.annals.messaging.CloudEventFormat;
import dev.annals.messaging.CloudEventMapper;
import dev.annals.messaging.Fixtures.Deposited;
import dev.annals.messaging.MessageSink;
import dev.annals.messaging.inbox.MessageHandler;
import dev.annals.messaging.nats.NatsSink;
import dev.annals.messaging.rabbitmq.RabbitMqSink;
import dev.annals.messaging.schemas.IncompatibleSchemaException;
import dev.annals.messaging.schemas.PayloadSchema;
import dev.annals.messaging.schemas.PayloadSchemas;
import dev.annals.postgres.PostgresEventStore;
import org.apache.avro.Schema;

/**
 * The examples of the section "Binary formats: Protobuf and Avro" of docs/messaging.md, through
 * the public API only; MessagingGuideTest checks that the guide shows each tagged region as it
 * is here. RabbitMqFormatsIT, NatsFormatsIT and PayloadSchemasIT run the same calls end to end.
 */
final class BinaryFormatsGuideExamples {

  private BinaryFormatsGuideExamples() {}

  static MessageSink[] sinks(ConnectionFactory factory) {
    // tag::binary-format-sinks[]
    MessageSink rabbit = RabbitMqSink.builder(factory)
        .exchange("bank.events")
        .format(CloudEventFormat.PROTOBUF)    // structured mode, application/cloudevents+protobuf
        .build();

    MessageSink nats = NatsSink.builder("nats://127.0.0.1:4222")
        .subjectPrefix("bank.events")
        .format(CloudEventFormat.AVRO)        // structured mode, application/cloudevents+avrocompact
        .build();
    // end::binary-format-sinks[]
    return new MessageSink[] {rabbit, nats};
  }

  static CloudEventMapper schemas(PostgresEventStore store, EventRegistry registry) {
    // tag::payload-schemas[]
    PayloadSchemas schemas = PayloadSchemas.install(store);   // the messaging tables, V3
    Schema deposited = new Schema.Parser().parse("""
        {"type": "record", "name": "Deposited", "namespace": "com.bank",
         "fields": [{"name": "cents", "type": "long"},
                    {"name": "memo", "type": ["null", "string"], "default": null}]}
        """);
    PayloadSchema version = schemas.register(registry, Deposited.class, deposited);

    CloudEventMapper mapper = CloudEventMapper.builder(registry)
        .source("urn:bank:accounts")
        .payloadSchemas(schemas)    // Deposited travels as application/avro, naming its version
        .build();
    // end::payload-schemas[]
    return mapper;
  }

  static void refused(PayloadSchemas schemas, Schema changed) {
    // tag::incompatible-schema[]
    try {
      schemas.register("Deposited", changed);
    } catch (IncompatibleSchemaException e) {
      // e.g. [version 1 reading new data: field 'cents' (/fields/0): missing from the written
      // data and has no default]
      System.err.println(e.eventType() + " v" + e.storedVersion() + ": " + e.problems());
    }
    // end::incompatible-schema[]
  }

  static MessageHandler consuming(PayloadSchemas schemas) {
    // tag::payload-schemas-consume[]
    MessageHandler handler = (event, handle) -> {
      String json = schemas.decode(event);   // Avro data read with the version it names; JSON as is
      handle.execute("INSERT INTO payments.deposits (event_id, payload) VALUES (?, ?::jsonb)",
          CloudEventMapper.eventId(event), json);
    };
    // end::payload-schemas-consume[]
    return handler;
  }
}
