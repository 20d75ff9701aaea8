package dev.annals.messaging;

/**
 * The event format of structured mode, chosen per sink: the whole CloudEvent (attributes,
 * extensions and data) in the message body, its content type telling the consumer how to read
 * it. Every consumer of this framework reads all three, whatever its broker.
 *
 * <p>JSON is readable by anyone and by eye; Protobuf and Avro are smaller and faster to parse,
 * and carry binary data (such as a payload in its own Avro schema) without base64.
 */
public enum CloudEventFormat {
  /** The JSON event format, {@code application/cloudevents+json}. */
  JSON("application/cloudevents+json"),
  /** The Protobuf event format of the CloudEvents SDK, {@code application/cloudevents+protobuf}. */
  PROTOBUF("application/cloudevents+protobuf"),
  /**
   * The Avro Compact event format of the CloudEvents specification,
   * {@code application/cloudevents+avrocompact}: attributes as record fields, extensions in a
   * map, data as bytes.
   */
  AVRO("application/cloudevents+avrocompact");

  private final String contentType;

  CloudEventFormat(String contentType) {
    this.contentType = contentType;
  }

  /** The content type of a structured-mode message in this format. */
  public String contentType() {
    return contentType;
  }
}
