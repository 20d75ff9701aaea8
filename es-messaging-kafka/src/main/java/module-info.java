/** The Kafka binding of Annals' messaging: an idempotent producer sink and an inbox consumer. */
module dev.annals.messaging.kafka {
  requires transitive dev.annals.messaging;
  requires transitive kafka.clients;
  requires io.cloudevents.core;
  requires io.cloudevents.kafka;
  requires io.cloudevents.formats.jackson;

  exports dev.annals.messaging.kafka;
}
