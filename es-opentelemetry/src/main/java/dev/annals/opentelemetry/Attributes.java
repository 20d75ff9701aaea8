package dev.annals.opentelemetry;

import io.opentelemetry.api.common.AttributeKey;

/** The span attributes this module sets; docs/observability.md lists them. */
final class Attributes {

  static final AttributeKey<String> STREAM = AttributeKey.stringKey("annals.stream");
  static final AttributeKey<String> AGGREGATE_TYPE = AttributeKey.stringKey("annals.aggregate.type");
  static final AttributeKey<Long> VERSION = AttributeKey.longKey("annals.stream.version");
  static final AttributeKey<Long> POSITION = AttributeKey.longKey("annals.position");
  static final AttributeKey<Long> EVENTS = AttributeKey.longKey("annals.events");
  static final AttributeKey<Boolean> FROM_SNAPSHOT = AttributeKey.booleanKey("annals.load.from_snapshot");
  static final AttributeKey<String> PROJECTOR = AttributeKey.stringKey("annals.projector");
  static final AttributeKey<Long> PARTITION = AttributeKey.longKey("annals.partition");
  static final AttributeKey<Long> FIRST_POSITION = AttributeKey.longKey("annals.position.first");
  static final AttributeKey<Long> HANDLED = AttributeKey.longKey("annals.events.handled");
  static final AttributeKey<String> PUBLISHER = AttributeKey.stringKey("annals.publisher");
  static final AttributeKey<String> CONSUMER = AttributeKey.stringKey("annals.consumer");
  static final AttributeKey<String> MESSAGE_ID = AttributeKey.stringKey("messaging.message.id");
  static final AttributeKey<Long> BATCH_SIZE = AttributeKey.longKey("messaging.batch.message_count");

  private Attributes() {}
}
