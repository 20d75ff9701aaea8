package dev.annals.messaging.schemas;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.annals.messaging.internal.BoundedAvro;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.AvroTypeException;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;

/**
 * Plain JSON (as Jackson writes a payload) to Avro binary and back, guided by a schema. Avro's
 * own JSON encoding wraps union values ({@code {"string": "x"}}) and is not what the event
 * registry writes; jackson-dataformat-avro would do this job but declares a module named
 * {@code avro}, which Avro 1.12 no longer is, so it cannot run on the module path.
 *
 * <p>Unions take the first branch the value fits (so {@code ["null", "string"]} works both
 * ways); bytes and fixed are base64 text in JSON. Stateless.
 */
final class AvroJson {

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private AvroJson() {}

  static byte[] encode(Schema schema, JsonNode json) throws IOException {
    Object datum = toAvro(schema, json, "");
    ByteArrayOutputStream out = new ByteArrayOutputStream(128);
    BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
    new GenericDatumWriter<Object>(schema).write(datum, encoder);
    encoder.flush();
    return out.toByteArray();
  }

  static JsonNode decode(Schema schema, byte[] data) throws IOException {
    return toJson(schema, BoundedAvro.read(schema, data));
  }

  private static Object toAvro(Schema schema, JsonNode json, String path) {
    boolean absent = json == null || json.isNull() || json.isMissingNode();
    switch (schema.getType()) {
      case NULL:
        if (absent) {
          return null;
        }
        break;
      case UNION:
        for (Schema branch : schema.getTypes()) {
          if (fits(branch, json)) {
            return toAvro(branch, json, path);
          }
        }
        break;
      case RECORD:
        if (json != null && json.isObject()) {
          GenericRecord r = new GenericData.Record(schema);
          for (Schema.Field f : schema.getFields()) {
            JsonNode value = json.get(f.name());
            if ((value == null || value.isMissingNode()) && f.hasDefaultValue()) {
              r.put(f.pos(), GenericData.get().getDefaultValue(f));
            } else {
              r.put(f.pos(), toAvro(f.schema(), value, path + "." + f.name()));
            }
          }
          return r;
        }
        break;
      case ARRAY:
        if (json != null && json.isArray()) {
          List<Object> items = new ArrayList<>();
          for (int i = 0; i < json.size(); i++) {
            items.add(toAvro(schema.getElementType(), json.get(i), path + "[" + i + "]"));
          }
          return items;
        }
        break;
      case MAP:
        if (json != null && json.isObject()) {
          Map<String, Object> map = new LinkedHashMap<>();
          for (Iterator<Map.Entry<String, JsonNode>> it = json.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            map.put(e.getKey(), toAvro(schema.getValueType(), e.getValue(), path + "." + e.getKey()));
          }
          return map;
        }
        break;
      case ENUM:
        if (json != null && json.isTextual() && schema.hasEnumSymbol(json.asText())) {
          return new GenericData.EnumSymbol(schema, json.asText());
        }
        break;
      case STRING:
        if (json != null && json.isTextual()) {
          return json.asText();
        }
        break;
      case BYTES:
        if (json != null && json.isTextual()) {
          return ByteBuffer.wrap(Base64.getDecoder().decode(json.asText()));
        }
        break;
      case FIXED:
        if (json != null && json.isTextual()) {
          return new GenericData.Fixed(schema, Base64.getDecoder().decode(json.asText()));
        }
        break;
      case INT:
        if (json != null && json.canConvertToInt() && json.isIntegralNumber()) {
          return json.intValue();
        }
        break;
      case LONG:
        if (json != null && json.canConvertToLong() && json.isIntegralNumber()) {
          return json.longValue();
        }
        break;
      case FLOAT:
        if (json != null && json.isNumber()) {
          return json.floatValue();
        }
        break;
      case DOUBLE:
        if (json != null && json.isNumber()) {
          return json.doubleValue();
        }
        break;
      case BOOLEAN:
        if (json != null && json.isBoolean()) {
          return json.booleanValue();
        }
        break;
      default:
        break;
    }
    throw new AvroTypeException("value at '" + (path.isEmpty() ? "." : path) + "' ("
        + (json == null ? "missing" : json.getNodeType().toString().toLowerCase(java.util.Locale.ROOT))
        + ") does not fit Avro type " + schema.getType().getName());
  }

  private static boolean fits(Schema schema, JsonNode json) {
    try {
      toAvro(schema, json, "");
      return true;
    } catch (AvroTypeException | IllegalArgumentException e) {
      return false;
    }
  }

  private static JsonNode toJson(Schema schema, Object datum) {
    if (datum == null) {
      return NODES.nullNode();
    }
    switch (schema.getType()) {
      case UNION:
        return toJson(schema.getTypes().get(GenericData.get().resolveUnion(schema, datum)), datum);
      case RECORD: {
        GenericRecord r = (GenericRecord) datum;
        ObjectNode o = NODES.objectNode();
        for (Schema.Field f : schema.getFields()) {
          o.set(f.name(), toJson(f.schema(), r.get(f.pos())));
        }
        return o;
      }
      case ARRAY: {
        ArrayNode a = NODES.arrayNode();
        for (Object item : (Collection<?>) datum) {
          a.add(toJson(schema.getElementType(), item));
        }
        return a;
      }
      case MAP: {
        ObjectNode o = NODES.objectNode();
        for (Map.Entry<?, ?> e : ((Map<?, ?>) datum).entrySet()) {
          o.set(e.getKey().toString(), toJson(schema.getValueType(), e.getValue()));
        }
        return o;
      }
      case BYTES: {
        ByteBuffer b = ((ByteBuffer) datum).duplicate();
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        return NODES.textNode(Base64.getEncoder().encodeToString(bytes));
      }
      case FIXED:
        return NODES.textNode(Base64.getEncoder().encodeToString(((GenericData.Fixed) datum).bytes()));
      case INT:
        return NODES.numberNode((Integer) datum);
      case LONG:
        return NODES.numberNode((Long) datum);
      case FLOAT:
        return NODES.numberNode((Float) datum);
      case DOUBLE:
        return NODES.numberNode((Double) datum);
      case BOOLEAN:
        return NODES.booleanNode((Boolean) datum);
      default:
        return NODES.textNode(datum.toString());
    }
  }
}
