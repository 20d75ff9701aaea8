package dev.annals.messaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.annals.core.Metadata;
import dev.annals.core.RecordedEvent;
import dev.annals.core.StreamId;
import dev.annals.messaging.internal.CloudEventCodec;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.message.Encoding;
import java.net.URI;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.UUID;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class CloudEventMapperTest {

  static final UUID ID = UUID.fromString("3f0c0b8e-8d1a-4f5e-9c51-0a9a1b2c3d4e");
  static final Instant OCCURRED = Instant.parse("2026-03-04T05:06:00Z");

  final CloudEventMapper mapper = CloudEventMapper.builder(Fixtures.registry())
      .source("urn:bank:accounts").typePrefix("com.bank.").build();

  RecordedEvent event(Metadata metadata) {
    return new RecordedEvent(ID, StreamId.of("account", "42"), 7, 3_000_000_000L, "Deposited", 1,
        new Fixtures.Deposited(250), metadata, Instant.parse("2026-03-04T05:06:07Z"));
  }

  @Test
  void an_event_becomes_a_cloud_event_with_the_documented_attributes() {
    CloudEvent e = mapper.toCloudEvent(event(Metadata.empty().withOccurredAt(OCCURRED)
        .withCorrelationId("corr-1").withCausationId("cmd-9")));
    assertThat(e.getSpecVersion().toString()).isEqualTo("1.0");
    assertThat(e.getId()).isEqualTo(ID.toString());
    assertThat(e.getSource()).isEqualTo(URI.create("urn:bank:accounts"));
    assertThat(e.getType()).isEqualTo("com.bank.Deposited");
    assertThat(e.getSubject()).isEqualTo("account-42");
    assertThat(e.getTime()).isEqualTo(OCCURRED.atOffset(ZoneOffset.UTC));
    assertThat(e.getDataContentType()).isEqualTo("application/json");
    assertThat(CloudEventMapper.dataAsString(e)).isEqualTo("{\"cents\":250}");
    assertThat(e.getExtension("streamversion")).isEqualTo("7");
    assertThat(e.getExtension("position")).as("beyond 32 bits, hence a string").isEqualTo("3000000000");
    assertThat(e.getExtension("schemaversion")).isEqualTo("1");
    assertThat(CloudEventMapper.eventId(e)).isEqualTo(ID);
    assertThat(CloudEventMapper.streamId(e)).isEqualTo(StreamId.of("account", "42"));
    assertThat(CloudEventMapper.streamVersion(e)).isEqualTo(7);
    assertThat(CloudEventMapper.position(e)).isEqualTo(3_000_000_000L);
    assertThat(CloudEventMapper.correlationId(e)).contains("corr-1");
    assertThat(CloudEventMapper.causationId(e)).contains("cmd-9");
  }

  @Test
  void without_an_occurrence_time_the_recording_time_is_used_and_absent_ids_are_left_out() {
    CloudEvent e = mapper.toCloudEvent(event(Metadata.empty()));
    assertThat(e.getTime()).isEqualTo(Instant.parse("2026-03-04T05:06:07Z").atOffset(ZoneOffset.UTC));
    assertThat(e.getExtensionNames()).doesNotContain("correlationid", "causationid");
    assertThat(CloudEventMapper.correlationId(e)).isEmpty();
  }

  @ParameterizedTest
  @EnumSource(Encoding.class)
  void the_trace_context_in_the_metadata_travels_as_the_distributed_tracing_extension(Encoding encoding) {
    String traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    CloudEvent e = mapper.toCloudEvent(event(Metadata.empty().with(Metadata.TRACEPARENT, traceparent)
        .with(Metadata.TRACESTATE, "vendor=abc")));
    assertThat(e.getExtension("traceparent")).isEqualTo(traceparent);
    assertThat(e.getExtension("tracestate")).isEqualTo("vendor=abc");
    CloudEventCodec.Encoded wire = CloudEventCodec.encode(e, encoding, "ce-");
    CloudEvent back = CloudEventCodec.decode(wire.headers(), wire.contentType(), wire.body(), "ce-");
    assertThat(CloudEventMapper.traceparent(back)).contains(traceparent);
    assertThat(CloudEventMapper.tracestate(back)).contains("vendor=abc");

    CloudEvent untraced = mapper.toCloudEvent(event(Metadata.empty()));
    assertThat(untraced.getExtensionNames()).doesNotContain("traceparent", "tracestate");
    assertThat(CloudEventMapper.traceparent(untraced)).isEmpty();
  }

  @ParameterizedTest
  @EnumSource(Encoding.class)
  void an_event_survives_a_transport_in_either_mode(Encoding encoding) {
    CloudEvent e = mapper.toCloudEvent(event(Metadata.empty().withOccurredAt(OCCURRED).withCorrelationId("c")));
    CloudEventCodec.Encoded wire = CloudEventCodec.encode(e, encoding, "ce-");
    CloudEvent back = CloudEventCodec.decode(wire.headers(), wire.contentType(), wire.body(), "ce-");
    assertThat(back.getId()).isEqualTo(e.getId());
    assertThat(back.getSource()).isEqualTo(e.getSource());
    assertThat(back.getType()).isEqualTo(e.getType());
    assertThat(back.getSubject()).isEqualTo(e.getSubject());
    assertThat(back.getTime()).isEqualTo(e.getTime());
    assertThat(CloudEventMapper.dataAsString(back)).isEqualTo(CloudEventMapper.dataAsString(e));
    assertThat(CloudEventMapper.position(back)).isEqualTo(3_000_000_000L);
    assertThat(CloudEventMapper.correlationId(back)).contains("c");
    if (encoding == Encoding.BINARY) {
      assertThat(wire.headers()).containsEntry("ce-id", ID.toString()).containsEntry("ce-time", "2026-03-04T05:06:00Z");
      assertThat(wire.contentType()).isEqualTo("application/json");
    } else {
      assertThat(wire.contentType()).isEqualTo("application/cloudevents+json");
    }
  }

  @Test
  void a_message_that_is_no_cloud_event_is_refused_with_the_reason() {
    assertThatThrownBy(() -> CloudEventCodec.decode(java.util.Map.of(), "text/plain", new byte[] {1}, "ce-"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a CloudEvent");
    assertThatThrownBy(() -> CloudEventCodec.decode(java.util.Map.of(), "application/cloudevents+json",
        "{oops".getBytes(), "ce-"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a CloudEvent");
  }

  @Test
  void the_builder_names_what_is_missing_or_wrong() {
    assertThatThrownBy(() -> CloudEventMapper.builder(Fixtures.registry()).build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("needs a source(...)");
    assertThatThrownBy(() -> CloudEventMapper.builder(Fixtures.registry()).typePrefix("com bank"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'com bank'");
    assertThatThrownBy(() -> Publisher.builder("mirror", null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> Publisher.builder("Mirror!", new NoSink())).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'Mirror!'");
    assertThatThrownBy(() -> Publisher.builder("mirror", new NoSink()).build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("publisher mirror needs a mapper");
  }

  static final class NoSink implements MessageSink {
    @Override
    public String describe() {
      return "nowhere";
    }

    @Override
    public void send(java.util.List<OutgoingMessage> batch) {}

    @Override
    public void close() {}
  }
}
