/**
 * Publishing the log as CloudEvents (outbox, in JSON, Protobuf or Avro) to RabbitMQ, NATS JetStream and webhooks, and the
 * idempotent inbox. The broker clients are optional: an application adds the one it uses.
 */
module dev.annals.messaging {
  requires transitive dev.annals.core;
  requires transitive dev.annals.postgres;
  requires transitive dev.annals.projections;
  requires transitive io.cloudevents.api;
  requires io.cloudevents.core;
  requires io.cloudevents.formats.jackson;
  requires io.cloudevents.formats.protobuf;
  requires org.apache.avro;
  requires org.apache.httpcomponents.client5.httpclient5;
  requires org.apache.httpcomponents.core5.httpcore5;
  requires static com.rabbitmq.client;
  requires static io.nats.jnats;

  exports dev.annals.messaging;
  exports dev.annals.messaging.inbox;
  exports dev.annals.messaging.nats;
  exports dev.annals.messaging.rabbitmq;
  exports dev.annals.messaging.schemas;
  exports dev.annals.messaging.webhooks;
  // What the transports share (retries, the CloudEvent codec, inbox delivery); not API.
  exports dev.annals.messaging.internal to dev.annals.messaging.kafka, dev.annals.messaging.sqs;
}
