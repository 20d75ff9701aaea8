package dev.annals.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import com.zaxxer.hikari.HikariDataSource;
import dev.annals.core.ExpectedVersion;
import dev.annals.core.NewEvent;
import dev.annals.core.StreamId;
import dev.annals.postgres.IntegrityVerifier.Kind;
import dev.annals.postgres.IntegrityVerifier.Report;
import dev.annals.postgres.IntegrityVerifier.Scope;
import dev.annals.postgres.IntegrityVerifier.Violation;
import dev.annals.testkit.ContractEvents;
import dev.annals.testkit.ContractEvents.ItemAdded;
import dev.annals.testkit.PostgresTestDatabase;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class IntegrityIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  static HikariDataSource pool;
  PostgresEventStore store;
  String schema;

  @BeforeAll
  static void open() {
    pool = Pools.pool(db, 4);
  }

  @AfterAll
  static void close() {
    pool.close();
  }

  @BeforeEach
  void fill() {
    schema = db.newSchema();
    store = PostgresEventStore.builder(ContractEvents.registry()).dataSource(pool).schema(schema)
        .installSchema(true).notifyInterval(Duration.ZERO).build();
    for (String id : List.of("a", "b", "c")) {
      for (int i = 1; i <= 4; i++) {
        // Stream c at exact versions: after its first event, the single-event statement writes
        // its links; the others go through append_events.
        store.append(StreamId.of("cart", id), id.equals("c") ? ExpectedVersion.exactly(i - 1) : ExpectedVersion.any(),
            NewEvent.of(new ItemAdded(id + i, i), dev.annals.core.Metadata.empty().withActor("ü-ñ")));
      }
    }
    store.append(StreamId.of("order", "z"), ExpectedVersion.any(), NewEvent.of(new ItemAdded("z", 1)));
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  /** Runs SQL as a superuser would to tamper, bypassing the append-only triggers. */
  private void tamper(String sql) throws Exception {
    try (Connection c = pool.getConnection(); Statement st = c.createStatement()) {
      c.setAutoCommit(false);
      st.execute("SET LOCAL session_replication_role = replica");
      st.execute(sql);
      c.commit();
    }
  }

  @Test
  void an_untouched_log_verifies_with_progress() {
    List<long[]> progress = new ArrayList<>();
    Report report = store.integrityVerifier().verify(Scope.all(),
        (done, total, events) -> progress.add(new long[] {done, total, events}));
    assertThat(report.intact()).isTrue();
    assertThat(report.streamsChecked()).isEqualTo(4);
    assertThat(report.eventsChecked()).isEqualTo(13);
    assertThat(progress).isNotEmpty();
    assertThat(progress.get(progress.size() - 1)).containsExactly(4, 4, 13);
  }

  @Test
  void an_altered_payload_is_named_by_stream_version_and_position() throws Exception {
    long position = store.readStream(StreamId.of("cart", "b")).get(2).position();
    tamper("UPDATE " + schema + ".events SET payload = '{\"name\": \"b3\", \"quantity\": 300}' WHERE position = " + position);
    Report report = store.integrityVerifier().verify(Scope.all());
    assertThat(report.intact()).isFalse();
    assertThat(report.violations()).hasSize(1);
    Violation v = report.first().orElseThrow();
    assertThat(v.stream()).isEqualTo("cart-b");
    assertThat(v.version()).isEqualTo(3);
    assertThat(v.position()).isEqualTo(position);
    assertThat(v.kind()).isEqualTo(Kind.HASH_MISMATCH);
    assertThat(store.integrityVerifier().verify(Scope.stream(StreamId.of("cart", "a"))).intact()).isTrue();
    assertThat(store.integrityVerifier().verify(Scope.category("order")).intact()).isTrue();
    assertThat(store.integrityVerifier().verify(Scope.category("cart")).intact()).isFalse();
  }

  @Test
  void content_deeper_or_longer_than_a_json_parser_allows_by_default_is_reported_not_thrown() throws Exception {
    long deep = store.readStream(StreamId.of("cart", "b")).get(1).position();
    tamper("UPDATE " + schema + ".events SET payload = jsonb_set(payload, '{deep}', "
        + "(repeat('[', 1200) || repeat(']', 1200))::jsonb) WHERE position = " + deep);
    long longNumber = store.readStream(StreamId.of("cart", "a")).get(2).position();
    tamper("UPDATE " + schema + ".events SET metadata = '1e1500'::jsonb WHERE position = " + longNumber);
    Report report = store.integrityVerifier().verify(Scope.all());
    assertThat(report.violations()).extracting(Violation::stream, Violation::version, Violation::kind)
        .containsExactly(tuple("cart-a", 3L, Kind.HASH_MISMATCH), tuple("cart-b", 2L, Kind.HASH_MISMATCH));
    assertThat(report.streamsChecked()).isEqualTo(4);
  }

  @Test
  void altered_metadata_time_or_a_rehashed_event_are_found() throws Exception {
    long p1 = store.readStream(StreamId.of("cart", "a")).get(0).position();
    tamper("UPDATE " + schema + ".events SET recorded_at = recorded_at - interval '1 day' WHERE position = " + p1);
    long p2 = store.readStream(StreamId.of("cart", "c")).get(1).position();
    // A careful forger recomputes the event's own digest and link; the next event's link still breaks.
    String[] target = store.jdbi().withHandle(h -> h.createQuery("SELECT stream_id, event_id::text, type, "
            + "schema_version::text, payload::text FROM " + schema + ".events WHERE position = :p")
        .bind("p", p2).map((rs, ctx) -> new String[] {rs.getString(1), rs.getString(2), rs.getString(3),
            rs.getString(4), rs.getString(5)}).one());
    byte[] digest = ContentDigest.of(target[0], target[1], target[2], Integer.parseInt(target[3]), target[4],
        "{\"actor\": \"mallory\"}");
    tamper("UPDATE " + schema + ".events e SET metadata = '{\"actor\": \"mallory\"}', hash = " + schema
        + ".chain_hash((SELECT hash FROM " + schema + ".events WHERE stream_id = e.stream_id AND version = e.version - 1), "
        + "'\\x" + java.util.HexFormat.of().formatHex(digest) + "'::bytea, e.version, e.recorded_at) "
        + "WHERE position = " + p2);
    Report report = store.integrityVerifier().verify(Scope.all());
    assertThat(report.violations()).extracting(Violation::stream, Violation::version)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("cart-a", 1L),
            org.assertj.core.groups.Tuple.tuple("cart-c", 3L));
  }

  @Test
  void a_removed_last_event_and_a_removed_middle_event_are_found() throws Exception {
    long last = store.readStream(StreamId.of("cart", "a")).get(3).position();
    long middle = store.readStream(StreamId.of("cart", "b")).get(1).position();
    tamper("DELETE FROM " + schema + ".events WHERE position IN (" + last + ", " + middle + ")");
    Report report = store.integrityVerifier().verify(Scope.all());
    assertThat(report.violations()).extracting(Violation::kind)
        .containsExactly(Kind.STREAM_HEAD_MISMATCH, Kind.VERSION_GAP);
  }

  @Test
  void a_category_changed_on_an_event_or_a_stream_row_is_named_by_stream_and_version() throws Exception {
    long position = store.readStream(StreamId.of("cart", "b")).get(1).position();
    tamper("UPDATE " + schema + ".events SET category = 'order' WHERE position = " + position);
    tamper("UPDATE " + schema + ".streams SET category = 'order' WHERE stream_id = 'cart-c'");
    Report report = store.integrityVerifier().verify(Scope.all());
    assertThat(report.violations()).extracting(Violation::stream, Violation::version, Violation::kind)
        .containsExactly(tuple("cart-b", 2L, Kind.CATEGORY_MISMATCH),
            tuple("cart-c", 4L, Kind.CATEGORY_MISMATCH));
    assertThat(report.first().orElseThrow().position()).isEqualTo(position);
    // A category scope goes by the stream id, so the moved rows are still found in their own.
    assertThat(store.integrityVerifier().verify(Scope.category("cart")).violations()).hasSize(2);
    assertThat(store.integrityVerifier().verify(Scope.category("order")).intact()).isTrue();
  }

  @Test
  void a_stream_id_rewritten_into_no_valid_stream_id_is_named_escaped_and_cut_short() throws Exception {
    String crafted = "cart b\u0007" + "x".repeat(300);
    tamper("UPDATE " + schema + ".events SET stream_id = '" + crafted + "' WHERE stream_id = 'cart-b'");
    tamper("UPDATE " + schema + ".streams SET stream_id = '" + crafted + "' WHERE stream_id = 'cart-b'");
    Report report = store.integrityVerifier().verify(Scope.all());
    assertThat(report.violations()).extracting(Violation::kind).containsExactly(Kind.INVALID_STREAM_ID);
    Violation v = report.violations().get(0);
    assertThat(v.version()).isEqualTo(1);
    assertThat(v.stream()).startsWith("cart b\\u0007x").contains("(307 chars)").hasSizeLessThan(90);
    // Events left without their row under a crafted id are named the same way.
    tamper("DELETE FROM " + schema + ".streams WHERE stream_id = '" + crafted + "'");
    assertThat(store.integrityVerifier().verify(Scope.all()).violations())
        .extracting(Violation::kind, x -> x.stream().length() < 90)
        .containsExactly(tuple(Kind.MISSING_STREAM_ROW, true));
  }

  @Test
  void a_raised_transaction_id_is_named_as_a_moved_event_even_when_the_store_refuses_to_open() throws Exception {
    long position = store.readStream(StreamId.of("cart", "b")).get(1).position();
    tamper("UPDATE " + schema + ".events SET transaction_id = (pg_snapshot_xmax(pg_current_snapshot())::text::bigint "
        + "+ 1000000)::text::xid8 WHERE position = " + position);
    assertThatThrownBy(() -> PostgresEventStore.builder(ContractEvents.registry()).dataSource(pool).schema(schema)
        .build()).isInstanceOf(SchemaException.class).hasMessageContaining("transaction id");

    Report report = IntegrityVerifier.of(pool, schema).verify(Scope.all());
    assertThat(report.violations()).extracting(Violation::stream, Violation::version, Violation::position,
        Violation::kind).containsExactly(tuple("cart-b", 2L, position, Kind.LOG_ORDER_MISMATCH));
    assertThat(report.first().orElseThrow().detail()).contains("ahead of this cluster");
  }

  @Test
  void positions_and_transaction_ids_out_of_version_order_are_named_by_stream_and_version() throws Exception {
    List<Long> a = positions("a");
    List<Long> b = positions("b");
    List<Long> c = positions("c");
    // Moved to the end of the log: version 2 now comes after version 3.
    tamper("UPDATE " + schema + ".events SET position = DEFAULT WHERE position = " + a.get(1));
    // An older transaction id than the version before it.
    tamper("UPDATE " + schema + ".events SET transaction_id = '3' WHERE position = " + b.get(2));
    // A position the log never handed out.
    tamper("ALTER TABLE " + schema + ".events ALTER COLUMN position SET GENERATED BY DEFAULT");
    tamper("UPDATE " + schema + ".events SET position = 1000000 WHERE position = " + c.get(3));
    tamper("ALTER TABLE " + schema + ".events ALTER COLUMN position SET GENERATED ALWAYS");
    Report report = store.integrityVerifier().verify(Scope.all());
    assertThat(report.violations()).extracting(Violation::stream, Violation::version, Violation::kind)
        .containsExactly(tuple("cart-a", 3L, Kind.LOG_ORDER_MISMATCH),
            tuple("cart-b", 3L, Kind.LOG_ORDER_MISMATCH),
            tuple("cart-c", 4L, Kind.LOG_ORDER_MISMATCH));
    assertThat(report.violations().get(0).detail()).contains("version 2 is at position");
    assertThat(report.violations().get(2).detail()).contains("beyond the last position");
  }

  @Test
  void a_stream_row_with_another_last_writer_or_state_is_named() throws Exception {
    tamper("UPDATE " + schema + ".streams SET last_xid = '3' WHERE stream_id = 'cart-a'");
    tamper("UPDATE " + schema + ".streams SET state = 'closed' WHERE stream_id = 'order-z'");
    Report report = store.integrityVerifier().verify(Scope.all());
    assertThat(report.violations()).extracting(Violation::stream, Violation::version, Violation::kind)
        .containsExactly(tuple("cart-a", 4L, Kind.STREAM_ROW_MISMATCH),
            tuple("order-z", 1L, Kind.STREAM_ROW_MISMATCH));
  }

  @Test
  void transaction_ids_rebased_after_a_restore_still_verify() {
    store.jdbi().useHandle(h -> h.execute("SELECT " + schema + ".rebase_transaction_ids()"));
    assertThat(store.integrityVerifier().verify(Scope.all()).intact()).isTrue();
  }

  private List<Long> positions(String cart) {
    return store.readStream(StreamId.of("cart", cart)).stream().map(e -> e.position()).toList();
  }

  @Test
  void events_cannot_be_updated_deleted_or_truncated_through_sql() {
    for (String sql : List.of("UPDATE " + schema + ".events SET type = 'x'",
        "DELETE FROM " + schema + ".events", "TRUNCATE " + schema + ".events")) {
      assertThatThrownBy(() -> {
        try (Connection c = pool.getConnection(); Statement st = c.createStatement()) {
          st.execute(sql);
        }
      }).as(sql).hasMessageContaining("append-only");
    }
    assertThat(store.headPosition()).isEqualTo(13);
  }
}
