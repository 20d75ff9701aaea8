package dev.annals.web;

import dev.annals.core.EventRegistry;
import dev.annals.core.RecordedEvent;
import dev.annals.messaging.CloudEventMapper;
import dev.annals.postgres.StoredEvent;
import io.cloudevents.jackson.JsonFormat;
import java.nio.charset.StandardCharsets;

/** Writes events as structured-mode CloudEvents JSON, as the brokers get them. Thread-safe. */
final class EventJson {

  private static final JsonFormat FORMAT = new JsonFormat();

  private final EventRegistry registry;
  private final CloudEventMapper mapper;

  EventJson(EventRegistry registry, CloudEventMapper mapper) {
    this.registry = registry;
    this.mapper = mapper;
  }

  /**
   * @throws dev.annals.core.UnknownEventTypeException if the type is not registered
   * @throws dev.annals.core.EventDecodingException if the payload does not decode
   */
  Followed write(StoredEvent stored) {
    return write(stored.decode(registry));
  }

  Followed write(RecordedEvent event) {
    String json = new String(FORMAT.serialize(mapper.toCloudEvent(event)), StandardCharsets.UTF_8);
    return new Followed(event.position(), event.version(), json);
  }
}
