package dev.annals.messaging.internal;

import io.cloudevents.CloudEvent;
import io.cloudevents.CloudEventData;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.core.data.BytesCloudEventData;
import io.cloudevents.core.format.EventDeserializationException;
import io.cloudevents.core.format.EventFormat;
import io.cloudevents.core.format.EventSerializationException;
import io.cloudevents.rw.CloudEventDataMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;

/**
 * The Avro Compact event format of the CloudEvents specification
 * ({@code formats/avro-compact-format.md}): one Avro record per event, the extensions in a map,
 * the data as bytes. The SDK's module for it is not published on Maven Central, so this is the
 * SDK's {@link EventFormat} interface over Apache Avro and the specification's schema.
 * Stateless and thread-safe.
 */
public final class AvroCompactFormat implements EventFormat {

  /** The content type of an event in this format. */
  public static final String CONTENT_TYPE = "application/cloudevents+avrocompact";

  static final Schema SCHEMA = load();

  @Override
  public byte[] serialize(CloudEvent event) throws EventSerializationException {
    GenericRecord r = new GenericData.Record(SCHEMA);
    r.put("id", event.getId());
    r.put("source", event.getSource().toString());
    r.put("type", event.getType());
    r.put("datacontenttype", event.getDataContentType());
    r.put("dataschema", event.getDataSchema() == null ? null : event.getDataSchema().toString());
    r.put("subject", event.getSubject());
    r.put("time", event.getTime() == null ? null : micros(event.getTime()));
    Map<String, Object> extensions = new LinkedHashMap<>();
    for (String name : event.getExtensionNames()) {
      extensions.put(name, avroValue(event.getExtension(name)));
    }
    r.put("attributes", extensions);
    r.put("data", event.getData() == null ? null : ByteBuffer.wrap(event.getData().toBytes()));
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream(256);
      BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
      new GenericDatumWriter<GenericRecord>(SCHEMA).write(r, encoder);
      encoder.flush();
      return out.toByteArray();
    } catch (IOException | RuntimeException e) {
      throw new EventSerializationException(e);
    }
  }

  @Override
  public CloudEvent deserialize(byte[] bytes, CloudEventDataMapper<? extends CloudEventData> mapper)
      throws EventDeserializationException {
    try {
      GenericRecord r = (GenericRecord) BoundedAvro.read(SCHEMA, bytes);
      CloudEventBuilder b = CloudEventBuilder.v1()
          .withId(text(r.get("id")))
          .withSource(URI.create(text(r.get("source"))))
          .withType(text(r.get("type")));
      if (r.get("datacontenttype") != null) {
        b.withDataContentType(text(r.get("datacontenttype")));
      }
      if (r.get("dataschema") != null) {
        b.withDataSchema(URI.create(text(r.get("dataschema"))));
      }
      if (r.get("subject") != null) {
        b.withSubject(text(r.get("subject")));
      }
      if (r.get("time") != null) {
        b.withTime(time((Long) r.get("time")));
      }
      Map<?, ?> extensions = (Map<?, ?>) r.get("attributes");
      for (Map.Entry<?, ?> e : extensions.entrySet()) {
        extension(b, e.getKey().toString(), e.getValue());
      }
      if (r.get("data") instanceof ByteBuffer data) {
        byte[] copy = new byte[data.remaining()];
        data.get(copy);
        b.withData(mapper.map(BytesCloudEventData.wrap(copy)));
      }
      return b.build();
    } catch (IOException | RuntimeException e) {
      throw new EventDeserializationException(e);
    }
  }

  @Override
  public String serializedContentType() {
    return CONTENT_TYPE;
  }

  private static void extension(CloudEventBuilder b, String name, Object value) {
    if (value == null) {
      return;
    }
    if (value instanceof Boolean v) {
      b.withExtension(name, v);
    } else if (value instanceof Integer v) {
      b.withExtension(name, v);
    } else if (value instanceof Long v) {
      b.withExtension(name, time(v));
    } else if (value instanceof ByteBuffer v) {
      byte[] bytes = new byte[v.remaining()];
      v.get(bytes);
      b.withExtension(name, bytes);
    } else {
      b.withExtension(name, value.toString());
    }
  }

  private static Object avroValue(Object value) {
    if (value instanceof OffsetDateTime t) {
      return micros(t);
    }
    if (value instanceof byte[] bytes) {
      return ByteBuffer.wrap(bytes);
    }
    if (value instanceof Boolean || value instanceof Integer || value == null) {
      return value;
    }
    return value.toString();
  }

  private static long micros(OffsetDateTime t) {
    return ChronoUnit.MICROS.between(Instant.EPOCH, t.toInstant());
  }

  private static OffsetDateTime time(long micros) {
    return Instant.EPOCH.plus(micros, ChronoUnit.MICROS).atOffset(ZoneOffset.UTC);
  }

  private static String text(Object value) {
    return value.toString();
  }

  private static Schema load() {
    try (InputStream in = AvroCompactFormat.class.getResourceAsStream("cloudevents-avrocompact.avsc")) {
      if (in == null) {
        throw new IllegalStateException("cloudevents-avrocompact.avsc is missing from dev.annals.messaging.internal");
      }
      return new Schema.Parser().parse(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
