package dev.annals.bank.audit;

import dev.annals.bank.BankStorage;
import dev.annals.bank.Cli;
import dev.annals.core.AnnalsException;
import dev.annals.core.StoreUnavailableException;
import dev.annals.core.StreamId;
import dev.annals.core.internal.Redaction;
import dev.annals.postgres.IntegrityVerifier;
import dev.annals.postgres.PostgresSchema;
import dev.annals.postgres.SchemaException;
import dev.annals.postgres.archive.ArchiveException;
import dev.annals.postgres.archive.ArchiveSink;
import dev.annals.postgres.archive.ArchivedStream;
import dev.annals.postgres.archive.ExportFilter;
import dev.annals.postgres.archive.LogExport;
import dev.annals.postgres.archive.LogImport;
import dev.annals.postgres.archive.StreamArchiver;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.LongConsumer;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * The auditor's export, import, archive and restore commands (docs/archiving.md). They work on
 * the tables directly, as the URL's login: import, archive and restore need the owner of the
 * event store's tables. Progress goes to stderr, so that an export to stdout stays clean.
 */
final class LogTransfer {

  private static final String PREFIX = "Annals audit: ";

  private LogTransfer() {}

  /** Connects as {@code BANK_DB_URL} (else the local server) and runs {@code work}; maps failures to exit codes. */
  private static int run(AuditMain.Root root, String schema, boolean installIfMissing, Work work) {
    String configured = root.environment.get(BankStorage.URL_VARIABLE);
    String url = configured != null && !configured.isBlank() ? configured.trim() : BankStorage.LOCAL_URL;
    PrintStream err = root.err;
    Optional<String> problem = BankStorage.probe(url);
    if (problem.isPresent()) {
      err.println(PREFIX + "cannot reach the database at " + BankStorage.redact(url) + ": " + problem.get());
      return AuditMain.UNAVAILABLE;
    }
    PGSimpleDataSource dataSource = new PGSimpleDataSource();
    dataSource.setURL(url);
    dataSource.setConnectTimeout(3);
    try {
      if (installIfMissing) {
        // Up to date already: only checked, no lock and no DDL.
        PostgresSchema.install(dataSource, schema);
      }
      PostgresSchema.check(dataSource, schema);
      return work.run(dataSource);
    } catch (ArchiveException | IllegalArgumentException e) {
      err.println(PREFIX + oneLine(e.getMessage()));
      return AuditMain.USAGE;
    } catch (SchemaException | StoreUnavailableException e) {
      err.println(PREFIX + "no usable event store in schema " + schema + " at " + BankStorage.redact(url) + ": "
          + oneLine(e.getMessage()));
      return AuditMain.UNAVAILABLE;
    } catch (UncheckedIOException e) {
      err.println(PREFIX + oneLine(e.getMessage()));
      return AuditMain.USAGE;
    } catch (AnnalsException e) {
      err.println(PREFIX + oneLine(e.getMessage()));
      return AuditMain.UNREADABLE;
    }
  }

  private static String oneLine(String message) {
    return Redaction.redact(String.valueOf(message).lines().findFirst().orElse(""));
  }

  @FunctionalInterface
  private interface Work {
    int run(DataSource dataSource);
  }

  /** Progress on stderr, overwritten in place. */
  private static LongConsumer progress(PrintStream err, String what) {
    return n -> {
      err.printf(Locale.ROOT, "\r%s: %,d events", what, n);
      err.flush();
    };
  }

  @CommandLine.Command(name = "export",
      description = {"Writes the log, or the part the options select, as CloudEvents JSON lines (one event per line, "
          + "with its stream, version, position and link hash) to FILE or stdout. Progress on stderr."})
  static final class Export implements Callable<Integer> {
    @ParentCommand
    AuditMain.Root root;

    @Mixin
    AuditMain.Common common = new AuditMain.Common();

    @Mixin
    Cli.Help help;

    @Option(names = "--category", paramLabel = "NAME", description = "Only the streams of this category.")
    String category;

    @Option(names = "--stream", paramLabel = "ID", description = "Only this stream (category-id, e.g. account-42).")
    String stream;

    @Option(names = "--from-position", paramLabel = "P", converter = Cli.Count.class,
        description = "Only from this log position on.")
    Long from;

    @Option(names = "--to-position", paramLabel = "P", converter = Cli.Count.class,
        description = "Only up to this log position.")
    Long to;

    @Option(names = "--since", paramLabel = "ISO-8601", converter = AuditMain.Time.class,
        description = "Only events recorded at or after this time.")
    Instant since;

    @Option(names = "--until", paramLabel = "ISO-8601", converter = AuditMain.Time.class,
        description = "Only events recorded before this time.")
    Instant until;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write here (a new file) instead of stdout.")
    Path output;

    @Override
    public Integer call() {
      String schema = root.command("export", common).schema;
      return run(root, schema, false, ds -> {
        ExportFilter filter = filter();
        LogExport export = LogExport.of(ds, schema);
        long n;
        if (output == null) {
          n = export.export(filter, root.out, progress(root.err, "Exported"));
          root.out.flush();
        } else {
          try (OutputStream file = Files.newOutputStream(output, StandardOpenOption.CREATE_NEW)) {
            n = export.export(filter, file, progress(root.err, "Exported"));
          } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + output + ": " + e, e);
          }
        }
        root.err.println();
        root.err.printf(Locale.ROOT, "Exported %,d events of schema %s%s%n", n, schema,
            output == null ? "" : " to " + output);
        return AuditMain.OK;
      });
    }

    private ExportFilter filter() {
      ExportFilter f = ExportFilter.all();
      if (category != null) {
        f = f.category(category);
      }
      if (stream != null) {
        f = f.stream(StreamId.parse(stream));
      }
      if (from != null || to != null) {
        f = f.positions(from == null ? 1 : from, to == null ? Long.MAX_VALUE : to);
      }
      if (since != null || until != null) {
        f = f.recorded(since == null ? Instant.EPOCH : since, until == null ? Instant.parse("9999-12-31T00:00:00Z") : until);
      }
      return f;
    }
  }

  @CommandLine.Command(name = "import",
      description = {"Imports FILE, written by export, into the schema (installed if missing): checks every line and "
          + "hash chain first, then writes everything in one transaction, or nothing. The schema must not hold the "
          + "file's streams. Needs the owner of the event store's tables. Progress on stderr."})
  static final class Import implements Callable<Integer> {
    @ParentCommand
    AuditMain.Root root;

    @Mixin
    AuditMain.Common common = new AuditMain.Common();

    @Mixin
    Cli.Help help;

    @Parameters(paramLabel = "FILE", description = "A file written by export.")
    Path file;

    @Override
    public Integer call() {
      String schema = root.command("import", common).schema;
      if (!Files.isRegularFile(file)) {
        root.err.println(PREFIX + "no such file: " + file);
        return AuditMain.USAGE;
      }
      return run(root, schema, true, ds -> {
        LogImport.Result result;
        try (InputStream in = Files.newInputStream(file)) {
          result = LogImport.of(ds, schema).importFrom(in, file.getFileName().toString(), progress(root.err, "Imported"));
        } catch (IOException e) {
          throw new UncheckedIOException("cannot read " + file + ": " + e, e);
        }
        root.err.println();
        root.out.printf(Locale.ROOT, "Imported %,d events of %,d streams into schema %s%n", result.events(),
            result.streams(), schema);
        return AuditMain.OK;
      });
    }
  }

  @CommandLine.Command(name = "archive",
      description = {"Writes a stream, or every stream of a category whose last event is older than a time, to DIR "
          + "(one CloudEvents JSON lines file per stream) and removes its events, leaving a tombstone with its "
          + "head and the file's digest. Needs the owner of the event store's tables."})
  static final class Archive implements Callable<Integer> {
    @ParentCommand
    AuditMain.Root root;

    @Mixin
    AuditMain.Common common = new AuditMain.Common();

    @Mixin
    Cli.Help help;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Which which;

    static final class Which {
      @Option(names = "--stream", paramLabel = "ID", description = "The stream (category-id, e.g. account-42).")
      String stream;

      @ArgGroup(exclusive = false)
      Closed closed;
    }

    static final class Closed {
      @Option(names = "--category", paramLabel = "NAME", required = true, description = "Every stream of this category...")
      String category;

      @Option(names = "--closed-before", paramLabel = "ISO-8601", required = true, converter = AuditMain.Time.class,
          description = "...whose last event was recorded before this time.")
      Instant before;
    }

    @Option(names = "--to", paramLabel = "DIR", required = true, description = "The archive directory.")
    Path dir;

    @Override
    public Integer call() {
      String schema = root.command("archive", common).schema;
      return run(root, schema, false, ds -> {
        StreamArchiver archiver = StreamArchiver.of(ds, schema, ArchiveSink.directory(dir));
        List<ArchivedStream> done = which.stream != null ? List.of(archiver.archive(StreamId.parse(which.stream)))
            : archiver.archiveCategory(which.closed.category, which.closed.before);
        for (ArchivedStream a : done) {
          root.out.printf(Locale.ROOT, "Archived %s at version %d to %s (sha256 %s)%n", a.streamId(), a.version(),
              a.location(), a.fileDigest());
        }
        root.out.printf(Locale.ROOT, "%d stream%s archived%n", done.size(), done.size() == 1 ? "" : "s");
        return AuditMain.OK;
      });
    }
  }

  @CommandLine.Command(name = "restore",
      description = {"Puts an archived stream's events back from its file in DIR, exactly as they were, after checking "
          + "the file against the tombstone. Needs the owner of the event store's tables."})
  static final class Restore implements Callable<Integer> {
    @ParentCommand
    AuditMain.Root root;

    @Mixin
    AuditMain.Common common = new AuditMain.Common();

    @Mixin
    Cli.Help help;

    @Option(names = "--stream", paramLabel = "ID", required = true, description = "The archived stream.")
    String stream;

    @Option(names = "--from", paramLabel = "DIR", required = true, description = "The archive directory.")
    Path dir;

    @Override
    public Integer call() {
      String schema = root.command("restore", common).schema;
      return run(root, schema, false, ds -> {
        long n = StreamArchiver.of(ds, schema, ArchiveSink.directory(dir)).restore(StreamId.parse(stream));
        root.out.printf(Locale.ROOT, "Restored %d events of %s%n", n, stream);
        return AuditMain.OK;
      });
    }
  }

  @CommandLine.Command(name = "verify-archives",
      description = {"Checks every archived stream's file in DIR against its tombstone: the file is there, has the "
          + "SHA-256 the tombstone recorded, and its events prove themselves up to the archived head. Exit 1 if not."})
  static final class VerifyArchives implements Callable<Integer> {
    @ParentCommand
    AuditMain.Root root;

    @Mixin
    AuditMain.Common common = new AuditMain.Common();

    @Mixin
    Cli.Help help;

    @Option(names = "--from", paramLabel = "DIR", required = true, description = "The archive directory.")
    Path dir;

    @Override
    public Integer call() {
      String schema = root.command("verify-archives", common).schema;
      return run(root, schema, false, ds -> {
        IntegrityVerifier.Report report = StreamArchiver.of(ds, schema, ArchiveSink.directory(dir)).verifyArchives();
        root.out.printf(Locale.ROOT, "Archives of schema %s: %,d streams, %,d events%n", schema,
            report.streamsChecked(), report.eventsChecked());
        for (IntegrityVerifier.Violation v : report.violations()) {
          root.out.printf(Locale.ROOT, "  stream %s, version %d: %s (%s)%n", v.stream(), v.version(), v.kind(),
              v.detail());
        }
        root.out.println(report.intact() ? "Verdict: OK" : "Verdict: PROBLEMS FOUND");
        return report.intact() ? AuditMain.OK : AuditMain.PROBLEMS;
      });
    }
  }
}
