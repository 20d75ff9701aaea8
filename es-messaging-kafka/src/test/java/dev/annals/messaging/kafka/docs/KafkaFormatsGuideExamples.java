package dev.annals.messaging.kafka.docs;

import dev.annals.messaging.CloudEventFormat;
import dev.annals.messaging.kafka.KafkaSink;

/**
 * The Kafka example of the section "Binary formats: Protobuf and Avro" of docs/messaging.md;
 * es-messaging's MessagingGuideTest checks that the guide shows it as it is here. KafkaFormatsIT
 * runs the same calls against a broker.
 */
final class KafkaFormatsGuideExamples {

  private KafkaFormatsGuideExamples() {}

  static KafkaSink sink() {
    // tag::kafka-format[]
    KafkaSink sink = KafkaSink.builder("kafka-1:9092")
        .topicPerCategory("bank.")
        .format(CloudEventFormat.AVRO)   // structured mode: the event in the value, content-type header
        .build();
    // end::kafka-format[]
    return sink;
  }
}
