package dev.annals.messaging.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.annals.core.EventSerializationException;
import dev.annals.core.RecordedEvent;
import dev.annals.core.StreamId;
import dev.annals.messaging.CloudEventMapper;
import dev.annals.messaging.Fixtures;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.testkit.PostgresTestDatabase;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import java.util.Arrays;
import java.util.List;
import org.apache.avro.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class PayloadSchemasIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  static Schema schema(String fields) {
    return new Schema.Parser().parse("{\"type\": \"record\", \"name\": \"Deposited\", "
        + "\"namespace\": \"bank\", \"fields\": [" + fields + "]}");
  }

  static final Schema V1 = schema("{\"name\": \"cents\", \"type\": \"long\"}");
  static final Schema WITH_MEMO = schema("{\"name\": \"cents\", \"type\": \"long\"}, "
      + "{\"name\": \"memo\", \"type\": [\"null\", \"string\"], \"default\": null}");

  PostgresEventStore store;
  PayloadSchemas schemas;

  @BeforeEach
  void setUp() {
    store = Fixtures.store(db, db.newSchema());
    schemas = PayloadSchemas.install(store);
  }

  @AfterEach
  void tearDown() {
    store.close();
  }

  @Nested
  class Registration {

    @Test
    void the_first_schema_of_a_type_is_version_1_and_registering_it_again_adds_nothing() {
      PayloadSchema first = schemas.register(Fixtures.registry(), Fixtures.Deposited.class, V1);
      // The same schema reformatted, with a doc: the same parsing canonical form.
      Schema again = new Schema.Parser().parse("{ \"doc\": \"money in\", \"type\": \"record\", "
          + "\"name\": \"Deposited\", \"namespace\": \"bank\",\n \"fields\": [ {\"type\": \"long\", \"name\": \"cents\"} ] }");

      assertThat(first.version()).isEqualTo(1);
      assertThat(first.eventType()).isEqualTo("Deposited");
      assertThat(schemas.register("Deposited", again).version()).isEqualTo(1);
      assertThat(schemas.versions("Deposited")).hasSize(1);
    }

    @Test
    void an_added_optional_field_with_a_default_is_accepted_and_recorded() {
      schemas.register("Deposited", V1);
      PayloadSchema second = schemas.register("Deposited", WITH_MEMO);

      assertThat(second.version()).isEqualTo(2);
      assertThat(schemas.versions("Deposited")).extracting(PayloadSchema::version).containsExactly(1, 2);
      assertThat(schemas.latest("Deposited")).contains(second);
      assertThat(PayloadSchemas.install(store).latest("Deposited")).as("as a new instance finds it")
          .hasValueSatisfying(s -> assertThat(s.schema()).isEqualTo(WITH_MEMO));
    }

    @Test
    void a_removed_required_field_is_refused_naming_the_field_and_nothing_is_recorded() {
      schemas.register("Deposited", WITH_MEMO);
      Schema withoutCents = schema("{\"name\": \"memo\", \"type\": [\"null\", \"string\"], \"default\": null}");

      assertThatThrownBy(() -> schemas.register("Deposited", withoutCents))
          .isInstanceOfSatisfying(IncompatibleSchemaException.class, e -> {
            assertThat(e.eventType()).isEqualTo("Deposited");
            assertThat(e.storedVersion()).isEqualTo(1);
            assertThat(e.isRetryable()).isFalse();
            assertThat(e.problems()).singleElement().asString()
                .isEqualTo("version 1 reading new data: field 'cents' (/fields/0): missing from the "
                    + "written data and has no default");
          });
      assertThat(schemas.versions("Deposited")).hasSize(1);
      assertThat(schemas.latest("Deposited")).get().extracting(PayloadSchema::version).isEqualTo(1);
    }

    @Test
    void a_changed_field_type_is_refused_naming_the_field() {
      schemas.register("Deposited", V1);
      Schema textCents = schema("{\"name\": \"cents\", \"type\": \"string\"}");

      assertThatThrownBy(() -> schemas.register("Deposited", textCents))
          .isInstanceOf(IncompatibleSchemaException.class)
          .hasMessageContaining("the new payload schema of Deposited cannot read data written with its stored version 1")
          .hasMessageContaining("field 'cents' (/fields/0/type)")
          .hasMessageContaining("type mismatch");
      assertThat(schemas.versions("Deposited")).hasSize(1);
    }

    @Test
    void an_added_field_without_a_default_is_refused() {
      schemas.register("Deposited", V1);
      Schema withBranch = schema("{\"name\": \"cents\", \"type\": \"long\"}, {\"name\": \"branch\", \"type\": \"string\"}");

      assertThatThrownBy(() -> schemas.register("Deposited", withBranch))
          .isInstanceOf(IncompatibleSchemaException.class)
          .hasMessageContaining("the new schema reading old data")
          .hasMessageContaining("field 'branch' (/fields/1): missing from the written data and has no default");
    }

    @Test
    void each_stored_version_is_checked_not_only_the_latest() {
      schemas.register("Deposited", V1);
      schemas.register("Deposited", WITH_MEMO);
      // Compatible with version 2 (memo has a default both ways) but cents changed type from version 1.
      Schema intCents = schema("{\"name\": \"cents\", \"type\": \"int\"}, "
          + "{\"name\": \"memo\", \"type\": [\"null\", \"string\"], \"default\": null}");

      assertThatThrownBy(() -> schemas.register("Deposited", intCents))
          .isInstanceOf(IncompatibleSchemaException.class)
          .hasMessageContaining("field 'cents'");
      assertThat(schemas.versions("Deposited")).hasSize(2);
    }

    @Test
    void a_type_the_registry_does_not_know_or_a_schema_that_is_not_a_record_is_refused() {
      assertThatThrownBy(() -> schemas.register(Fixtures.registry(), String.class, V1))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("java.lang.String is not registered");
      assertThatThrownBy(() -> schemas.register("Deposited", Schema.create(Schema.Type.LONG)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("must be an Avro record, was LONG");
    }
  }

  @Nested
  class Encoding {

    RecordedEvent deposit(Object payload) {
      Fixtures.append(store, StreamId.of("account", "a1"), payload);
      List<RecordedEvent> all = store.readAll(0, 10, dev.annals.core.LogFilter.all());
      return all.get(all.size() - 1);
    }

    CloudEventMapper mapper() {
      return CloudEventMapper.builder(Fixtures.registry()).source("urn:annals:test:bank")
          .payloadSchemas(schemas).build();
    }

    @Test
    void a_payload_of_a_type_with_a_schema_travels_as_avro_and_reads_back_as_its_json() {
      schemas.register("Deposited", WITH_MEMO);
      CloudEvent e = mapper().toCloudEvent(deposit(new Fixtures.Deposited(250)));

      assertThat(e.getDataContentType()).isEqualTo("application/avro");
      assertThat(e.getDataSchema()).hasToString("urn:annals:payload-schema:Deposited:1");
      assertThat(e.getData().toBytes()).as("Avro: cents as a zig-zag varint, memo null")
          .containsExactly(0xf4, 0x03, 0x00);
      assertThat(schemas.decode(e)).isEqualTo("{\"cents\":250,\"memo\":null}");
    }

    @Test
    void a_type_without_a_schema_stays_json() {
      schemas.register("Deposited", V1);
      CloudEvent e = mapper().toCloudEvent(deposit(new Fixtures.Frozen("court order")));

      assertThat(e.getDataContentType()).isEqualTo("application/json");
      assertThat(e.getDataSchema()).isNull();
      assertThat(schemas.decode(e)).isEqualTo("{\"reason\":\"court order\"}");
    }

    @Test
    void a_payload_that_does_not_fit_its_schema_is_not_sent() {
      schemas.register("Deposited", schema("{\"name\": \"cents\", \"type\": \"int\"}"));
      RecordedEvent tooBig = deposit(new Fixtures.Deposited(10_000_000_000L));

      assertThatThrownBy(() -> mapper().toCloudEvent(tooBig))
          .isInstanceOf(EventSerializationException.class)
          .hasMessageContaining("the payload of Deposited does not fit its schema version 1")
          .hasMessageContaining("value at '.cents'");
    }

    @Test
    void forged_avro_data_is_refused_with_a_clear_error() {
      schemas.register("Deposited", WITH_MEMO);
      CloudEvent good = mapper().toCloudEvent(deposit(new Fixtures.Deposited(250)));
      byte[] data = good.getData().toBytes();

      CloudEvent truncated = CloudEventBuilder.v1(good).withData(Arrays.copyOf(data, 1)).build();
      assertThatThrownBy(() -> schemas.decode(truncated))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("is not Avro of Deposited schema version 1");
      CloudEvent unknownVersion = CloudEventBuilder.v1(good)
          .withDataSchema(java.net.URI.create("urn:annals:payload-schema:Deposited:9")).build();
      assertThatThrownBy(() -> schemas.decode(unknownVersion))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("no payload schema 9 of Deposited is stored");
      CloudEvent foreign = CloudEventBuilder.v1(good)
          .withDataSchema(java.net.URI.create("https://schemas.example/deposited.avsc")).build();
      assertThatThrownBy(() -> schemas.decode(foreign))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("does not name a payload schema");
    }
  }
}
