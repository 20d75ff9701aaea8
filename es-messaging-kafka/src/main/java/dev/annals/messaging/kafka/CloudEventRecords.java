package dev.annals.messaging.kafka;

import dev.annals.messaging.CloudEventFormat;
import dev.annals.messaging.internal.CloudEventCodec;
import io.cloudevents.CloudEvent;
import io.cloudevents.kafka.KafkaMessageFactory;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/**
 * Reads a Kafka record as a CloudEvent in either mode of the Kafka protocol binding. Structured
 * mode is recognized by its {@code content-type} header (JSON, Protobuf or Avro) and parsed with
 * that format directly, so reading does not depend on which formats happen to be registered on
 * the classpath.
 */
final class CloudEventRecords {

  private static final String CONTENT_TYPE = "content-type";
  private CloudEventRecords() {}

  /**
   * @throws NotACloudEventException naming what is missing or malformed
   */
  static CloudEvent read(ConsumerRecord<String, byte[]> record) {
    String contentType = header(record, CONTENT_TYPE);
    try {
      Optional<CloudEventFormat> structured = CloudEventCodec.structuredFormat(contentType);
      if (structured.isPresent()) {
        if (record.value() == null) {
          throw new NotACloudEventException("record has content-type " + contentType + " but no value");
        }
        try {
          return CloudEventCodec.readStructured(structured.get(), record.value());
        } catch (IllegalArgumentException e) {
          throw new NotACloudEventException(e.getMessage(), e);
        }
      }
      if (header(record, "ce_specversion") == null) {
        throw new NotACloudEventException("record has neither a ce_specversion header (binary mode) nor "
            + "a structured-mode content-type (application/cloudevents+json, +protobuf or +avrocompact)"
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
