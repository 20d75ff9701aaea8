package dev.annals.postgres.archive;

import dev.annals.core.StreamId;
import dev.annals.postgres.IntegrityVerifier.Kind;
import dev.annals.postgres.IntegrityVerifier.Report;
import dev.annals.postgres.IntegrityVerifier.Violation;
import dev.annals.postgres.PostgresSchema;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Archives streams out of the events table and restores them (docs/archiving.md).
 *
 * <p>{@link #archive} writes a stream's events to the sink as CloudEvents JSON lines, one file
 * per stream, each event with its link hash, then calls the schema's {@code archive_stream}
 * function, which records the head and the file's digest in a tombstone and removes the events,
 * in one transaction. The data source must connect as the owner of the event store's tables (the
 * role that installed the schema): the application role may neither run that function nor
 * delete events. If the stream changed after it was written out, nothing is removed and the file
 * stays in the sink, unreferenced.
 *
 * <p>Afterwards the store refuses appends to the stream and its loads with {@link
 * StreamArchivedException}, which names the file; {@link #restore} puts the events back, with
 * their versions, ids, times and link hashes (not their positions).
 *
 * <p>Thread-safe.
 */
public final class StreamArchiver {

  private static final HexFormat HEX = HexFormat.of();

  private final DataSource dataSource;
  private final String schema;
  private final ArchiveSink sink;

  private StreamArchiver(DataSource dataSource, String schema, ArchiveSink sink) {
    this.dataSource = dataSource;
    this.schema = schema;
    this.sink = sink;
  }

  /**
   * An archiver of the event store in {@code schema}, writing to {@code sink}.
   *
   * @param ownerDataSource connections as the owner of the event store's tables
   * @throws IllegalArgumentException if {@code schema} is not a valid schema name
   */
  public static StreamArchiver of(DataSource ownerDataSource, String schema, ArchiveSink sink) {
    Objects.requireNonNull(ownerDataSource, "ownerDataSource must not be null");
    Objects.requireNonNull(sink, "sink must not be null");
    return new StreamArchiver(ownerDataSource, PostgresSchema.checkName(schema), sink);
  }

  /**
   * Archives one stream: writes it out, then removes its events and snapshots and leaves a tombstone.
   *
   * @return the tombstone
   * @throws ArchiveException if the stream does not exist, is archived already, its stored events
   *     do not prove themselves (run the integrity verifier), it changed while being written out,
   *     or the sink failed; nothing was removed
   * @throws dev.annals.core.StoreUnavailableException if the database cannot be reached
   */
  public ArchivedStream archive(StreamId streamId) {
    Objects.requireNonNull(streamId, "streamId must not be null");
    List<EventLine> lines = run("read stream " + streamId + " to archive it", c -> read(c, streamId));
    if (lines.isEmpty()) {
      Optional<ArchivedStream> archived = find(streamId);
      throw new ArchiveException(archived.isPresent()
          ? "stream " + streamId + " is archived already, in " + archived.get().location()
          : "stream " + streamId + " has no events to archive");
    }
    byte[] head = Chains.verify(lines, "stream " + streamId + " in schema " + schema);
    byte[] file = toBytes(lines);
    byte[] digest = sha256(file);
    EventLine last = lines.get(lines.size() - 1);
    String location;
    try {
      location = sink.put(key(streamId, last.version(), digest), file);
    } catch (IOException e) {
      throw new ArchiveException("cannot write the archive of stream " + streamId + " to " + sink + ": " + e, e);
    }
    return run("archive stream " + streamId, c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT " + schema + ".archive_stream(?, ?, ?, ?, ?)")) {
        ps.setString(1, streamId.toString());
        ps.setLong(2, last.version());
        ps.setBytes(3, head);
        ps.setBytes(4, digest);
        ps.setString(5, location);
        ps.execute();
      }
      return tombstone(c, streamId).orElseThrow();
    });
  }

  /**
   * Archives every stream of {@code category} whose last event was recorded before {@code
   * closedBefore}, one stream (and one transaction) at a time.
   *
   * @return the tombstones written, in stream order
   * @throws ArchiveException as {@link #archive}; the streams archived before it stay archived
   */
  public List<ArchivedStream> archiveCategory(String category, Instant closedBefore) {
    StreamId.of(category, "x");
    Objects.requireNonNull(closedBefore, "closedBefore must not be null");
    List<StreamId> streams = run("find the streams of " + category + " closed before " + closedBefore, c -> {
      // The last event's time, by the (stream_id, version) index: times never go back within a stream.
      try (PreparedStatement ps = c.prepareStatement("SELECT s.stream_id FROM " + schema + ".streams s "
          + "WHERE starts_with(s.stream_id, ?) AND s.state = 'active' AND (SELECT e.recorded_at FROM " + schema
          + ".events e WHERE e.stream_id = s.stream_id ORDER BY e.version DESC LIMIT 1) < ? "
          + "ORDER BY s.stream_id COLLATE \"C\"")) {
        ps.setString(1, category + "-");
        ps.setObject(2, OffsetDateTime.ofInstant(closedBefore, java.time.ZoneOffset.UTC));
        List<StreamId> ids = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            ids.add(StreamId.parse(rs.getString(1)));
          }
        }
        return ids;
      }
    });
    List<ArchivedStream> archived = new ArrayList<>();
    for (StreamId id : streams) {
      archived.add(archive(id));
    }
    return archived;
  }

  /** The tombstone of {@code streamId}, if it is archived. */
  public Optional<ArchivedStream> find(StreamId streamId) {
    Objects.requireNonNull(streamId, "streamId must not be null");
    return run("look for the archive of stream " + streamId, c -> tombstone(c, streamId));
  }

  /** Every tombstone, in stream order. */
  public List<ArchivedStream> list() {
    return run("list the archived streams", c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT " + TOMBSTONE + " FROM " + schema
          + ".archived_streams ORDER BY stream_id COLLATE \"C\"")) {
        List<ArchivedStream> all = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            all.add(tombstone(rs));
          }
        }
        return all;
      }
    });
  }

  /**
   * Puts an archived stream's events back from its archive file, exactly as they were (versions,
   * ids, recorded-at times, link hashes; new positions), and removes the tombstone. The file must
   * have the digest the tombstone recorded and its chain must end at the archived head. Readers
   * of the log see the events again at their new positions.
   *
   * @return the number of events restored
   * @throws ArchiveException if the stream is not archived, or the file is missing, altered or
   *     does not end at the archived head; nothing was changed
   */
  public long restore(StreamId streamId) {
    ArchivedStream tombstone = find(streamId).orElseThrow(() ->
        new ArchiveException("stream " + streamId + " is not archived in schema " + schema));
    List<EventLine> lines = readArchive(tombstone);
    return run("restore stream " + streamId, c -> Restore.call(c, schema, streamId.toString(), lines));
  }

  /**
   * Checks every archive file against its tombstone: the file is there, has the digest the
   * tombstone recorded, and its events prove themselves and end at the archived head. The
   * integrity verifier checks the tombstones against the stream rows; this checks the files.
   *
   * @return one {@link Kind#ARCHIVE_MISMATCH} violation per archived stream whose file fails
   */
  public Report verifyArchives() {
    List<ArchivedStream> all = list();
    List<Violation> violations = new ArrayList<>();
    long events = 0;
    for (ArchivedStream a : all) {
      try {
        events += readArchive(a).size();
      } catch (ArchiveException e) {
        violations.add(new Violation(a.streamId().toString(), a.version(), 0, Kind.ARCHIVE_MISMATCH, e.getMessage()));
      }
    }
    return new Report(all.size(), events, violations);
  }

  /** The lines of an archive file, checked against its tombstone. */
  private List<EventLine> readArchive(ArchivedStream a) {
    byte[] file;
    try (InputStream in = sink.open(a.location())) {
      file = in.readAllBytes();
    } catch (NoSuchFileException e) {
      throw new ArchiveException("the archive of stream " + a.streamId() + " is missing: " + a.location());
    } catch (IOException e) {
      throw new ArchiveException("cannot read the archive of stream " + a.streamId() + " at " + a.location()
          + ": " + e, e);
    }
    String digest = HEX.formatHex(sha256(file));
    if (!digest.equals(a.fileDigest())) {
      throw new ArchiveException("the archive file " + a.location() + " has SHA-256 " + digest
          + " but the tombstone of stream " + a.streamId() + " recorded " + a.fileDigest() + ": the file was altered");
    }
    List<EventLine> lines = new ArrayList<>();
    String[] text = new String(file, StandardCharsets.UTF_8).split("\n");
    for (int i = 0; i < text.length; i++) {
      EventLine line = EventLine.parse(text[i], a.location() + " line " + (i + 1));
      if (!line.streamId().equals(a.streamId().toString())) {
        throw new ArchiveException(a.location() + " line " + (i + 1) + ": an event of another stream");
      }
      lines.add(line);
    }
    byte[] head = Chains.verify(lines, a.location());
    if (lines.size() != a.version() || !HEX.formatHex(head).equals(a.headHash())) {
      throw new ArchiveException("the archive file " + a.location() + " ends at version " + lines.size()
          + " with head " + HEX.formatHex(head) + " but the tombstone of stream " + a.streamId()
          + " recorded version " + a.version() + " with head " + a.headHash());
    }
    return lines;
  }

  private List<EventLine> read(Connection c, StreamId streamId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT " + EventLine.COLUMNS + " FROM " + schema
        + ".events WHERE stream_id = ? ORDER BY version")) {
      ps.setString(1, streamId.toString());
      List<EventLine> lines = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          lines.add(EventLine.of(rs));
        }
      }
      return lines;
    }
  }

  private byte[] toBytes(List<EventLine> lines) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    String source = "annals:" + schema;
    for (EventLine line : lines) {
      out.writeBytes(line.toJson(source).getBytes(StandardCharsets.UTF_8));
      out.write('\n');
    }
    return out.toByteArray();
  }

  /**
   * The file name: the stream id (with {@code :} and {@code @} escaped), its version and the start
   * of the file's digest ({@code account-1001.v12.3f9a0c1d2b4e.jsonl}), so that archiving a
   * restored stream again (its positions are new) never meets the earlier file.
   */
  static String key(StreamId streamId, long version, byte[] digest) {
    return streamId.toString().replace("%", "%25").replace(":", "%3A").replace("@", "%40")
        + ".v" + version + "." + HEX.formatHex(digest, 0, 6) + ".jsonl";
  }

  private static final String TOMBSTONE = "stream_id, version, head_hash, file_digest, location, archived_at, "
      + "archived_by";

  private Optional<ArchivedStream> tombstone(Connection c, StreamId streamId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT " + TOMBSTONE + " FROM " + schema
        + ".archived_streams WHERE stream_id = ?")) {
      ps.setString(1, streamId.toString());
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(tombstone(rs)) : Optional.empty();
      }
    }
  }

  private static ArchivedStream tombstone(ResultSet rs) throws SQLException {
    Timestamp at = rs.getTimestamp(6);
    return new ArchivedStream(StreamId.parse(rs.getString(1)), rs.getLong(2), HEX.formatHex(rs.getBytes(3)),
        HEX.formatHex(rs.getBytes(4)), rs.getString(5), at.toInstant(), rs.getString(7));
  }

  static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }

  @FunctionalInterface
  interface Work<R> {
    R run(Connection c) throws SQLException;
  }

  /** Runs {@code work} in one transaction, translating failures. */
  private <R> R run(String operation, Work<R> work) {
    return Restore.inTransaction(dataSource, schema, operation, work);
  }
}
