package dev.annals.bank.streams;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.annals.core.EventRegistry;
import java.io.IOException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/** JSON serdes for the records the topology keeps in its stores and writes to its topics. */
final class Json {

  /** Strict reading and ISO times, as the event store writes payloads. */
  static final ObjectMapper MAPPER = EventRegistry.defaultObjectMapper();

  private Json() {}

  static <T> Serde<T> serde(Class<T> type) {
    return Serdes.serdeFrom(
        (topic, value) -> value == null ? null : write(value),
        (topic, bytes) -> bytes == null ? null : read(bytes, type));
  }

  static byte[] write(Object value) {
    try {
      return MAPPER.writeValueAsBytes(value);
    } catch (JsonProcessingException e) {
      throw new SerializationException("cannot write " + value.getClass().getSimpleName() + " as JSON: "
          + e.getOriginalMessage(), e);
    }
  }

  static <T> T read(byte[] bytes, Class<T> type) {
    try {
      return MAPPER.readValue(bytes, type);
    } catch (IOException e) {
      throw new SerializationException("cannot read " + type.getSimpleName() + " from JSON: " + e.getMessage(), e);
    }
  }
}
