/**
 * OpenTelemetry tracing of Annals: append, load and projector batch spans, the W3C trace context
 * captured in event metadata and carried by CloudEvents to the inbox. Works with any
 * {@code OpenTelemetry} instance, no Spring.
 */
module dev.annals.opentelemetry {
  requires transitive dev.annals.core;
  requires transitive dev.annals.projections;
  requires static transitive dev.annals.messaging;
  requires transitive io.opentelemetry.api;
  requires io.opentelemetry.context;
  requires com.fasterxml.jackson.databind;

  exports dev.annals.opentelemetry;
}
