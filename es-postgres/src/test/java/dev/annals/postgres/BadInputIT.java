package dev.annals.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.zaxxer.hikari.HikariDataSource;
import dev.annals.core.EventDecodingException;
import dev.annals.core.EventTooLargeException;
import dev.annals.core.ExpectedVersion;
import dev.annals.core.NewEvent;
import dev.annals.core.StreamId;
import dev.annals.testkit.ContractEvents;
import dev.annals.testkit.ContractEvents.ItemAdded;
import dev.annals.testkit.PostgresTestDatabase;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class BadInputIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  static HikariDataSource pool;

  @BeforeAll
  static void open() {
    pool = Pools.pool(db, 6);
  }

  @AfterAll
  static void close() {
    pool.close();
  }

  private PostgresEventStore store(String schema, int maxEventSize) {
    return PostgresEventStore.builder(ContractEvents.registry()).dataSource(pool).schema(schema)
        .installSchema(true).maxEventSize(maxEventSize).notifyInterval(Duration.ZERO).build();
  }

  @Nested
  class Schema {

    @Test
    void a_missing_schema_is_named_with_the_version_needed_and_how_to_install_it() {
      String schema = db.newSchema();
      assertThatThrownBy(() -> PostgresEventStore.builder(ContractEvents.registry()).dataSource(pool)
          .schema(schema).build())
          .isInstanceOf(SchemaException.class)
          .hasMessageContaining("'" + schema + "'")
          .hasMessageContaining("version " + PostgresSchema.CURRENT_VERSION)
          .hasMessageContaining("installSchema(true)");
    }

    @Test
    void a_schema_written_by_a_newer_library_is_named_with_both_versions() throws Exception {
      String schema = db.newSchema();
      int future = PostgresSchema.CURRENT_VERSION + 1;
      PostgresSchema.install(pool, schema);
      try (Connection c = pool.getConnection(); Statement st = c.createStatement()) {
        st.execute("INSERT INTO " + schema + ".schema_version VALUES (" + future + ", 'V" + future + "__future.sql')");
      }
      assertThatThrownBy(() -> PostgresSchema.check(pool, schema))
          .isInstanceOf(SchemaException.class)
          .hasMessageContaining("version " + future)
          .hasMessageContaining("newer than this library's version " + PostgresSchema.CURRENT_VERSION);
      assertThatThrownBy(() -> PostgresSchema.install(pool, schema))
          .isInstanceOf(SchemaException.class).hasMessageContaining("newer");
    }

    @Test
    void installing_is_idempotent_and_safe_from_several_nodes_at_once() throws Exception {
      String schema = "annals_install_" + Long.toHexString(System.nanoTime());
      java.util.concurrent.ExecutorService ex = java.util.concurrent.Executors.newFixedThreadPool(4);
      try {
        java.util.List<java.util.concurrent.Future<Integer>> results = new java.util.ArrayList<>();
        for (int i = 0; i < 4; i++) {
          results.add(ex.submit(() -> PostgresSchema.install(pool, schema)));
        }
        for (java.util.concurrent.Future<Integer> f : results) {
          assertThat(f.get()).isEqualTo(PostgresSchema.CURRENT_VERSION);
        }
        PostgresSchema.check(pool, schema);
        try (Connection c = pool.getConnection(); Statement st = c.createStatement();
            java.sql.ResultSet rs = st.executeQuery("SELECT count(*) FROM " + schema + ".schema_version")) {
          rs.next();
          // One row per script: versions may skip a number (V9 is another change's).
          assertThat(rs.getInt(1)).isEqualTo(PostgresSchema.scripts().size());
        }
      } finally {
        ex.shutdownNow();
        try (Connection c = pool.getConnection(); Statement st = c.createStatement()) {
          st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        }
      }
    }

    @Test
    void the_shipped_scripts_fill_in_the_schema_for_migration_tools() {
      String sql = PostgresSchema.script(PostgresSchema.scripts().get(0), "bank");
      assertThat(sql).contains("CREATE TABLE bank.events").doesNotContain("${schema}");
    }

    @Test
    void invalid_schema_names_and_settings_are_refused_with_the_value() {
      assertThatThrownBy(() -> PostgresEventStore.builder(ContractEvents.registry()).schema("Bad-Name"))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'Bad-Name'");
      assertThatThrownBy(() -> PostgresEventStore.builder(ContractEvents.registry()).jdbcUrl("jdbc:mysql://x"))
          .hasMessageContaining("jdbc:mysql://x");
      assertThatThrownBy(() -> PostgresEventStore.builder(ContractEvents.registry()).maxEventSize(0))
          .hasMessageContaining("was 0");
      assertThatThrownBy(() -> PostgresEventStore.builder(ContractEvents.registry()).build())
          .hasMessageContaining("jdbcUrl(...) or dataSource(...)");
      assertThatThrownBy(() -> PostgresEventStore.builder(ContractEvents.registry()).dataSource(pool).poolSize(4).build())
          .hasMessageContaining("poolSize applies only");
    }

    @Test
    void an_unreachable_server_is_reported_as_unavailable() {
      assertThatThrownBy(() -> PostgresEventStore.builder(ContractEvents.registry())
          .jdbcUrl("jdbc:postgresql://127.0.0.1:1/none?user=x&password=secret")
          .connectionTimeout(Duration.ofMillis(500)).build())
          .isInstanceOf(dev.annals.core.StoreUnavailableException.class)
          .hasMessageContaining("unreachable")
          .hasMessageNotContaining("secret");
    }

    @Test
    void a_store_whose_tables_were_dropped_says_so() throws Exception {
      String schema = db.newSchema();
      try (PostgresEventStore store = store(schema, 1024)) {
        try (Connection c = pool.getConnection(); Statement st = c.createStatement()) {
          st.execute("DROP TABLE " + schema + ".events CASCADE");
        }
        assertThatThrownBy(() -> store.readStream(StreamId.of("cart", "1")))
            .isInstanceOf(SchemaException.class).hasMessageContaining("missing objects");
      }
    }
  }

  @Nested
  class Events {

    @Test
    void an_event_over_a_configured_limit_is_refused_naming_the_limit_and_nothing_is_written() {
      try (PostgresEventStore store = store(db.newSchema(), 100)) {
        StreamId s = StreamId.of("cart", "1");
        EventTooLargeException e = catchThrowableOfType(EventTooLargeException.class,
            () -> store.append(s, ExpectedVersion.any(), NewEvent.of(new ItemAdded("x".repeat(200), 1))));
        assertThat(e.limit()).isEqualTo(100);
        assertThat(e.getMessage()).contains("100 bytes");
        assertThat(store.headPosition()).isZero();
      }
    }

    @Test
    void a_malformed_stored_payload_is_named_on_read_and_the_store_still_works() throws Exception {
      String schema = db.newSchema();
      try (PostgresEventStore store = store(schema, 10_000)) {
        StreamId s = StreamId.of("cart", "1");
        store.append(s, ExpectedVersion.any(), NewEvent.of(new ItemAdded("ok", 1)));
        try (Connection c = pool.getConnection()) {
          // Written behind the store's back, as an old buggy writer might have.
          RawAppendShape.append(c, schema, "cart-1", "ItemAdded", "{\"quantity\": \"many\"}");
        }
        EventDecodingException e = catchThrowableOfType(EventDecodingException.class, () -> store.readStream(s));
        assertThat(e.streamId()).isEqualTo(s);
        assertThat(e.getMessage()).contains("'ItemAdded'").contains("version 2");
        assertThat(store.readStream(s, 1, 1)).hasSize(1);
        store.append(StreamId.of("cart", "2"), ExpectedVersion.any(), NewEvent.of(new ItemAdded("fine", 1)));
      }
    }

    /** An event with a number, for numbers no jsonb value holds. */
    record Priced(java.math.BigDecimal amount) {}

    @Test
    @org.junit.jupiter.api.Timeout(60)
    void a_number_no_jsonb_value_holds_is_refused_as_unserializable_at_once_and_nothing_is_written() {
      dev.annals.core.EventRegistry registry = dev.annals.core.EventRegistry.builder()
          .register(Priced.class, "Priced").build();
      try (PostgresEventStore store = PostgresEventStore.builder(registry).dataSource(pool)
          .schema(db.newSchema()).installSchema(true).build()) {
        StreamId s = StreamId.of("price", "1");
        // A dozen characters of JSON that written out in full would be a billion digits.
        assertThatThrownBy(() -> store.append(s, ExpectedVersion.any(),
                NewEvent.of(new Priced(new java.math.BigDecimal("1e999999999")))))
            .isInstanceOf(dev.annals.core.EventSerializationException.class)
            .hasMessageContaining("Priced").hasMessageContaining("out of range");
        assertThat(store.headPosition()).isZero();
        store.append(s, ExpectedVersion.any(), NewEvent.of(new Priced(new java.math.BigDecimal("12.50"))));
        assertThat(store.readStream(s)).hasSize(1);
      }
    }

    @Test
    void null_and_empty_input_is_refused_before_the_database() {
      try (PostgresEventStore store = store(db.newSchema(), 1000)) {
        assertThatThrownBy(() -> store.append(null, ExpectedVersion.any(), NewEvent.of(new ItemAdded("x", 1))))
            .isInstanceOf(NullPointerException.class).hasMessageContaining("stream id");
        assertThatThrownBy(() -> store.append(StreamId.of("cart", "1"), null, NewEvent.of(new ItemAdded("x", 1))))
            .isInstanceOf(NullPointerException.class).hasMessageContaining("expected version");
        assertThat(store.headPosition()).isZero();
      }
    }
  }

  /** Writes a raw row through the append function with an arbitrary payload. */
  static final class RawAppendShape {
    static void append(Connection c, String schema, String stream, String type, String payload) throws Exception {
      try (java.sql.PreparedStatement ps = c.prepareStatement("SELECT status FROM " + schema
          + ".append_events(?, 'cart', -1, ARRAY[gen_random_uuid()], ARRAY[?], ARRAY[1], "
          + "ARRAY[CAST(? AS jsonb)], ARRAY['{}'::jsonb], ARRAY[sha256('x')])")) {
        ps.setString(1, stream);
        ps.setString(2, type);
        ps.setString(3, payload);
        try (java.sql.ResultSet rs = ps.executeQuery()) {
          rs.next();
          assertThat(rs.getInt(1)).isZero();
        }
      }
    }
  }
}
