package dev.annals.postgres.docs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.annals.core.BookClosing;
import dev.annals.core.EventRegistry;
import dev.annals.core.ExpectedVersion;
import dev.annals.core.Metadata;
import dev.annals.core.NewEvent;
import dev.annals.core.RecordedEvent;
import dev.annals.core.StreamId;
import dev.annals.postgres.IntegrityVerifier;
import dev.annals.postgres.IntegrityVerifier.Scope;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.postgres.PostgresSchema;
import dev.annals.postgres.archive.ArchiveSink;
import dev.annals.postgres.archive.ArchivedStream;
import dev.annals.postgres.archive.ExportFilter;
import dev.annals.postgres.archive.LogExport;
import dev.annals.postgres.archive.LogImport;
import dev.annals.postgres.archive.StreamArchivedException;
import dev.annals.postgres.archive.StreamArchiver;
import dev.annals.testkit.PostgresTestDatabase;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The examples of docs/archiving.md (DocsSnippetsTest in es-testkit compares them with the
 * document); needs a PostgreSQL server. The owner's data source is the test server's superuser
 * here; ArchiveIT runs the same with the owner and application roles split.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ArchivingExamplesIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  /** A bank account's events, as the sample bank's, reduced to what the examples need. */
  record Deposited(BigDecimal amount) {}

  // tag::closing-events[]
  /** Closes an account's year: the balance it ends with. */
  record YearClosed(int year, BigDecimal balance) {}

  /** Opens the account's next year with the balance carried forward. */
  record BalanceCarriedForward(int year, BigDecimal balance) {}
  // end::closing-events[]

  static final EventRegistry REGISTRY = EventRegistry.builder()
      .register(Deposited.class, "Deposited")
      .register(YearClosed.class, "YearClosed")
      .register(BalanceCarriedForward.class, "BalanceCarriedForward")
      .build();

  PostgresEventStore store(String schema) {
    return PostgresEventStore.builder(REGISTRY).dataSource(db.dataSource()).schema(schema).installSchema(true)
        .notifyInterval(Duration.ZERO).build();
  }

  @Test
  void a_year_is_closed_archived_verified_and_restored(@TempDir Path dir) {
    String schema = db.newSchema();
    DataSource ownerDataSource = db.dataSource();
    try (PostgresEventStore store = store(schema)) {
      StreamId account2026 = StreamId.of("account", "1001.2026");
      store.append(account2026, ExpectedVersion.noStream(), List.of(NewEvent.of(new Deposited(new BigDecimal("120.50"))),
          NewEvent.of(new Deposited(new BigDecimal("30.00")))));

      // tag::closing-the-books[]
      // The year's balance, from the events of the year (a read model or the aggregate would do too).
      List<RecordedEvent> year = store.readStream(account2026, 1, 10_000);
      BigDecimal balance = year.stream().map(e -> ((Deposited) e.payload()).amount())
          .reduce(BigDecimal.ZERO, BigDecimal::add);
      long version = year.get(year.size() - 1).version();

      StreamId account2027 = StreamId.of("account", "1001.2027");
      BookClosing.close(store, account2026, version, new YearClosed(2026, balance),
          account2027, new BalanceCarriedForward(2027, balance), Metadata.empty().withActor("year-end"));
      // end::closing-the-books[]

      RecordedEvent opening = store.readStream(account2027, 1, 10).get(0);
      assertThat(opening.payload()).isEqualTo(new BalanceCarriedForward(2027, new BigDecimal("150.50")));
      assertThat(BookClosing.carriedFrom(opening)).contains(account2026);
      assertThat(opening.metadata().extra()).containsEntry(BookClosing.CARRIED_FROM_VERSION, "3");
      // Done already: the same call again writes nothing and answers the same.
      assertThat(BookClosing.close(store, account2026, version, new YearClosed(2026, balance), account2027,
          new BalanceCarriedForward(2027, balance), Metadata.empty().withActor("year-end")).opening().lastVersion())
          .isEqualTo(1);

      // tag::archive-stream[]
      StreamArchiver archiver = StreamArchiver.of(ownerDataSource, schema, ArchiveSink.directory(dir));
      ArchivedStream tombstone = archiver.archive(account2026);
      // or every account stream whose last event is older than a date:
      // archiver.archiveCategory("account", Instant.parse("2027-01-01T00:00:00Z"));
      // end::archive-stream[]

      assertThat(Files.exists(Path.of(tombstone.location()))).isTrue();
      // tag::archived-stream-refused[]
      try {
        store.readStream(account2026, 1, 100);
      } catch (StreamArchivedException e) {
        String where = e.location();   // the archive file, as the sink named it
      }
      // end::archived-stream-refused[]
      assertThatThrownBy(() -> store.readStream(account2026, 1, 100)).isInstanceOf(StreamArchivedException.class);

      // tag::verify-archives[]
      IntegrityVerifier.Report tombstones = store.integrityVerifier().verify(Scope.all()); // rows and tombstones agree
      IntegrityVerifier.Report files = archiver.verifyArchives();                         // files match tombstones
      // end::verify-archives[]
      assertThat(tombstones.violations()).isEmpty();
      assertThat(files.violations()).isEmpty();
      assertThat(files.eventsChecked()).isEqualTo(3);

      // tag::restore-stream[]
      long restored = archiver.restore(account2026);   // versions, ids, times and link hashes as they were
      // end::restore-stream[]
      assertThat(restored).isEqualTo(3);
      assertThat(store.readStream(account2026, 1, 100)).hasSize(3);
      assertThat(archiver.archiveCategory("account", Instant.now().plusSeconds(60))).hasSize(2);
    }
  }

  @Test
  void an_export_is_imported_into_an_empty_store(@TempDir Path dir) throws Exception {
    String schema = db.newSchema();
    String emptySchema = db.newSchema();
    DataSource dataSource = db.dataSource();
    DataSource ownerDataSource = db.dataSource();
    try (PostgresEventStore store = store(schema)) {
      store.append(StreamId.of("account", "1001"), ExpectedVersion.noStream(),
          NewEvent.of(new Deposited(new BigDecimal("12.50"))));
    }
    PostgresSchema.install(ownerDataSource, emptySchema);
    Path file = dir.resolve("accounts.jsonl");

    // tag::export-import[]
    try (OutputStream out = Files.newOutputStream(file)) {
      LogExport.of(dataSource, schema).export(ExportFilter.all().category("account"), out,
          n -> System.err.print("\rexported " + n));
    }
    try (InputStream in = Files.newInputStream(file)) {
      LogImport.of(ownerDataSource, emptySchema).importFrom(in, file.toString(), n -> {});
    }
    // end::export-import[]

    try (PostgresEventStore imported = store(emptySchema)) {
      assertThat(imported.readStream(StreamId.of("account", "1001"), 1, 10)).extracting(RecordedEvent::payload)
          .containsExactly(new Deposited(new BigDecimal("12.50")));
      assertThat(imported.integrityVerifier().verify(Scope.all()).intact()).isTrue();
    }
  }
}
