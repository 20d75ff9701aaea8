package dev.annals.messaging.kafka;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.format.EventFormat;
import io.cloudevents.jackson.JsonFormat;
import io.cloudevents.kafka.KafkaMessageFactory;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/**
 * Reads a Kafka record as a CloudEvent in either mode of the Kafka protocol binding. Structured
 * JSON is recognized by its {@code content-type} header and parsed with the JSON format directly,
 * so reading does not depend on which formats happen to be registered on the classpath.
 */
final class CloudEventRecords {

  private static final String CONTENT_TYPE = "content-type";
  private static final EventFormat JSON = new JsonFormat();

  private CloudEventRecords() {}

  /**
   * @throws NotACloudEventException naming what is missing or malformed
   */
  static CloudEvent read(ConsumerRecord<String, byte[]> record) {
    String contentType = header(record, CONTENT_TYPE);
    try {
      if (contentType != null
          && contentType.toLowerCase(Locale.ROOT).startsWith(JsonFormat.CONTENT_TYPE)) {
        if (record.value() == null) {
          throw new NotACloudEventException("record has content-type " + contentType + " but no value");
        }
        return JSON.deserialize(record.value());
      }
      if (header(record, "ce_specversion") == null) {
        throw new NotACloudEventException("record has neither a ce_specversion header (binary mode) nor "
            + "content-type " + JsonFormat.CONTENT_TYPE + " (structured mode)"
            + (contentType == null ? "" : "; its content-type is " + contentType));
      }
      return KafkaMessageFactory.createReader(record).toEvent();
    } catch (NotACloudEventException e) {
      throw e;
    } catch (RuntimeException e) {
      // The SDK's own exceptions (CloudEventRWException, EventDeserializationException) and the
      // JSON parser's all mean the same here: this record is not a CloudEvent.
      throw new NotACloudEventException("record is not a valid CloudEvent: " + e.getMessage(), e);
    }
  }

  private static String header(ConsumerRecord<?, ?> record, String name) {
    Header h = record.headers().lastHeader(name);
    return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  /** The record cannot be read as a CloudEvent; retrying will not change that. */
  static final class NotACloudEventException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    NotACloudEventException(String message) {
      super(message);
    }

    NotACloudEventException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
