package dev.annals.messaging.schemas;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.annals.core.EventRegistry;
import dev.annals.core.EventSerializationException;
import dev.annals.messaging.MessagingSchema;
import dev.annals.postgres.PostgresEventStore;
import io.cloudevents.CloudEvent;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.SchemaParseException;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * The Avro schemas of event payloads, per event type and version, kept in the messaging table
 * {@code payload_schemas}, and the payloads' Avro binary encoding.
 *
 * <pre>{@code
 * PayloadSchemas schemas = PayloadSchemas.install(store);
 * schemas.register(registry, Deposited.class, depositedSchema);   // at start-up
 * CloudEventMapper mapper = CloudEventMapper.builder(registry).source("urn:bank:accounts")
 *     .payloadSchemas(schemas).build();
 * }</pre>
 *
 * <p><b>The check at registration.</b> A schema is compared with every version of its type
 * already stored, in both directions, with Avro's own {@link SchemaCompatibility}: the new
 * schema must read data written with each old one (replays, messages still queued), and each
 * old one must read data written with the new (consumers not yet upgraded). Adding a field with
 * a default passes; removing a field that has no default, adding one without a default, or
 * changing a field's type does not, and is refused with an {@link IncompatibleSchemaException}
 * naming the field. Registering a schema that is already stored (same parsing canonical form)
 * returns its version and records nothing.
 *
 * <p><b>Encoding.</b> A payload is written with the latest version of its type: the JSON the
 * event registry makes is encoded as Avro binary, and the
 * CloudEvent names its writer's schema in {@code dataschema}. {@link #decode} reads it back to
 * JSON with that version, looked up here.
 *
 * <p>Thread-safe. Versions are immutable once stored, so they are cached; the latest version of
 * a type is what this instance found when it was created or registered itself since.
 */
public final class PayloadSchemas {

  /** The {@code datacontenttype} of a payload in Avro binary encoding. */
  public static final String AVRO_CONTENT_TYPE = "application/avro";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Jdbi jdbi;
  private final String table;
  private final Map<String, PayloadSchema> latest = new ConcurrentHashMap<>();
  private final Map<PayloadSchema.Key, PayloadSchema> versions = new ConcurrentHashMap<>();

  private PayloadSchemas(Jdbi jdbi, String schema) {
    this.jdbi = jdbi;
    this.table = schema + ".payload_schemas";
    jdbi.useHandle(h -> h.createQuery("SELECT event_type, version, schema_json FROM " + table
            + " ORDER BY event_type, version")
        .map((rs, ctx) -> new PayloadSchema(rs.getString(1), rs.getInt(2), parse(rs.getString(3))))
        .forEach(this::remember));
  }

  /**
   * Installs the messaging tables in {@code schema} if needed (see {@link MessagingSchema}) and
   * loads the schemas stored there.
   *
   * @throws IllegalArgumentException if the schema name is invalid
   * @throws dev.annals.postgres.SchemaException if installing fails
   */
  public static PayloadSchemas install(DataSource dataSource, String schema) {
    Objects.requireNonNull(dataSource, "dataSource must not be null");
    MessagingSchema.install(dataSource, schema);
    return new PayloadSchemas(Jdbi.create(dataSource), schema);
  }

  /** {@link #install(DataSource, String)} in an event store's database and schema. */
  public static PayloadSchemas install(PostgresEventStore store) {
    MessagingSchema.install(store.dataSource(), store.schema());
    return new PayloadSchemas(store.jdbi(), store.schema());
  }

  /**
   * Registers {@code schema} for the payloads of {@code type}, under the name the event
   * registry gives it.
   *
   * @throws IllegalArgumentException if {@code type} is not registered, or the schema is not a record
   * @throws IncompatibleSchemaException if it breaks compatibility with a stored version
   */
  public PayloadSchema register(EventRegistry registry, Class<?> type, Schema schema) {
    Objects.requireNonNull(registry, "registry must not be null");
    Objects.requireNonNull(type, "type must not be null");
    if (!registry.isRegistered(type)) {
      throw new IllegalArgumentException(type.getName() + " is not registered with the event "
          + "registry; register it before its payload schema");
    }
    return register(registry.typeName(type), schema);
  }

  /**
   * Registers {@code schema} for the payloads of the event type named {@code eventType}: checks
   * it against every stored version of the type and stores it as the next version, in one
   * transaction that holds the type's lock, so two nodes registering at once cannot both pass.
   *
   * @return the new version, or the stored one if this schema is stored already
   * @throws IllegalArgumentException if the schema is not a record
   * @throws IncompatibleSchemaException if it breaks compatibility with a stored version;
   *     nothing is recorded
   */
  public PayloadSchema register(String eventType, Schema schema) {
    Objects.requireNonNull(eventType, "eventType must not be null");
    Objects.requireNonNull(schema, "schema must not be null");
    if (schema.getType() != Schema.Type.RECORD) {
      throw new IllegalArgumentException("the payload schema of " + eventType + " must be an Avro "
          + "record, was " + schema.getType());
    }
    long fingerprint = SchemaNormalization.parsingFingerprint64(schema);
    PayloadSchema registered = jdbi.inTransaction(h -> {
      h.execute("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))",
          "annals.payload_schemas:" + table + ":" + eventType);
      List<Stored> stored = h.createQuery("SELECT version, schema_json, fingerprint FROM " + table
              + " WHERE event_type = :t ORDER BY version")
          .bind("t", eventType)
          .map((rs, ctx) -> new Stored(rs.getInt(1), parse(rs.getString(2)), rs.getLong(3)))
          .list();
      for (Stored s : stored) {
        if (s.fingerprint() == fingerprint) {
          return new PayloadSchema(eventType, s.version(), s.schema());
        }
      }
      for (Stored s : stored) {
        check(eventType, schema, s);
      }
      int version = stored.isEmpty() ? 1 : stored.get(stored.size() - 1).version() + 1;
      insert(h, eventType, version, schema, fingerprint);
      return new PayloadSchema(eventType, version, schema);
    });
    remember(registered);
    return registered;
  }

  /** The latest version of {@code eventType}'s schema, if it has one. */
  public Optional<PayloadSchema> latest(String eventType) {
    return Optional.ofNullable(latest.get(eventType));
  }

  /**
   * Every stored version of {@code eventType}'s schema, oldest first; read from the table.
   */
  public List<PayloadSchema> versions(String eventType) {
    return jdbi.withHandle(h -> h.createQuery("SELECT version, schema_json FROM " + table
            + " WHERE event_type = :t ORDER BY version")
        .bind("t", eventType)
        .map((rs, ctx) -> new PayloadSchema(eventType, rs.getInt(1), parse(rs.getString(2))))
        .list());
  }

  /**
   * Version {@code version} of {@code eventType}'s schema.
   *
   * @throws IllegalArgumentException if there is no such version
   */
  public PayloadSchema version(String eventType, int version) {
    PayloadSchema.Key key = new PayloadSchema.Key(eventType, version);
    PayloadSchema known = versions.get(key);
    if (known != null) {
      return known;
    }
    PayloadSchema found = jdbi.withHandle(h -> h.createQuery("SELECT schema_json FROM " + table
            + " WHERE event_type = :t AND version = :v")
        .bind("t", eventType).bind("v", version)
        .map((rs, ctx) -> new PayloadSchema(eventType, version, parse(rs.getString(1))))
        .findOne())
        .orElseThrow(() -> new IllegalArgumentException("no payload schema " + version + " of "
            + eventType + " is stored"));
    versions.put(key, found);
    return found;
  }

  /**
   * {@code json}, a payload as the event registry writes it, in Avro binary encoding with
   * {@code schema}.
   *
   * @throws EventSerializationException if the payload does not fit the schema
   */
  public static byte[] encode(PayloadSchema schema, String json) {
    try {
      JsonNode tree = JSON.readTree(json);
      return AvroJson.encode(schema.schema(), tree);
    } catch (IOException | RuntimeException e) {
      throw new EventSerializationException("the payload of " + schema.eventType() + " does not fit "
          + "its schema version " + schema.version() + ": " + e.getMessage(), e);
    }
  }

  /**
   * The payload of a CloudEvent as JSON: its data as text, or, if it is Avro
   * ({@value #AVRO_CONTENT_TYPE}), decoded with the schema version its {@code dataschema} names.
   *
   * @throws IllegalArgumentException if the data is Avro but names no stored schema version,
   *     or does not decode with it
   */
  public String decode(CloudEvent event) {
    byte[] data = event.getData() == null ? new byte[0] : event.getData().toBytes();
    if (!AVRO_CONTENT_TYPE.equals(event.getDataContentType())) {
      return new String(data, java.nio.charset.StandardCharsets.UTF_8);
    }
    PayloadSchema.Key key = PayloadSchema.parse(event.getDataSchema());
    PayloadSchema writer = version(key.eventType(), key.version());
    try {
      return JSON.writeValueAsString(AvroJson.decode(writer.schema(), data));
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("the data of CloudEvent " + event.getId() + " is not Avro of "
          + key.eventType() + " schema version " + key.version() + ": " + e.getMessage(), e);
    }
  }

  private static void check(String eventType, Schema candidate, Stored stored) {
    List<String> problems = new ArrayList<>();
    problems(SchemaCompatibility.checkReaderWriterCompatibility(candidate, stored.schema()),
        candidate, "the new schema reading old data", problems);
    problems(SchemaCompatibility.checkReaderWriterCompatibility(stored.schema(), candidate),
        stored.schema(), "version " + stored.version() + " reading new data", problems);
    if (!problems.isEmpty()) {
      throw new IncompatibleSchemaException(eventType, stored.version(), problems);
    }
  }

  private static void problems(SchemaCompatibility.SchemaPairCompatibility result, Schema reader,
      String direction, List<String> out) {
    for (SchemaCompatibility.Incompatibility i : result.getResult().getIncompatibilities()) {
      out.add(direction + ": " + field(reader, i.getLocation()) + " (" + i.getLocation() + "): "
          + describe(i));
    }
  }

  private static String describe(SchemaCompatibility.Incompatibility i) {
    return switch (i.getType()) {
      case READER_FIELD_MISSING_DEFAULT_VALUE -> "missing from the written data and has no default";
      default -> i.getType().name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ') + ": "
          + i.getMessage();
    };
  }

  /** The field names along a JSON pointer into the reader schema, such as {@code field amount}. */
  private static String field(Schema reader, String location) {
    List<String> names = new ArrayList<>();
    Schema at = reader;
    Iterator<String> parts = List.of(location.split("/")).iterator();
    while (parts.hasNext()) {
      String part = parts.next();
      if (part.equals("fields") && parts.hasNext() && at != null && at.getType() == Schema.Type.RECORD) {
        try {
          Schema.Field f = at.getFields().get(Integer.parseInt(parts.next()));
          names.add(f.name());
          at = f.schema();
        } catch (RuntimeException e) {
          break;
        }
      }
    }
    return names.isEmpty() ? "the record " + reader.getFullName() : "field '" + String.join(".", names) + "'";
  }

  private void insert(Handle h, String eventType, int version, Schema schema, long fingerprint) {
    h.createUpdate("INSERT INTO " + table + " (event_type, version, schema_json, fingerprint) "
            + "VALUES (:t, :v, :s, :f)")
        .bind("t", eventType).bind("v", version).bind("s", schema.toString()).bind("f", fingerprint)
        .execute();
  }

  private void remember(PayloadSchema s) {
    versions.put(new PayloadSchema.Key(s.eventType(), s.version()), s);
    latest.merge(s.eventType(), s, (a, b) -> b.version() > a.version() ? b : a);
  }

  private static Schema parse(String json) {
    try {
      return new Schema.Parser().parse(json);
    } catch (SchemaParseException e) {
      throw new IllegalStateException("a stored payload schema does not parse: " + e.getMessage(), e);
    }
  }

  private record Stored(int version, Schema schema, long fingerprint) {}
}
