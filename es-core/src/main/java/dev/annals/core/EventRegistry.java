package dev.annals.core;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.PropertyAccessor;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.annals.core.internal.Printable;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;

// Over 400 lines: registration, upcasting and (de)serialization are one contract with one checked builder.
/**
 * Maps event classes to stable type names and schema versions, and turns events into JSON and
 * back through Jackson, upcasting old shapes on the way in. Stored data never contains a Java
 * class name, so classes can be renamed and moved freely.
 *
 * <p>Immutable and thread-safe once built.
 *
 * <pre>{@code
 * EventRegistry registry = EventRegistry.builder()
 *     .register(AccountOpened.class, "AccountOpened")
 *     .register(MoneyDeposited.class, "MoneyDeposited", 2)
 *     .upcaster(Upcaster.of("MoneyDeposited", 1, json -> json.put("currency", "EUR")))
 *     .build();
 * }</pre>
 */
public final class EventRegistry {

  private static final int MAX_UPCAST_STEPS = 1000;

  private final ObjectMapper mapper;
  private final Map<Class<?>, Registration> byClass;
  private final Map<String, Registration> byName;
  private final Map<String, Upcaster> upcasters;
  private final SubjectKeys keys;
  private final boolean personal;

  private record Registration(Class<?> type, String name, int schemaVersion,
      PersonalData<Object> personal, Map<String, JsonNode> erased) {}

  private EventRegistry(Builder builder) {
    this.mapper = builder.mapper != null ? builder.mapper : defaultObjectMapper();
    Map<Class<?>, Registration> classes = new HashMap<>();
    for (Registration r : builder.byClass.values()) {
      Map<String, JsonNode> erased = new HashMap<>();
      if (r.personal != null) {
        r.personal.fields().forEach((pointer, value) -> erased.put(pointer, mapper.valueToTree(value)));
      }
      classes.put(r.type, new Registration(r.type, r.name, r.schemaVersion, r.personal, Map.copyOf(erased)));
    }
    Map<String, Registration> names = new HashMap<>();
    classes.values().forEach(r -> names.put(r.name, r));
    this.byClass = Map.copyOf(classes);
    this.byName = Map.copyOf(names);
    this.upcasters = Map.copyOf(builder.upcasters);
    this.keys = null;
    this.personal = byClass.values().stream().anyMatch(r -> r.personal != null);
  }

  private EventRegistry(EventRegistry other, SubjectKeys keys) {
    this.mapper = other.mapper;
    this.byClass = other.byClass;
    this.byName = other.byName;
    this.upcasters = other.upcasters;
    this.keys = keys;
    this.personal = other.personal;
  }

  /**
   * This registry bound to {@code keys}: it encrypts the personal data its registrations declare
   * when a store serializes events, and decrypts (or, for a forgotten subject, erases) it when a
   * store decodes them. Stores take the keys from the registry they are given.
   */
  public EventRegistry withSubjectKeys(SubjectKeys keys) {
    return new EventRegistry(this, Objects.requireNonNull(keys, "keys must not be null"));
  }

  /** The subject keys this registry is bound to, if any. */
  public Optional<SubjectKeys> subjectKeys() {
    return Optional.ofNullable(keys);
  }

  /** Whether some registered event type declares personal data. */
  public boolean declaresPersonalData() {
    return personal;
  }

  /**
   * The personal data that {@code type}'s registration declares, if any.
   *
   * @throws EventSerializationException if it is not registered
   */
  public Optional<PersonalData<?>> personalData(Class<?> type) {
    return Optional.ofNullable(registration(type).personal);
  }

  /** The type names of the registered types that declare personal data. */
  Set<String> personalDataTypes() {
    Set<String> names = new TreeSet<>();
    byClass.values().stream().filter(r -> r.personal != null).forEach(r -> names.add(r.name));
    return names;
  }

  /**
   * The personal-data subject of {@code payload}, when its type declares personal data.
   *
   * @throws EventSerializationException if its class is not registered
   */
  public Optional<String> subjectOf(Object payload) {
    Registration r = registration(payload.getClass());
    return r.personal == null ? Optional.empty() : Optional.of(r.personal.subjectOf(payload));
  }

  /** A builder for a registry. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The Jackson mapper used when none is given: java.time support with ISO dates, exact
   * decimals, strict reading (unknown or missing properties are errors, so a changed event shape
   * fails loudly and asks for an upcaster instead of losing data silently), and objects written
   * by their fields only, so a helper method such as {@code isOverdrawn()} on a record never
   * becomes a stored property that the strict reader would then reject.
   */
  public static ObjectMapper defaultObjectMapper() {
    return JsonMapper.builder()
        .visibility(PropertyAccessor.GETTER, JsonAutoDetect.Visibility.NONE)
        .visibility(PropertyAccessor.IS_GETTER, JsonAutoDetect.Visibility.NONE)
        .visibility(PropertyAccessor.FIELD, JsonAutoDetect.Visibility.ANY)
        .addModule(new JavaTimeModule())
        .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
        .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
        .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
        .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .enable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
        .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
        .build();
  }

  /** The mapper this registry writes and reads JSON with. */
  public ObjectMapper objectMapper() {
    return mapper;
  }

  /** Whether {@code type} is registered. */
  public boolean isRegistered(Class<?> type) {
    return byClass.containsKey(type);
  }

  /**
   * The type name registered for {@code type}.
   *
   * @throws EventSerializationException if it is not registered
   */
  public String typeName(Class<?> type) {
    return registration(type).name;
  }

  /** The class registered under {@code typeName}, if any. */
  public Optional<Class<?>> classOf(String typeName) {
    Registration r = byName.get(typeName);
    return r == null ? Optional.empty() : Optional.of(r.type);
  }

  /**
   * Serializes an event payload as it is stored in {@code streamId} under {@code eventId}: its
   * personal data (if its type declares any) encrypted with its subject's key, bound to the
   * event id and stream.
   *
   * @throws EventSerializationException if its class is not registered, Jackson cannot write it,
   *     or it holds personal data and this registry has no {@link #withSubjectKeys keys}
   * @throws SubjectForgottenException if its subject was forgotten
   */
  public SerializedEvent serialize(Object payload, UUID eventId, StreamId streamId) {
    Objects.requireNonNull(payload, "event payload must not be null");
    Registration r = registration(payload.getClass());
    if (r.personal == null) {
      return serialize(payload);
    }
    Objects.requireNonNull(eventId, "event id must not be null");
    Objects.requireNonNull(streamId, "stream id must not be null");
    if (keys == null) {
      throw new EventSerializationException("event " + r.name + " declares personal data but the "
          + "registry has no subject keys to encrypt it with: use registry.withSubjectKeys(keys) "
          + "(or the store's subject keys, such as PostgresEventStore.Builder.subjectKeys)", null);
    }
    String subject = r.personal.subjectOf(payload);
    ObjectNode json = mapper.valueToTree(payload);
    FieldCipher.encrypt(mapper, json, r.personal.fields().keySet(), subject, keys.keyFor(subject),
        eventId, streamId);
    return new SerializedEvent(r.name, r.schemaVersion, json.toString());
  }

  /**
   * Serializes an event payload under its registered name and current schema version, in plain
   * text whatever personal data it holds (for copies made from decoded events, such as messages;
   * stores use {@link #serialize(Object, UUID, StreamId)}).
   *
   * @throws EventSerializationException if its class is not registered or Jackson cannot write it
   */
  public SerializedEvent serialize(Object payload) {
    Objects.requireNonNull(payload, "event payload must not be null");
    Registration r = registration(payload.getClass());
    try {
      return new SerializedEvent(r.name, r.schemaVersion, mapper.writeValueAsString(payload));
    } catch (JsonProcessingException e) {
      throw new EventSerializationException("cannot serialize event " + r.name + " ("
          + payload.getClass().getName() + "): " + e.getOriginalMessage(), e);
    }
  }

  /**
   * Decodes a stored event payload into its registered class, upcasting it first when it was
   * written with an older schema version or under an older type name.
   *
   * @param streamId, version, position where the event is stored, named in errors
   * @return the current type name and the decoded payload
   * @throws UnknownEventTypeException if neither the type nor an upcaster for it is known
   * @throws EventDecodingException if the JSON is malformed or does not fit the class
   */
  public Decoded deserialize(SerializedEvent event, StreamId streamId, long version, long position) {
    return deserialize(event, null, streamId, version, position);
  }

  /**
   * Decodes a stored event payload as {@link #deserialize(SerializedEvent, StreamId, long, long)}
   * does, first decrypting its personal data with the keys of its subjects; a forgotten subject's
   * fields decode as their registration's erased value.
   *
   * @param eventId the stored event's id, which its personal data is bound to
   * @throws PersonalDataException if protected data does not decrypt (forged or swapped key,
   *     ciphertext moved between events, subjects or fields), its key is missing, or this
   *     registry has no keys
   */
  public Decoded deserialize(SerializedEvent event, UUID eventId, StreamId streamId, long version,
      long position) {
    String type = event.type();
    int schemaVersion = event.schemaVersion();
    Registration target = byName.get(type);
    Upcaster first = upcasters.get(key(type, schemaVersion));
    if (target == null && first == null) {
      throw new UnknownEventTypeException(type, schemaVersion, streamId, version, position);
    }
    boolean encrypted = FieldCipher.mayHoldEnvelope(event.json());
    if (target != null && target.schemaVersion == schemaVersion && !encrypted) {
      // Current shape: read straight into the class, skipping the tree that upcasting needs.
      try {
        return new Decoded(target.name, mapper.readValue(event.json(), target.type));
      } catch (JsonProcessingException | IllegalArgumentException e) {
        throw fitError(event, streamId, version, position, target, e);
      }
    }
    JsonNode tree;
    try {
      tree = mapper.readTree(event.json());
    } catch (JsonProcessingException e) {
      throw new EventDecodingException(type, schemaVersion, streamId, version, position,
          "malformed JSON: " + e.getOriginalMessage(), e);
    }
    if (!(tree instanceof ObjectNode json)) {
      throw new EventDecodingException(type, schemaVersion, streamId, version, position,
          "payload is not a JSON object but " + (tree == null ? "empty" : tree.getNodeType()), null);
    }
    if (encrypted) {
      openPersonalData(json, target, eventId, streamId, version);
    }
    int steps = 0;
    while (true) {
      target = byName.get(type);
      if (target != null && target.schemaVersion == schemaVersion) {
        break;
      }
      Upcaster upcaster = upcasters.get(key(type, schemaVersion));
      if (upcaster == null) {
        if (target == null) {
          throw new UnknownEventTypeException(type, schemaVersion, streamId, version, position);
        }
        String problem = schemaVersion < target.schemaVersion
            ? "no upcaster from '" + type + "' v" + schemaVersion + " towards the current v"
                + target.schemaVersion + "; register Upcaster.of(\"" + type + "\", " + schemaVersion + ", ...)"
            : "it was written with schema v" + schemaVersion + " but this application knows '"
                + type + "' only up to v" + target.schemaVersion + " (written by a newer version?)";
        throw new EventDecodingException(event.type(), event.schemaVersion(), streamId, version,
            position, problem, null);
      }
      try {
        ObjectNode next = upcaster.transform().apply(json);
        json = Objects.requireNonNull(next, "upcaster returned null");
      } catch (RuntimeException e) {
        throw new EventDecodingException(event.type(), event.schemaVersion(), streamId, version,
            position, "upcaster '" + type + "' v" + schemaVersion + " failed: " + e, e);
      }
      type = upcaster.toType();
      schemaVersion = upcaster.toVersion();
      if (++steps > MAX_UPCAST_STEPS) {
        throw new EventDecodingException(event.type(), event.schemaVersion(), streamId, version,
            position, "upcasters loop (more than " + MAX_UPCAST_STEPS + " steps)", null);
      }
    }
    try {
      return new Decoded(target.name, mapper.treeToValue(json, target.type));
    } catch (JsonProcessingException | IllegalArgumentException e) {
      throw fitError(event, streamId, version, position, target, e);
    }
  }

  private void openPersonalData(ObjectNode json, Registration stored, UUID eventId, StreamId streamId,
      long version) {
    FieldCipher.openAll(json, "", (pointer, subject, ciphertext) -> {
      if (keys == null) {
        throw new PersonalDataException(streamId, version, subject, "the event holds encrypted personal "
            + "data but the registry has no subject keys (EventRegistry.withSubjectKeys)", null);
      }
      if (eventId == null) {
        throw new PersonalDataException(streamId, version, subject, "decrypting needs the event id "
            + "(EventRegistry.deserialize with an event id)", null);
      }
      SubjectKeys.KeyState state;
      try {
        PersonalData.checkSubject(subject);
        state = keys.lookup(subject);
      } catch (IllegalArgumentException e) {
        throw new PersonalDataException(streamId, version, Printable.cut(subject, 200),
            "the stored subject id is invalid", null);
      }
      if (state instanceof SubjectKeys.KeyState.Forgotten) {
        JsonNode erased = stored == null ? null : stored.erased.get(pointer);
        return erased == null ? NullNode.getInstance() : erased.deepCopy();
      }
      if (state instanceof SubjectKeys.KeyState.Unusable unusable) {
        throw new PersonalDataException(streamId, version, subject, "field " + pointer
            + " cannot be read: " + unusable.problem(), null);
      }
      if (!(state instanceof SubjectKeys.KeyState.Live live)) {
        throw new PersonalDataException(streamId, version, subject, "the subject has no key (never "
            + "stored, or its key row was removed); field " + pointer + " cannot be read", null);
      }
      try {
        return mapper.readTree(FieldCipher.open(live.key(), ciphertext, eventId, streamId, subject, pointer));
      } catch (java.security.GeneralSecurityException | IllegalArgumentException | java.io.IOException e) {
        throw new PersonalDataException(streamId, version, subject, "field " + pointer
            + " does not decrypt with the subject's key for this event: the key row was forged or "
            + "swapped, or the ciphertext was moved from another event, field or subject", null);
      }
    });
  }

  private static EventDecodingException fitError(SerializedEvent event, StreamId streamId,
      long version, long position, Registration target, Exception e) {
    String detail = e instanceof JsonProcessingException jpe ? jpe.getOriginalMessage() : e.getMessage();
    if (e instanceof com.fasterxml.jackson.core.JsonParseException) {
      return new EventDecodingException(event.type(), event.schemaVersion(), streamId, version,
          position, "malformed JSON: " + detail, e);
    }
    if (e instanceof com.fasterxml.jackson.databind.exc.MismatchedInputException
        && detail != null && detail.startsWith("Cannot deserialize value of type `" + target.type.getName() + "`")) {
      return new EventDecodingException(event.type(), event.schemaVersion(), streamId, version,
          position, "payload is not a JSON object: " + detail, e);
    }
    return new EventDecodingException(event.type(), event.schemaVersion(), streamId, version,
        position, "JSON does not fit " + target.type.getSimpleName() + " v"
            + target.schemaVersion + ": " + detail, e);
  }

  /**
   * A decoded payload and the type name it is registered under now.
   *
   * @param type current type name
   * @param payload decoded event
   */
  public record Decoded(String type, Object payload) {}

  /** Writes metadata as a JSON object; absent fields are left out. */
  public String serializeMetadata(Metadata metadata) {
    ObjectNode node = mapper.createObjectNode();
    if (metadata.correlationId() != null) {
      node.put("correlationId", metadata.correlationId());
    }
    if (metadata.causationId() != null) {
      node.put("causationId", metadata.causationId());
    }
    if (metadata.actor() != null) {
      node.put("actor", metadata.actor());
    }
    if (metadata.occurredAt() != null) {
      node.put("occurredAt", metadata.occurredAt().toString());
    }
    if (!metadata.extra().isEmpty()) {
      ObjectNode extra = node.putObject("extra");
      metadata.extra().forEach(extra::put);
    }
    return node.toString();
  }

  /**
   * Reads metadata written by {@link #serializeMetadata}.
   *
   * @throws IllegalArgumentException if the JSON is not metadata
   */
  public Metadata deserializeMetadata(String json) {
    try {
      JsonNode node = mapper.readTree(json);
      Map<String, String> extra = new TreeMap<>();
      JsonNode extraNode = node.path("extra");
      for (Map.Entry<String, JsonNode> e : extraNode.properties()) {
        extra.put(e.getKey(), e.getValue().asText());
      }
      String occurred = text(node, "occurredAt");
      return new Metadata(text(node, "correlationId"), text(node, "causationId"),
          text(node, "actor"), occurred == null ? null : Instant.parse(occurred), extra);
    } catch (JsonProcessingException | RuntimeException e) {
      throw new IllegalArgumentException("malformed event metadata " + json + ": " + e.getMessage(), e);
    }
  }

  /**
   * Writes any object (an aggregate state for a snapshot, say) as JSON with this registry's mapper.
   *
   * @throws EventSerializationException when Jackson cannot write it
   */
  public String toJson(Object value) {
    try {
      return mapper.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new EventSerializationException("cannot serialize " + value.getClass().getName()
          + ": " + e.getOriginalMessage(), e);
    }
  }

  /**
   * Reads JSON written by {@link #toJson}.
   *
   * @throws EventSerializationException when the JSON does not fit {@code type}
   */
  public <T> T fromJson(String json, Class<T> type) {
    try {
      return mapper.readValue(json, type);
    } catch (JsonProcessingException e) {
      throw new EventSerializationException("cannot read " + type.getName() + " from JSON: "
          + e.getOriginalMessage(), e);
    }
  }

  private static String text(JsonNode node, String field) {
    JsonNode value = node.get(field);
    return value == null || value.isNull() ? null : value.asText();
  }

  private Registration registration(Class<?> type) {
    Registration r = byClass.get(type);
    if (r == null) {
      throw new EventSerializationException("event class " + type.getName() + " is not registered; "
          + "register it with EventRegistry.builder().register(" + type.getSimpleName()
          + ".class, \"" + type.getSimpleName() + "\")");
    }
    return r;
  }

  private static String key(String type, int version) {
    return type + "\u0000" + version;
  }

  /** Collects registrations and upcasters; {@link #build()} checks them together. */
  public static final class Builder {
    private final Map<Class<?>, Registration> byClass = new LinkedHashMap<>();
    private final Map<String, Registration> byName = new HashMap<>();
    private final Map<String, Upcaster> upcasters = new HashMap<>();
    private ObjectMapper mapper;

    private Builder() {
      add(SubjectForgotten.class, SubjectForgotten.TYPE, 1, null);
    }

    /** Registers {@code type} under {@code name} at schema version 1. */
    public Builder register(Class<?> type, String name) {
      return register(type, name, 1);
    }

    /**
     * Registers {@code type} under {@code name}, writing new events at {@code schemaVersion}.
     *
     * @throws IllegalArgumentException if the class is not a record, the name is blank, or either
     *     is already registered
     */
    public Builder register(Class<?> type, String name, int schemaVersion) {
      return add(type, name, schemaVersion, null);
    }

    /**
     * Registers {@code type} under {@code name} at schema version 1 with personal data; see
     * {@link #register(Class, String, int, PersonalData)}.
     */
    public <E> Builder register(Class<E> type, String name, PersonalData<? super E> personalData) {
      return register(type, name, 1, personalData);
    }

    /**
     * Registers {@code type} under {@code name}, writing new events at {@code schemaVersion}, with
     * the fields {@code personalData} names encrypted per subject before they are stored.
     *
     * @throws IllegalArgumentException as {@link #register(Class, String, int)}
     */
    @SuppressWarnings("unchecked")
    public <E> Builder register(Class<E> type, String name, int schemaVersion,
        PersonalData<? super E> personalData) {
      Objects.requireNonNull(personalData, "personal data must not be null (use register without it)");
      return add(type, name, schemaVersion, (PersonalData<Object>) personalData);
    }

    private Builder add(Class<?> type, String name, int schemaVersion, PersonalData<Object> personal) {
      Objects.requireNonNull(type, "event class must not be null");
      Objects.requireNonNull(name, "type name must not be null");
      if (!type.isRecord()) {
        throw new IllegalArgumentException("event class " + type.getName()
            + " must be a record (events are immutable values)");
      }
      if (name.isBlank() || name.length() > 200 || !name.strip().equals(name)) {
        throw new IllegalArgumentException("type name '" + name + "' for " + type.getName()
            + " must be 1 to 200 characters without leading or trailing spaces");
      }
      if (schemaVersion < 1) {
        throw new IllegalArgumentException("schema version of '" + name + "' must be 1 or more, was "
            + schemaVersion);
      }
      if (byClass.containsKey(type)) {
        throw new IllegalArgumentException(type.getName() + " is already registered as '"
            + byClass.get(type).name + "'");
      }
      if (byName.containsKey(name)) {
        throw new IllegalArgumentException("type name '" + name + "' is already taken by "
            + byName.get(name).type.getName());
      }
      Registration r = new Registration(type, name, schemaVersion, personal, Map.of());
      byClass.put(type, r);
      byName.put(name, r);
      return this;
    }

    /**
     * Adds an upcaster.
     *
     * @throws IllegalArgumentException if one is already registered for the same type and version
     */
    public Builder upcaster(Upcaster upcaster) {
      Objects.requireNonNull(upcaster, "upcaster must not be null");
      String key = key(upcaster.type(), upcaster.fromVersion());
      if (upcasters.containsKey(key)) {
        throw new IllegalArgumentException("an upcaster for '" + upcaster.type() + "' v"
            + upcaster.fromVersion() + " is already registered");
      }
      upcasters.put(key, upcaster);
      return this;
    }

    /** Uses {@code mapper} instead of {@link #defaultObjectMapper()}. */
    public Builder objectMapper(ObjectMapper mapper) {
      if (this.mapper != null) {
        throw new IllegalStateException("objectMapper was already set");
      }
      this.mapper = Objects.requireNonNull(mapper, "mapper");
      return this;
    }

    /**
     * Builds the registry.
     *
     * @throws IllegalArgumentException if an upcaster would upgrade a registered type past its
     *     registered version
     */
    public EventRegistry build() {
      for (Upcaster u : upcasters.values()) {
        Registration target = byName.get(u.toType());
        if (target != null && u.toVersion() > target.schemaVersion) {
          throw new IllegalArgumentException("upcaster '" + u.type() + "' v" + u.fromVersion()
              + " produces '" + u.toType() + "' v" + u.toVersion() + " but that type is registered at v"
              + target.schemaVersion);
        }
      }
      return new EventRegistry(this);
    }
  }
}
