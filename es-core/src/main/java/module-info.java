/**
 * Annals' core: events and envelopes, stream ids, expected versions, the event and snapshot
 * store interfaces, deciders, the aggregate repository, the event registry with upcasters, and
 * in-memory stores. No JDBC.
 */
module dev.annals.core {
  requires transitive com.fasterxml.jackson.databind;
  requires com.fasterxml.jackson.datatype.jsr310;
  requires com.github.benmanes.caffeine;

  exports dev.annals.core;
  // Plumbing shared by the stores and transports; not API, so not exported to applications.
  exports dev.annals.core.internal to
      dev.annals.postgres, dev.annals.projections, dev.annals.messaging, dev.annals.messaging.kafka,
      dev.annals.opentelemetry;
}
