package dev.annals.postgres.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.annals.core.ExpectedVersion;
import dev.annals.core.Metadata;
import dev.annals.core.NewEvent;
import dev.annals.core.RecordedEvent;
import dev.annals.core.StreamId;
import dev.annals.postgres.IntegrityVerifier;
import dev.annals.postgres.IntegrityVerifier.Kind;
import dev.annals.postgres.IntegrityVerifier.Scope;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.postgres.PostgresSchema;
import dev.annals.testkit.ContractEvents;
import dev.annals.testkit.ContractEvents.ItemAdded;
import dev.annals.testkit.PostgresTestDatabase;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Archiving, restoring, exporting and importing against the real PostgreSQL, with the role split
 * of docs/postgres.md: the application role appends and reads, the owner archives and restores.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ArchiveIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  static final String SUFFIX = UUID.randomUUID().toString().substring(0, 8);
  static final String OWNER = "annals_owner_" + SUFFIX;
  static final String APP = "annals_app_" + SUFFIX;

  static String schema;
  static HikariDataSource ownerPool;
  static HikariDataSource appPool;
  static PostgresEventStore store;

  @TempDir
  Path dir;

  @BeforeAll
  static void install() throws SQLException {
    schema = db.newSchema();
    superuser("CREATE ROLE " + OWNER + " NOLOGIN", "CREATE ROLE " + APP + " NOLOGIN",
        "ALTER SCHEMA " + schema + " OWNER TO " + OWNER);
    ownerPool = pool(OWNER);
    appPool = pool(APP);
    PostgresSchema.install(ownerPool, schema);
    PostgresSchema.grantApplicationRole(ownerPool, schema, APP);
    store = PostgresEventStore.builder(ContractEvents.registry()).dataSource(appPool).schema(schema)
        .notifyInterval(Duration.ZERO).build();
  }

  @AfterAll
  static void drop() throws SQLException {
    store.close();
    appPool.close();
    ownerPool.close();
    superuser("DROP SCHEMA IF EXISTS " + schema + " CASCADE", "DROP OWNED BY " + APP + ", " + OWNER,
        "DROP ROLE " + APP, "DROP ROLE " + OWNER);
  }

  /** A stream of {@code n} events: a batch, then single events at exact versions (both append paths). */
  static StreamId stream(String id, int n) {
    StreamId s = StreamId.of("cart", id);
    store.append(s, ExpectedVersion.noStream(), List.of(NewEvent.of(new ItemAdded(id + "-1", 1),
        Metadata.empty().withActor("ü-ñ").with("note", "{\"nested\": 1.50}"))));
    for (int v = 2; v <= n; v++) {
      store.append(s, ExpectedVersion.exactly(v - 1), NewEvent.of(new ItemAdded(id + "-" + v, v * 1000)));
    }
    return s;
  }

  StreamArchiver archiver() {
    return StreamArchiver.of(ownerPool, schema, ArchiveSink.directory(dir));
  }

  static List<Object> rows(StreamId s) throws SQLException {
    List<Object> rows = new ArrayList<>();
    try (Connection c = ownerPool.getConnection(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT version, event_id, type, payload::text, metadata::text, "
            + "recorded_at, encode(hash, 'hex') FROM " + schema + ".events WHERE stream_id = '" + s
            + "' ORDER BY version")) {
      while (rs.next()) {
        rows.add(List.of(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
            rs.getObject(6, java.time.OffsetDateTime.class).toInstant(), rs.getString(7)));
      }
    }
    return rows;
  }

  // Archiving

  @Test
  void archive_then_restore_puts_the_events_back_exactly() throws Exception {
    StreamId s = stream("roundtrip", 5);
    List<Object> before = rows(s);

    ArchivedStream tombstone = archiver().archive(s);

    assertThat(tombstone.version()).isEqualTo(5);
    assertThat(tombstone.archivedBy()).endsWith(" as " + OWNER);
    assertThat(rows(s)).as("the events left the table").isEmpty();
    assertThat(Files.readAllLines(Path.of(tombstone.location()))).hasSize(5)
        .allSatisfy(line -> assertThat(line).startsWith("{\"specversion\":\"1.0\"").contains("\"linkhash\":\""));
    assertThat(store.integrityVerifier().verify(Scope.stream(s)).intact()).isTrue();

    assertThat(archiver().restore(s)).isEqualTo(5);

    assertThat(rows(s)).as("versions, ids, content, times and link hashes").isEqualTo(before);
    assertThat(archiver().find(s)).isEmpty();
    assertThat(store.integrityVerifier().verify(Scope.stream(s)).violations()).isEmpty();
    store.append(s, ExpectedVersion.exactly(5), NewEvent.of(new ItemAdded("after", 6)));
    assertThat(store.integrityVerifier().verify(Scope.stream(s)).violations()).isEmpty();
  }

  @Test
  void appending_to_an_archived_stream_is_refused_on_every_path() {
    StreamId s = stream("closed", 3);
    ArchivedStream tombstone = archiver().archive(s);

    for (ExpectedVersion expected : List.of(ExpectedVersion.exactly(3), ExpectedVersion.any(),
        ExpectedVersion.streamExists())) {
      assertThatThrownBy(() -> store.append(s, expected, NewEvent.of(new ItemAdded("late", 1))))
          .as("expected version %s", expected)
          .isInstanceOfSatisfying(StreamArchivedException.class, e -> {
            assertThat(e.streamId()).isEqualTo(s);
            assertThat(e.location()).isEqualTo(tombstone.location());
          });
    }
    assertThat(store.streamVersion(s)).isEqualTo(3);
  }

  @Test
  void loading_an_archived_stream_says_where_its_archive_is() {
    StreamId s = stream("loaded", 2);
    ArchivedStream tombstone = archiver().archive(s);

    assertThatThrownBy(() -> store.readStream(s, 1, 100))
        .isInstanceOf(StreamArchivedException.class)
        .hasMessageContaining(tombstone.location())
        .hasMessageContaining("at version 2");
    assertThatThrownBy(() -> store.readPayloads(s, 1, 100))
        .isInstanceOfSatisfying(StreamArchivedException.class,
            e -> assertThat(e.location()).isEqualTo(tombstone.location()));
    assertThat(store.readStream(StreamId.of("cart", "never-written"), 1, 100)).isEmpty();
  }

  @Test
  void a_category_is_archived_up_to_a_date() {
    StreamId old = StreamId.of("ledger", "2025");
    store.append(old, ExpectedVersion.noStream(), NewEvent.of(new ItemAdded("opening", 1)));
    Instant cut = Instant.now().plusSeconds(3600);

    List<ArchivedStream> archived = archiver().archiveCategory("ledger", cut);

    assertThat(archived).extracting(ArchivedStream::streamId).containsExactly(old);
    assertThat(archiver().archiveCategory("ledger", cut)).as("nothing left to archive").isEmpty();
    assertThat(archiver().archiveCategory("cart", Instant.parse("2000-01-01T00:00:00Z"))).isEmpty();
  }

  @Test
  void a_stream_cannot_be_archived_twice_or_when_missing() {
    StreamId s = stream("twice", 1);
    archiver().archive(s);
    assertThatThrownBy(() -> archiver().archive(s)).isInstanceOf(ArchiveException.class)
        .hasMessageContaining("archived already");
    assertThatThrownBy(() -> archiver().archive(StreamId.of("cart", "nothing")))
        .isInstanceOf(ArchiveException.class).hasMessageContaining("no events");
  }

  // Verifying

  @Test
  void verify_reports_a_tampered_tombstone() throws SQLException {
    StreamId s = stream("tomb", 2);
    archiver().archive(s);
    superuser("UPDATE " + schema + ".archived_streams SET head_hash = sha256('forged') WHERE stream_id = '" + s + "'");

    assertThat(store.integrityVerifier().verify(Scope.stream(s)).violations())
        .extracting(IntegrityVerifier.Violation::kind).containsExactly(Kind.ARCHIVE_MISMATCH);
  }

  @Test
  void verify_reports_events_added_to_an_archived_stream() throws SQLException {
    StreamId s = stream("revived", 1);
    archiver().archive(s);
    // The application role's column grants would let it insert a row; verify finds it.
    superuser("INSERT INTO " + schema + ".events (stream_id, category, version, event_id, type, schema_version, "
        + "payload, metadata, recorded_at, hash) VALUES ('" + s + "', 'cart', 2, gen_random_uuid(), 'ItemAdded', "
        + "1, '{}', '{}', now(), sha256('x'))");

    // The forged row is found first as a gap (the archived versions are not in the table).
    assertThat(store.integrityVerifier().verify(Scope.stream(s)).violations())
        .extracting(IntegrityVerifier.Violation::kind).containsExactly(Kind.VERSION_GAP);
  }

  @Test
  void the_archive_files_are_checked_against_their_tombstones() throws Exception {
    Path own = Files.createDirectory(dir.resolve("files"));
    StreamArchiver archiver = StreamArchiver.of(ownerPool, schema, ArchiveSink.directory(own));
    // Other tests' tombstones point elsewhere; only this test's streams are looked at below.
    StreamId kept = stream("kept", 2);
    StreamId altered = stream("altered", 2);
    archiver.archive(kept);
    ArchivedStream tombstone = archiver.archive(altered);
    Path file = Path.of(tombstone.location());
    Files.writeString(file, Files.readString(file).replace("altered-2", "altered-X"));

    assertThat(archiver.verifyArchives().violations())
        .filteredOn(v -> v.stream().startsWith("cart-kept") || v.stream().startsWith("cart-altered"))
        .extracting(IntegrityVerifier.Violation::stream, IntegrityVerifier.Violation::kind)
        .containsExactly(tuple("cart-altered", Kind.ARCHIVE_MISMATCH));
    assertThatThrownBy(() -> archiver.restore(altered)).isInstanceOf(ArchiveException.class)
        .hasMessageContaining("the file was altered");
    assertThat(rows(altered)).as("nothing restored").isEmpty();
  }

  @Test
  void an_anchor_taken_before_archiving_still_holds_and_finds_a_rewritten_tombstone() throws SQLException {
    StreamId s = stream("anchored", 3);
    dev.annals.postgres.Anchor anchor = store.integrityVerifier().anchor();
    archiver().archive(s);

    assertThat(store.integrityVerifier().compare(anchor).violations()).as("the archived head is the anchored one")
        .filteredOn(v -> v.stream().equals(s.toString())).isEmpty();

    // A forger with the superuser's power rewrites both, past the trigger that guards the row.
    superuser("SET session_replication_role = replica",
        "UPDATE " + schema + ".archived_streams SET head_hash = sha256('forged') WHERE stream_id = '" + s + "'",
        "UPDATE " + schema + ".streams SET head_hash = sha256('forged') WHERE stream_id = '" + s + "'");
    assertThat(store.integrityVerifier().compare(anchor).violations())
        .filteredOn(v -> v.stream().equals(s.toString()))
        .extracting(IntegrityVerifier.Violation::kind).containsExactly(Kind.ANCHORED_HEAD_MISMATCH);
  }

  // RoleSplit

  @Test
  void the_application_role_can_neither_archive_nor_delete_events() throws SQLException {
    StreamId s = stream("guarded", 1);
    StreamArchiver asApp = StreamArchiver.of(appPool, schema, ArchiveSink.directory(dir));

    assertThatThrownBy(() -> asApp.archive(s)).isInstanceOf(ArchiveException.class)
        .hasMessageContaining("permission denied").hasMessageContaining("owner");
    for (String sql : List.of("DELETE FROM " + schema + ".events WHERE stream_id = '" + s + "'",
        "SELECT set_config('annals.archiving', '" + s + "', false); DELETE FROM " + schema + ".events",
        "UPDATE " + schema + ".streams SET state = 'archived'",
        "INSERT INTO " + schema + ".archived_streams SELECT * FROM " + schema + ".archived_streams")) {
      try (Connection c = appPool.getConnection(); Statement st = c.createStatement()) {
        assertThatThrownBy(() -> st.execute(sql)).as(sql).isInstanceOfSatisfying(SQLException.class,
            e -> assertThat(e.getSQLState()).isEqualTo("42501"));
      }
    }
    assertThat(rows(s)).hasSize(1);
  }

  @Test
  void even_the_owner_deletes_events_only_through_archive_stream() throws SQLException {
    StreamId s = stream("owned", 1);
    try (Connection c = ownerPool.getConnection(); Statement st = c.createStatement()) {
      assertThatThrownBy(() -> st.execute("DELETE FROM " + schema + ".events WHERE stream_id = '" + s + "'"))
          .hasMessageContaining("events are append-only");
    }
    assertThat(rows(s)).hasSize(1);
  }

  // ExportAndImport

  @Test
  void an_export_imported_into_an_empty_store_reproduces_it() throws Exception {
    StreamId a = stream("export-a", 3);
    StreamId b = stream("export-b", 2);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    List<Long> progress = new ArrayList<>();

    long written = LogExport.of(ownerPool, schema).export(ExportFilter.all().category("cart"), out, progress::add);

    assertThat(written).isGreaterThanOrEqualTo(5);
    assertThat(progress).last().isEqualTo(written);
    String target = emptyStore();
    LogImport.Result result = LogImport.of(ownerPool, target)
        .importFrom(new ByteArrayInputStream(out.toByteArray()), "export.jsonl", n -> {});

    assertThat(result.events()).isEqualTo(written);
    try (PostgresEventStore imported = PostgresEventStore.builder(ContractEvents.registry()).dataSource(ownerPool)
        .schema(target).notifyInterval(Duration.ZERO).build()) {
      assertThat(imported.integrityVerifier().verify(Scope.all()).violations()).isEmpty();
      for (StreamId s : List.of(a, b)) {
        assertThat(imported.readStream(s, 1, 100)).extracting(RecordedEvent::eventId, RecordedEvent::version,
                RecordedEvent::payload, RecordedEvent::metadata, RecordedEvent::recordedAt)
            .containsExactlyElementsOf(store.readStream(s, 1, 100).stream().map(e -> tuple(e.eventId(),
                e.version(), e.payload(), e.metadata(), e.recordedAt())).toList());
      }
    }
  }

  @Test
  void a_tampered_import_file_is_refused_and_nothing_is_imported() throws Exception {
    stream("tamper-a", 2);
    stream("tamper-b", 2);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    LogExport.of(ownerPool, schema).export(ExportFilter.all().category("cart"), out, n -> {});
    String export = out.toString(StandardCharsets.UTF_8);
    String target = emptyStore();
    LogImport importer = LogImport.of(ownerPool, target);

    for (String bad : List.of(export.replace("tamper-b-2", "tamper-b-9"),
        export.replace("\"streamversion\":\"2\"", "\"streamversion\":\"3\""),
        export + "{\"specversion\":\"1.0\"}\n",
        export + "not json\n",
        export.lines().filter(l -> !l.contains("tamper-a-1")).reduce("", (x, y) -> x + y + "\n"))) {
      assertThatThrownBy(() -> importer.importFrom(new ByteArrayInputStream(bad.getBytes(StandardCharsets.UTF_8)),
          "bad.jsonl", n -> {})).isInstanceOf(ArchiveException.class).hasMessageStartingWith("bad.jsonl");
      assertThat(count(target)).as("nothing half-imported").isZero();
    }
    importer.importFrom(new ByteArrayInputStream(export.getBytes(StandardCharsets.UTF_8)), "good.jsonl", n -> {});
    assertThatThrownBy(() -> importer.importFrom(new ByteArrayInputStream(export.getBytes(StandardCharsets.UTF_8)),
        "again.jsonl", n -> {})).isInstanceOf(ArchiveException.class).hasMessageContaining("exists");
  }

  private String emptyStore() throws SQLException {
    String target = db.newSchema();
    superuser("ALTER SCHEMA " + target + " OWNER TO " + OWNER);
    PostgresSchema.install(ownerPool, target);
    return target;
  }

  private long count(String target) throws SQLException {
    try (Connection c = ownerPool.getConnection(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT count(*) FROM " + target + ".events")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static HikariDataSource pool(String role) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(db.jdbcUrl());
    config.setMaximumPoolSize(3);
    config.setMinimumIdle(0);
    config.setPoolName("test-" + role);
    config.setConnectionInitSql("SET ROLE " + role);
    return new HikariDataSource(config);
  }

  private static void superuser(String... statements) throws SQLException {
    try (Connection c = db.connect(); Statement st = c.createStatement()) {
      for (String sql : statements) {
        st.execute(sql);
      }
    }
  }
}
