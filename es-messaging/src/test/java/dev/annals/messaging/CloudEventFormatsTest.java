package dev.annals.messaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rabbitmq.client.ConnectionFactory;
import dev.annals.core.Metadata;
import dev.annals.core.RecordedEvent;
import dev.annals.core.StreamId;
import dev.annals.messaging.internal.CloudEventCodec;
import dev.annals.messaging.nats.NatsSink;
import dev.annals.messaging.rabbitmq.RabbitMqSink;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.core.message.Encoding;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The structured-mode formats without a broker: what goes in comes out, and what is bad is refused. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class CloudEventFormatsTest {

  static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

  static CloudEvent sample() {
    RecordedEvent e = new RecordedEvent(UUID.randomUUID(), StreamId.of("account", "42"), 7,
        3_000_000_000L, "Deposited", 1, new Fixtures.Deposited(250),
        Metadata.empty().withOccurredAt(Instant.parse("2026-03-04T05:06:07.123456Z"))
            .withCorrelationId("corr-1").withCausationId("cmd-9")
            .with(Metadata.TRACEPARENT, TRACEPARENT).with(Metadata.TRACESTATE, "vendor=x"),
        Instant.parse("2026-03-04T05:06:08Z"));
    return CloudEventBuilder.v1(Fixtures.mapper().toCloudEvent(e))
        .withDataSchema(URI.create("urn:annals:payload-schema:Deposited:1")).build();
  }

  @ParameterizedTest
  @EnumSource(CloudEventFormat.class)
  void every_attribute_and_extension_survives_a_round_trip(CloudEventFormat format) {
    CloudEvent sent = sample();
    CloudEventCodec.Encoded enc = CloudEventCodec.encode(sent, Encoding.STRUCTURED, format, "ce-");
    assertThat(enc.contentType()).isEqualTo(format.contentType());
    assertThat(enc.headers()).isEmpty();

    CloudEvent received = CloudEventCodec.decode(Map.of(), enc.contentType(), enc.body(), "ce-");

    // JSON hands the data back as a tree; compare it as bytes like the others.
    CloudEvent asBytes = CloudEventBuilder.v1(received).withData(received.getData().toBytes()).build();
    assertThat(asBytes).as("the event read back in %s", format).isEqualTo(sent);
    assertThat(CloudEventMapper.traceparent(received)).contains(TRACEPARENT);
    assertThat(CloudEventMapper.tracestate(received)).contains("vendor=x");
    assertThat(CloudEventMapper.position(received)).isEqualTo(3_000_000_000L);
    assertThat(received.getData().toBytes()).isEqualTo(sent.getData().toBytes());
  }

  @Test
  void protobuf_and_avro_are_smaller_than_json() {
    CloudEvent e = sample();
    int json = CloudEventCodec.encode(e, Encoding.STRUCTURED, CloudEventFormat.JSON, "").body().length;
    assertThat(CloudEventCodec.encode(e, Encoding.STRUCTURED, CloudEventFormat.PROTOBUF, "").body())
        .hasSizeLessThan(json);
    assertThat(CloudEventCodec.encode(e, Encoding.STRUCTURED, CloudEventFormat.AVRO, "").body())
        .hasSizeLessThan(json);
  }

  @Test
  void the_content_type_chooses_the_format_with_parameters_and_case_ignored() {
    assertThat(CloudEventCodec.structuredFormat("Application/CloudEvents+Protobuf; charset=utf-8"))
        .contains(CloudEventFormat.PROTOBUF);
    assertThat(CloudEventCodec.structuredFormat("application/cloudevents+avrocompact"))
        .contains(CloudEventFormat.AVRO);
    assertThat(CloudEventCodec.structuredFormat("application/cloudevents+jsonx")).isEmpty();
    assertThat(CloudEventCodec.structuredFormat(null)).isEmpty();
  }

  @ParameterizedTest
  @EnumSource(value = CloudEventFormat.class, names = {"PROTOBUF", "AVRO"})
  void a_truncated_body_is_refused_with_the_format_named(CloudEventFormat format) {
    byte[] whole = CloudEventCodec.encode(sample(), Encoding.STRUCTURED, format, "").body();
    byte[] truncated = Arrays.copyOf(whole, whole.length / 2);
    assertThatThrownBy(() -> CloudEventCodec.decode(Map.of(), format.contentType(), truncated, "ce-"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not a CloudEvent")
        .hasMessageContaining("structured-mode " + format);
  }

  @ParameterizedTest
  @EnumSource(CloudEventFormat.class)
  void an_empty_body_is_refused(CloudEventFormat format) {
    assertThatThrownBy(() -> CloudEventCodec.decode(Map.of(), format.contentType(), new byte[0], "ce-"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("empty body");
  }

  @Test
  void an_avro_body_that_claims_a_huge_string_is_refused_without_allocating_it() {
    // id: a string whose zig-zag varint length says about 1 GiB, followed by three bytes.
    byte[] forged = {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x08, 'a', 'b', 'c'};
    assertThatThrownBy(() -> CloudEventCodec.decode(Map.of(), CloudEventFormat.AVRO.contentType(), forged, ""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("structured-mode AVRO")
        .hasMessageContaining("claims more bytes than the 8 it has");
  }

  @Test
  void a_body_in_one_format_labelled_as_another_is_refused() {
    byte[] json = CloudEventCodec.encode(sample(), Encoding.STRUCTURED, CloudEventFormat.JSON, "").body();
    assertThatThrownBy(() -> CloudEventCodec.decode(Map.of(), CloudEventFormat.PROTOBUF.contentType(), json, ""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("structured-mode PROTOBUF");
    byte[] garbage = "this is not a CloudEvent".getBytes(StandardCharsets.UTF_8);
    assertThatThrownBy(() -> CloudEventCodec.decode(Map.of(), "application/x-protobuf", garbage, "ce-"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("neither a structured-mode content type")
        .hasMessageContaining("application/x-protobuf");
  }

  @Test
  void a_sink_refuses_binary_mode_with_a_binary_format() {
    ConnectionFactory factory = new ConnectionFactory();
    assertThatThrownBy(() -> RabbitMqSink.builder(factory).exchange("x").encoding(Encoding.BINARY)
        .format(CloudEventFormat.PROTOBUF).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("format PROTOBUF is a structured-mode format");
    assertThatThrownBy(() -> NatsSink.builder("nats://127.0.0.1:4222").subjectPrefix("a.b")
        .format(CloudEventFormat.AVRO).encoding(Encoding.BINARY).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("format AVRO");
  }
}
