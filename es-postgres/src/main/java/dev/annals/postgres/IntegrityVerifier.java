package dev.annals.postgres;

import dev.annals.core.StreamId;
import dev.annals.postgres.internal.SqlErrors;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Proves the stored log was not altered. Every event stores a SHA-256 hash over its own canonical
 * content and the previous event's hash in its stream; the stream row keeps the last hash. This
 * verifier recomputes each chain in Java from the stored content, independently of the database
 * function that wrote it, and reports, per stream, the first event whose hash does not match (its
 * content or its link was changed), a gap in versions, or a stream row that disagrees with its
 * last event (an event removed from the end). The columns outside the chain are checked against
 * what they derive from: each category against the stream id, each event's position and
 * transaction id against its stream's version order and the cluster's transaction counter, the
 * stream row's last writer and state against its events. Every finding names stream and version.
 *
 * <p>An event's hash is SHA-256 of the previous hash (32 zero bytes for version 1), the digest of
 * its content, its version and its recorded-at time (see {@code chain_hash} in the schema). The
 * content digest is SHA-256 of {@code stream_id LF event_id LF type LF schema_version LF
 * payload LF metadata}, with payload and metadata in a canonical JSON form (sorted keys, no
 * spaces, exact numbers) that this verifier rebuilds from the stored {@code jsonb}.
 *
 * <p>Whoever can write the tables can rewrite a stream's tail and its stream row together, which
 * the chains cannot tell from the truth; an {@link Anchor} kept elsewhere can ({@link #anchor()},
 * {@link #compare}).
 *
 * <p>Reads in one repeatable-read transaction with server-side cursors, so memory stays flat on
 * large logs and the result describes one consistent moment. Thread-safe.
 */
public final class IntegrityVerifier {

  private static final int FETCH = 2000;

  private final DataSource dataSource;
  private final String schema;

  IntegrityVerifier(DataSource dataSource, String schema) {
    this.dataSource = dataSource;
    this.schema = schema;
  }

  /**
   * A verifier of the event store in {@code schema}, reading through {@code dataSource}. Unlike
   * {@link PostgresEventStore#integrityVerifier()} it needs no store that opens: it also verifies
   * a store that refuses to start (because of transaction ids ahead of the cluster, for example).
   *
   * @throws IllegalArgumentException if {@code schema} is not a valid schema name
   */
  public static IntegrityVerifier of(DataSource dataSource, String schema) {
    Objects.requireNonNull(dataSource, "dataSource must not be null");
    return new IntegrityVerifier(dataSource, PostgresSchema.checkName(schema));
  }

  /** Which streams to verify. */
  public sealed interface Scope {
    /** Every stream. */
    static Scope all() {
      return new All();
    }

    /** The streams of one category. */
    static Scope category(String category) {
      StreamId.of(category, "x");
      return new Category(category);
    }

    /** One stream. */
    static Scope stream(StreamId streamId) {
      return new Stream(Objects.requireNonNull(streamId, "streamId"));
    }

    /** Every stream. */
    record All() implements Scope {}

    /** @param category the category */
    record Category(String category) implements Scope {}

    /** @param streamId the stream */
    record Stream(StreamId streamId) implements Scope {}
  }

  /** Receives progress during a verification, on the verifying thread. */
  @FunctionalInterface
  public interface Progress {
    /**
     * @param streamsDone streams verified so far
     * @param streamsTotal streams in scope
     * @param eventsDone events verified so far
     */
    void update(long streamsDone, long streamsTotal, long eventsDone);
  }

  /** What a verification found. */
  public enum Kind {
    /** The recomputed hash differs: the event's content or its link to the previous was changed. */
    HASH_MISMATCH,
    /** Versions are not 1, 2, 3, ... without gaps. */
    VERSION_GAP,
    /** The stream row's version or head hash disagrees with its last event. */
    STREAM_HEAD_MISMATCH,
    /** Events exist for a stream that has no stream row. */
    MISSING_STREAM_ROW,
    /** An event's or the stream row's category is not the one its stream id gives. */
    CATEGORY_MISMATCH,
    /**
     * An event's place in the log was altered: its position or transaction id does not follow its
     * stream's version order, or its transaction id is ahead of the cluster's.
     */
    LOG_ORDER_MISMATCH,
    /** The stream row's last writer's transaction id or its state disagrees with its events. */
    STREAM_ROW_MISMATCH,
    /** A stored stream id is not one the store could have written: it was altered. */
    INVALID_STREAM_ID,
    /** An anchored head (stream and version) has no event any more: events were removed. */
    ANCHORED_HEAD_MISSING,
    /** The event at an anchored head has another hash than the anchor recorded: history was rewritten. */
    ANCHORED_HEAD_MISMATCH,
    /**
     * An archived stream's tombstone disagrees with its stream row, events remain of it, or its
     * archive file is missing or altered ({@link dev.annals.postgres.archive.StreamArchiver#verifyArchives}).
     */
    ARCHIVE_MISMATCH
  }

  /**
   * The first problem found in one stream.
   *
   * @param stream the stream id as stored (cut short and escaped if it is not a valid stream id)
   * @param version the version of the first bad event (the stream's version for head problems)
   * @param position its global position (0 when there is no event to point at)
   * @param kind what is wrong
   * @param detail a sentence for humans
   */
  public record Violation(String stream, long version, long position, Kind kind, String detail) {}

  /**
   * The outcome.
   *
   * @param streamsChecked streams verified
   * @param eventsChecked events verified
   * @param violations the first problem of each bad stream, in stream order
   */
  public record Report(long streamsChecked, long eventsChecked, List<Violation> violations) {
    public Report {
      violations = List.copyOf(violations);
    }

    /** Whether nothing was found. */
    public boolean intact() {
      return violations.isEmpty();
    }

    /** The first violation, if any. */
    public Optional<Violation> first() {
      return violations.stream().findFirst();
    }
  }

  /** Verifies without progress output. */
  public Report verify(Scope scope) {
    return verify(scope, (a, b, c) -> {});
  }

  /**
   * Verifies the hash chains in {@code scope}, and the columns outside them, calling {@code
   * progress} every few thousand events and at the end. A category scope selects streams by
   * their stream id, so rows whose category column was changed are still verified (and
   * reported) in their own category.
   *
   * @throws dev.annals.core.StoreUnavailableException if the database cannot be reached
   */
  public Report verify(Scope scope, Progress progress) {
    Objects.requireNonNull(scope, "scope must not be null");
    Objects.requireNonNull(progress, "progress must not be null");
    String where;
    String param;
    if (scope instanceof Scope.Category c) {
      // By the stream id rather than the category column, so that a row moved to another
      // category is still found (and reported) in its own.
      where = " WHERE starts_with(stream_id, ?)";
      param = c.category() + "-";
    } else if (scope instanceof Scope.Stream s) {
      where = " WHERE stream_id = ?";
      param = s.streamId().toString();
    } else {
      where = "";
      param = null;
    }
    return inSnapshot("verify the hash chains", c -> run(c, where, param, progress));
  }

  /**
   * Takes an anchor: the log position and every stream's head, at one consistent moment. Keep it
   * outside the database (and sign it) so that a later {@link #compare} can tell whether events
   * that existed then were removed or rewritten since, which the hash chains alone cannot tell
   * when a whole tail and the stream row were rewritten together.
   *
   * @throws dev.annals.core.StoreUnavailableException if the database cannot be reached
   * @throws AnchorException naming the row if a stream row has an invalid stream id, version or head
   *     hash (the store never writes one; {@link #verify} reports it)
   */
  public Anchor anchor() {
    return inSnapshot("take an anchor", c -> AnchorReads.take(c, schema));
  }

  /**
   * Compares {@code anchor} with the store: reports each anchored stream whose event at the
   * anchored version is missing ({@link Kind#ANCHORED_HEAD_MISSING}) or has another hash ({@link
   * Kind#ANCHORED_HEAD_MISMATCH}). A stream that grew since is fine as long as its event at the
   * anchored version still has the anchored hash; run {@link #verify} as well, which proves the
   * chain from there to the stream's current head. Streams created after the anchor are not
   * looked at. In the report, {@code streamsChecked} counts the anchored streams and {@code
   * eventsChecked} the anchored events found.
   *
   * @throws dev.annals.core.StoreUnavailableException if the database cannot be reached
   */
  public Report compare(Anchor anchor) {
    Objects.requireNonNull(anchor, "anchor must not be null");
    return inSnapshot("compare with an anchor", c -> AnchorReads.compare(c, schema, anchor));
  }

  @FunctionalInterface
  private interface InSnapshot<R> {
    R run(Connection c) throws SQLException;
  }

  /** Runs {@code work} in one read-only repeatable-read transaction: one consistent moment. */
  private <R> R inSnapshot(String operation, InSnapshot<R> work) {
    try (Connection c = dataSource.getConnection()) {
      boolean autoCommit = c.getAutoCommit();
      c.setAutoCommit(false);
      c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
      c.setReadOnly(true);
      try {
        return work.run(c);
      } finally {
        c.rollback();
        c.setReadOnly(false);
        c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
        c.setAutoCommit(autoCommit);
      }
    } catch (SQLException | RuntimeException e) {
      throw SqlErrors.translate(operation, schema, e);
    }
  }

  private Report run(Connection c, String where, String param, Progress progress) throws SQLException {
    long total;
    long nextXid;
    long lastIssued;
    // The first statement takes the snapshot: every committed event's transaction id is below
    // its xmax, so an id at or above it was written into the row, not by a transaction. Likewise
    // no position beyond the identity sequence's last value was ever handed out (read only where
    // the sequence may be read; never used, or not readable: not checked).
    try (PreparedStatement ps = c.prepareStatement("SELECT (SELECT count(*) FROM " + schema + ".streams" + where
        + "), pg_snapshot_xmax(pg_current_snapshot())::text, CASE WHEN has_sequence_privilege(q.seq, 'SELECT') "
        + "OR has_sequence_privilege(q.seq, 'USAGE') THEN pg_sequence_last_value(q.seq) END "
        + "FROM (SELECT pg_get_serial_sequence(?, 'position')::regclass AS seq) q")) {
      bind(ps, param);
      ps.setString(param == null ? 1 : 2, schema + ".events");
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        total = rs.getLong(1);
        nextXid = Long.parseUnsignedLong(rs.getString(2));
        long issued = rs.getLong(3);
        lastIssued = rs.wasNull() ? Long.MAX_VALUE : issued;
      }
    }
    List<Violation> violations = new ArrayList<>();
    long streamsDone = 0;
    long eventsDone = 0;
    // The tombstone of an archived stream (V10) comes along: its row and its tombstone must agree.
    try (PreparedStatement streams = c.prepareStatement("SELECT stream_id, s.version, s.head_hash, s.category, "
            + "s.last_xid::text, s.state, a.version, a.head_hash FROM " + schema + ".streams s LEFT JOIN " + schema
            + ".archived_streams a USING (stream_id)" + where + " ORDER BY stream_id COLLATE \"C\"");
        PreparedStatement events = c.prepareStatement("SELECT stream_id, version, position, "
            + "event_id::text, type, schema_version, payload::text, metadata::text, "
            + "recorded_at, hash, category, transaction_id::text FROM " + schema + ".events"
            + where + " ORDER BY stream_id COLLATE \"C\", version")) {
      streams.setFetchSize(FETCH);
      events.setFetchSize(FETCH);
      bind(streams, param);
      bind(events, param);
      try (ResultSet s = streams.executeQuery(); ResultSet e = events.executeQuery()) {
        boolean hasEvent = e.next();
        while (s.next()) {
          String streamId = s.getString(1);
          // Events of streams without a row sort before this one.
          while (hasEvent && e.getString(1).compareTo(streamId) < 0) {
            String orphan = e.getString(1);
            violations.add(new Violation(StreamCheck.shown(orphan), e.getLong(2), e.getLong(3),
                Kind.MISSING_STREAM_ROW, "events of this stream exist but its stream row does not"));
            while (hasEvent && e.getString(1).equals(orphan)) {
              hasEvent = e.next();
              eventsDone++;
            }
          }
          StreamCheck check = new StreamCheck(streamId, nextXid, lastIssued);
          while (hasEvent && e.getString(1).equals(streamId)) {
            check.event(e);
            eventsDone++;
            if (eventsDone % FETCH == 0) {
              progress.update(streamsDone, total, eventsDone);
            }
            hasEvent = e.next();
          }
          long archivedVersion = s.getLong(7);
          if (s.wasNull()) {
            archivedVersion = -1;
          }
          check.streamRow(s.getLong(2), s.getBytes(3), s.getString(4), s.getString(5), s.getString(6),
              archivedVersion, s.getBytes(8));
          if (check.found() != null) {
            violations.add(check.found());
          }
          streamsDone++;
        }
        while (hasEvent) {
          String orphan = e.getString(1);
          violations.add(new Violation(StreamCheck.shown(orphan), e.getLong(2), e.getLong(3),
              Kind.MISSING_STREAM_ROW, "events of this stream exist but its stream row does not"));
          while (hasEvent && e.getString(1).equals(orphan)) {
            hasEvent = e.next();
            eventsDone++;
          }
        }
      }
    }
    progress.update(streamsDone, total, eventsDone);
    return new Report(streamsDone, eventsDone, violations);
  }

  private static void bind(PreparedStatement ps, String param) throws SQLException {
    if (param != null) {
      ps.setString(1, param);
    }
  }
}
