package dev.annals.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.tuple;

import com.zaxxer.hikari.HikariDataSource;
import dev.annals.core.AggregateRepository;
import dev.annals.core.AggregateState;
import dev.annals.core.AggregateType;
import dev.annals.core.AsOf;
import dev.annals.core.Decider;
import dev.annals.core.EventRegistry;
import dev.annals.core.Snapshot;
import dev.annals.core.SnapshotRejectedException;
import dev.annals.core.StreamId;
import dev.annals.postgres.SnapshotVerifier.Finding;
import dev.annals.postgres.SnapshotVerifier.Kind;
import dev.annals.testkit.PostgresTestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Snapshots forged in the snapshots table, as a database user who can write it would: each level
 * of trust (binding to the hash chain, signing, the auditor's replay) against the forgeries it
 * stops, and the load falling back to the events with one warning.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class SnapshotTrustIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  record Add(int n) {}

  record Added(int n) {}

  record Total(int sum) {}

  static final EventRegistry REGISTRY = EventRegistry.builder().register(Added.class, "Added").build();
  static final byte[] KEY = HexFormat.of().parseHex("8f1c2a4d6e0b93f7a15c7d2e4b6f8091a3c5e7f9021b4d6f8a0c2e4f6b8d0f21");

  static HikariDataSource pool;
  static PostgresEventStore store;
  static PostgresEventStore signed;

  /** Warnings of the repository, where a refused snapshot is reported. */
  final List<LogRecord> warnings = new ArrayList<>();
  final Logger repositoryLog = Logger.getLogger(AggregateRepository.class.getName());
  final Handler capture = new Handler() {
    @Override
    public void publish(LogRecord record) {
      if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
        synchronized (warnings) {
          warnings.add(record);
        }
      }
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };

  @BeforeAll
  static void open() {
    pool = Pools.pool(db, 4);
    store = PostgresEventStore.builder(REGISTRY).dataSource(pool).schema(db.schema()).installSchema(true).build();
    signed = PostgresEventStore.builder(REGISTRY).dataSource(pool).schema(db.schema())
        .snapshotSigning(SnapshotSigning.hmacSha256(KEY)).build();
  }

  @AfterAll
  static void close() {
    signed.close();
    store.close();
    pool.close();
  }

  @BeforeEach
  void listen() {
    repositoryLog.addHandler(capture);
  }

  @AfterEach
  void stopListening() {
    repositoryLog.removeHandler(capture);
  }

  /** A counter aggregate of its own category, so each test verifies only its own snapshots. */
  static AggregateType<Add, Total, Added> counter(String category) {
    return AggregateType.builder(category, Added.class, Decider.<Add, Total, Added>of(() -> new Total(0),
            (t, e) -> new Total(t.sum() + e.n()), (c, t) -> List.of(new Added(c.n()))))
        .snapshots(Total.class, 1).snapshotEvery(10).build();
  }

  static AggregateRepository<Add, Total, Added> repository(AggregateType<Add, Total, Added> type,
      PostgresEventStore on) {
    return AggregateRepository.builder(type, on).snapshotStore(on.snapshotStore())
        .snapshotExecutor(Runnable::run).cacheSize(0).build();
  }

  /** Adds 1 {@code times} times to aggregate {@code id}, taking snapshots every 10 events. */
  static void add(AggregateRepository<Add, Total, Added> repo, String id, int times) {
    for (int i = 0; i < times; i++) {
      repo.handle(id, new Add(1));
    }
  }

  /** Runs SQL as a database user with write access to the tables would. */
  static void forge(String sql) throws SQLException {
    try (Connection c = db.connect(); Statement st = c.createStatement()) {
      st.execute(sql.replace("${schema}", db.schema()));
    }
  }

  /** The hash of the stream's event at {@code version}, as anyone who can read the events can copy it. */
  static String linkOf(StreamId stream, long version) {
    return "(SELECT hash FROM ${schema}.events WHERE stream_id = '" + stream + "' AND version = " + version + ")";
  }

  List<String> warningsAbout(StreamId stream) {
    synchronized (warnings) {
      return warnings.stream().map(LogRecord::getMessage).filter(m -> m.contains(stream.toString())).toList();
    }
  }

  // (b) Bound to the hash chain.

  final AggregateType<Add, Total, Added> bound = counter("bound");

  @Test
  void a_snapshot_whose_link_hash_is_not_the_streams_link_at_its_version_is_refused_and_the_events_replayed()
      throws SQLException {
    StreamId stream = bound.streamId("b1");
    try (AggregateRepository<Add, Total, Added> repo = repository(bound, store)) {
      add(repo, "b1", 12);
      // The link of version 11 on a snapshot of version 12: bound to another point of the history.
      forge("INSERT INTO ${schema}.snapshots (stream_id, version, schema_version, state, taken_at, link_hash) "
          + "VALUES ('" + stream + "', 12, 1, '{\"sum\": 1000000}', now(), " + linkOf(stream, 11) + ")");

      assertThat(repo.load("b1")).isEqualTo(new AggregateState<>(stream, new Total(12), 12));
      assertThat(warningsAbout(stream)).singleElement().asString()
          .contains("snapshot of bound-b1 at version 12 refused", "link hash", "replaying all events");
      SnapshotRejectedException refused = catchThrowableOfType(
          () -> store.snapshotStore().latest(stream), SnapshotRejectedException.class);
      assertThat(refused.streamId()).isEqualTo(stream);
      assertThat(refused.version()).isEqualTo(12);
      assertThat(repo.loadAsOf("b1", AsOf.version(12)).state()).isEqualTo(new Total(12));
    }
  }

  @Test
  void a_snapshot_copied_from_another_stream_is_refused() throws SQLException {
    StreamId stream = bound.streamId("b2");
    try (AggregateRepository<Add, Total, Added> repo = repository(bound, store)) {
      add(repo, "b2", 10);
      add(repo, "rich", 10);
      forge("UPDATE ${schema}.snapshots SET state = '{\"sum\": 777}' WHERE stream_id = 'bound-rich'");
      forge("INSERT INTO ${schema}.snapshots SELECT '" + stream + "', version, schema_version, state, taken_at, "
          + "link_hash, signature FROM ${schema}.snapshots WHERE stream_id = 'bound-rich' "
          + "ON CONFLICT (stream_id, version) DO UPDATE SET state = EXCLUDED.state, link_hash = EXCLUDED.link_hash");

      assertThat(repo.load("b2").state()).isEqualTo(new Total(10));
      assertThat(warningsAbout(stream)).singleElement().asString().contains("at version 10 refused");
    }
  }

  @Test
  void a_snapshot_beyond_the_end_of_its_stream_is_refused() throws SQLException {
    StreamId stream = bound.streamId("b3");
    try (AggregateRepository<Add, Total, Added> repo = repository(bound, store)) {
      add(repo, "b3", 3);
      forge("INSERT INTO ${schema}.snapshots (stream_id, version, schema_version, state, taken_at, link_hash) "
          + "VALUES ('" + stream + "', 1000000, 1, '{\"sum\": 1000000}', now(), " + linkOf(stream, 3) + ")");

      assertThat(repo.load("b3")).isEqualTo(new AggregateState<>(stream, new Total(3), 3));
      assertThat(warningsAbout(stream)).singleElement().asString()
          .contains("at version 1000000 refused", "no event at version 1000000");
    }
  }

  @Test
  void the_store_binds_what_it_saves_and_refuses_to_save_a_version_the_stream_does_not_have() {
    StreamId stream = bound.streamId("b4");
    try (AggregateRepository<Add, Total, Added> repo = repository(bound, store)) {
      add(repo, "b4", 2);
    }
    PostgresSnapshotStore snapshots = store.snapshotStore();
    snapshots.save(new Snapshot(stream, 2, 1, "{\"sum\": 2}", Instant.now()));
    assertThat(snapshots.latest(stream)).map(Snapshot::version).contains(2L);
    assertThatThrownBy(() -> snapshots.save(new Snapshot(stream, 3, 1, "{\"sum\": 3}", Instant.now())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("bound-b4 at version 3: the stream has no event at that version");
  }
  // (c) Signed with the application's key.

  final AggregateType<Add, Total, Added> signedType = counter("signed");

  @Test
  void a_state_changed_in_place_by_someone_without_the_key_is_refused_and_the_events_replayed()
      throws SQLException {
    StreamId stream = signedType.streamId("s1");
    try (AggregateRepository<Add, Total, Added> repo = repository(signedType, signed)) {
      add(repo, "s1", 10);
      assertThat(signed.snapshotStore().latest(stream)).map(Snapshot::version).contains(10L);
      // Link hash and signature stay as the application wrote them; only the state changes.
      forge("UPDATE ${schema}.snapshots SET state = '{\"sum\": 1000000}' WHERE stream_id = '" + stream + "'");

      assertThat(repo.load("s1")).isEqualTo(new AggregateState<>(stream, new Total(10), 10));
      List<String> logged = warningsAbout(stream);
      assertThat(logged).singleElement().asString()
          .contains("snapshot of signed-s1 at version 10 refused", "signature", "replaying all events");
      assertThat(logged.get(0)).doesNotContainIgnoringCase(HexFormat.of().formatHex(KEY).substring(0, 16));
    }
  }

  @Test
  void a_snapshot_with_the_right_link_hash_but_no_signature_is_refused() throws SQLException {
    StreamId stream = signedType.streamId("s2");
    try (AggregateRepository<Add, Total, Added> repo = repository(signedType, signed)) {
      add(repo, "s2", 4);
      forge("INSERT INTO ${schema}.snapshots (stream_id, version, schema_version, state, taken_at, link_hash) "
          + "VALUES ('" + stream + "', 4, 1, '{\"sum\": 1000000}', now(), " + linkOf(stream, 4) + ")");

      assertThat(repo.load("s2").state()).isEqualTo(new Total(4));
      assertThat(warningsAbout(stream)).singleElement().asString().contains("carries no signature");
      // Without a key only the binding is checked, and this forgery passes it: level (c) is what stops it.
      assertThat(store.snapshotStore().latest(stream)).map(Snapshot::state).contains("{\"sum\": 1000000}");
    }
  }

  @Test
  void a_signed_snapshot_is_used_by_a_store_with_the_key_and_refused_by_one_with_another_key() {
    StreamId stream = signedType.streamId("s3");
    try (AggregateRepository<Add, Total, Added> repo = repository(signedType, signed)) {
      add(repo, "s3", 3);
      // Whoever holds the key is trusted, even with a wrong state: this proves the load uses it.
      signed.snapshotStore().save(new Snapshot(stream, 3, 1, "{\"sum\": 300}", Instant.now()));
      assertThat(repo.load("s3").state()).isEqualTo(new Total(300));
    }
    byte[] otherKey = Arrays.copyOf(KEY, KEY.length);
    otherKey[0] ^= 1;
    try (PostgresEventStore other = PostgresEventStore.builder(REGISTRY).dataSource(pool).schema(db.schema())
        .snapshotSigning(SnapshotSigning.hmacSha256(otherKey)).build()) {
      assertThatThrownBy(() -> other.snapshotStore().latest(stream))
          .isInstanceOf(SnapshotRejectedException.class)
          .hasMessageContaining("its signature does not match");
    }
  }

  @Test
  void a_key_shorter_than_32_bytes_is_refused_without_showing_it() {
    byte[] shortKey = Arrays.copyOf(KEY, 31);
    assertThatThrownBy(() -> SnapshotSigning.hmacSha256(shortKey))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("snapshot signing key must be 32 bytes or more, was 31 bytes");
    assertThat(SnapshotSigning.hmacSha256(KEY).toString())
        .doesNotContainIgnoringCase(HexFormat.of().formatHex(KEY, 0, 4));
  }
  // (a) Checked by the auditor's replay.

  @Test
  void every_snapshot_that_differs_from_a_replay_of_its_stream_is_named_with_its_version()
      throws SQLException {
    AggregateType<Add, Total, Added> type = counter("audited");
    try (AggregateRepository<Add, Total, Added> repo = repository(type, store)) {
      add(repo, "good", 25);
      add(repo, "bad", 25);
    }
    SnapshotVerifier.Report clean = store.snapshotVerifier().verify(type);
    assertThat(clean.snapshotsChecked()).isEqualTo(4);
    assertThat(clean.intact()).as("%s", clean.findings()).isTrue();

    // Bound to the right link hash, so only a replay (or a signature) can tell.
    forge("UPDATE ${schema}.snapshots SET state = '{\"sum\": 500000}' WHERE stream_id = 'audited-bad' AND version = 20");
    forge("INSERT INTO ${schema}.snapshots (stream_id, version, schema_version, state, taken_at, link_hash) "
        + "VALUES ('audited-bad', 30, 1, '{\"sum\": 30}', now(), " + linkOf(type.streamId("bad"), 25) + ")");
    forge("INSERT INTO ${schema}.snapshots (stream_id, version, schema_version, state, taken_at, link_hash) "
        + "VALUES ('audited-good', 5, 2, '{\"other\": 1}', now(), " + linkOf(type.streamId("good"), 5) + ")");

    SnapshotVerifier.Report report = store.snapshotVerifier().verify(type);
    assertThat(report.snapshotsChecked()).isEqualTo(5);
    assertThat(report.snapshotsSkipped()).as("another state schema version, never loaded").isEqualTo(1);
    assertThat(report.findings()).extracting(Finding::streamId, Finding::version, Finding::kind)
        .containsExactly(
            tuple(type.streamId("bad"), 20L, Kind.STATE_DIFFERS),
            tuple(type.streamId("bad"), 30L, Kind.LINK_MISMATCH));
    assertThat(report.findings().get(0).detail())
        .contains("{\"sum\": 500000}", "a replay of events 1 to 20 gives {\"sum\":20}");
  }

  @Test
  void with_the_key_the_verifier_also_names_snapshots_without_a_valid_signature() throws SQLException {
    AggregateType<Add, Total, Added> type = counter("audsigned");
    try (AggregateRepository<Add, Total, Added> repo = repository(type, signed)) {
      add(repo, "a", 10);
      add(repo, "b", 10);
    }
    assertThat(signed.snapshotVerifier().verify(type).intact()).isTrue();
    // The right state, unsigned: it matches a replay, but the application never wrote it.
    forge("UPDATE ${schema}.snapshots SET signature = NULL WHERE stream_id = 'audsigned-b'");

    assertThat(store.snapshotVerifier().verify(type).intact()).as("without the key").isTrue();
    assertThat(signed.snapshotVerifier().verify(type).findings())
        .extracting(Finding::streamId, Finding::version, Finding::kind)
        .containsExactly(tuple(type.streamId("b"), 10L, Kind.BAD_SIGNATURE));
  }

  @Test
  void a_state_nested_deeper_than_a_json_parser_allows_by_default_is_reported_and_refused_not_thrown()
      throws SQLException {
    AggregateType<Add, Total, Added> type = counter("deepstate");
    StreamId stream = type.streamId("d");
    try (AggregateRepository<Add, Total, Added> repo = repository(type, signed)) {
      add(repo, "d", 10);
    }
    // The link hash stays right: only the state is replaced, by one jsonb accepts.
    forge("UPDATE ${schema}.snapshots SET state = (repeat('[', 1200) || repeat(']', 1200))::jsonb "
        + "WHERE stream_id = '" + stream + "'");

    assertThat(store.snapshotVerifier().verify(type).findings())
        .extracting(Finding::streamId, Finding::version, Finding::kind)
        .containsExactly(tuple(stream, 10L, Kind.UNREADABLE));
    assertThat(signed.snapshotVerifier().verify(type).findings())
        .extracting(Finding::streamId, Finding::version, Finding::kind)
        .containsExactly(tuple(stream, 10L, Kind.BAD_SIGNATURE), tuple(stream, 10L, Kind.UNREADABLE));
    assertThatThrownBy(() -> signed.snapshotStore().latest(stream))
        .isInstanceOf(SnapshotRejectedException.class)
        .hasMessageContaining(stream.toString());
  }

  @Test
  void a_type_without_snapshots_cannot_be_verified() {
    AggregateType<Add, Total, Added> none = AggregateType.builder("plain", Added.class,
        Decider.<Add, Total, Added>of(() -> new Total(0), (t, e) -> t, (c, t) -> List.of())).build();
    assertThatThrownBy(() -> store.snapshotVerifier().verify(none))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("declares no snapshot state");
  }

  // Upgrading.

  @Test
  void upgrading_to_schema_version_6_removes_the_unbound_snapshots_of_before() throws SQLException {
    String schema = db.newSchema();
    try (Connection c = db.connect(); Statement st = c.createStatement()) {
      st.execute("CREATE TABLE " + schema + ".schema_version (version integer PRIMARY KEY, "
          + "script text NOT NULL, installed_at timestamptz NOT NULL DEFAULT now())");
      List<String> scripts = PostgresSchema.scripts();
      for (int v = 1; v <= 5; v++) {
        st.execute(PostgresSchema.script(scripts.get(v - 1), schema));
        st.execute("INSERT INTO " + schema + ".schema_version (version, script) VALUES (" + v + ", '"
            + scripts.get(v - 1) + "')");
      }
      st.execute("INSERT INTO " + schema + ".snapshots (stream_id, version, schema_version, state, taken_at) "
          + "VALUES ('bound-old', 10, 1, '{\"sum\": 1000000}', now())");
    }

    assertThat(PostgresSchema.install(pool, schema)).isEqualTo(PostgresSchema.CURRENT_VERSION);
    try (Connection c = db.connect(); Statement st = c.createStatement();
        java.sql.ResultSet rs = st.executeQuery("SELECT count(*) FROM " + schema + ".snapshots")) {
      rs.next();
      assertThat(rs.getLong(1)).as("snapshots without a link hash cannot be told from forged ones").isZero();
    }
    try (PostgresEventStore upgraded = PostgresEventStore.builder(REGISTRY).dataSource(pool).schema(schema).build();
        AggregateRepository<Add, Total, Added> repo = repository(bound, upgraded)) {
      add(repo, "old", 10);
      assertThat(upgraded.snapshotStore().latest(bound.streamId("old"))).map(Snapshot::state).contains("{\"sum\": 10}");
    }
  }
}
