package dev.annals.postgres;

import dev.annals.core.StreamId;
import dev.annals.postgres.internal.SqlErrors;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
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
 * last event (an event removed from the end).
 *
 * <p>An event's hash is SHA-256 of the previous hash (32 zero bytes for version 1), the digest of
 * its content, its version and its recorded-at time (see {@code chain_hash} in the schema). The
 * content digest is SHA-256 of {@code stream_id LF event_id LF type LF schema_version LF
 * payload LF metadata}, with payload and metadata in a canonical JSON form (sorted keys, no
 * spaces, exact numbers) that this verifier rebuilds from the stored {@code jsonb}.
 *
 * <p>Reads in one repeatable-read transaction with server-side cursors, so memory stays flat on
 * large logs and the result describes one consistent moment. Thread-safe.
 */
public final class IntegrityVerifier {

  private static final byte[] ZERO_HASH = new byte[32];
  private static final int FETCH = 2000;

  private final DataSource dataSource;
  private final String schema;

  IntegrityVerifier(DataSource dataSource, String schema) {
    this.dataSource = dataSource;
    this.schema = schema;
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
    MISSING_STREAM_ROW
  }

  /**
   * The first problem found in one stream.
   *
   * @param streamId the stream
   * @param version the version of the first bad event (the stream's version for head problems)
   * @param position its global position (0 when there is no event to point at)
   * @param kind what is wrong
   * @param detail a sentence for humans
   */
  public record Violation(StreamId streamId, long version, long position, Kind kind, String detail) {}

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
   * Verifies the hash chains in {@code scope}, calling {@code progress} every few thousand events
   * and at the end.
   *
   * @throws dev.annals.core.StoreUnavailableException if the database cannot be reached
   */
  public Report verify(Scope scope, Progress progress) {
    Objects.requireNonNull(scope, "scope must not be null");
    Objects.requireNonNull(progress, "progress must not be null");
    String where;
    String param;
    if (scope instanceof Scope.Category c) {
      where = " WHERE category = ?";
      param = c.category();
    } else if (scope instanceof Scope.Stream s) {
      where = " WHERE stream_id = ?";
      param = s.streamId().toString();
    } else {
      where = "";
      param = null;
    }
    try (Connection c = dataSource.getConnection()) {
      boolean autoCommit = c.getAutoCommit();
      c.setAutoCommit(false);
      c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
      c.setReadOnly(true);
      try {
        return run(c, where, param, progress);
      } finally {
        c.rollback();
        c.setReadOnly(false);
        c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
        c.setAutoCommit(autoCommit);
      }
    } catch (SQLException | RuntimeException e) {
      throw SqlErrors.translate("verify the hash chains", schema, e);
    }
  }

  private Report run(Connection c, String where, String param, Progress progress) throws SQLException {
    long total;
    try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM " + schema + ".streams" + where)) {
      bind(ps, param);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        total = rs.getLong(1);
      }
    }
    List<Violation> violations = new ArrayList<>();
    long streamsDone = 0;
    long eventsDone = 0;
    try (PreparedStatement streams = c.prepareStatement("SELECT stream_id, version, head_hash FROM "
            + schema + ".streams" + where + " ORDER BY stream_id COLLATE \"C\"");
        PreparedStatement events = c.prepareStatement("SELECT stream_id, version, position, "
            + "event_id::text, type, schema_version, payload::text, metadata::text, "
            + "recorded_at, hash FROM " + schema + ".events"
            + where + " ORDER BY stream_id COLLATE \"C\", version")) {
      streams.setFetchSize(FETCH);
      events.setFetchSize(FETCH);
      bind(streams, param);
      bind(events, param);
      try (ResultSet s = streams.executeQuery(); ResultSet e = events.executeQuery()) {
        boolean hasEvent = e.next();
        while (s.next()) {
          String streamId = s.getString(1);
          long streamVersion = s.getLong(2);
          byte[] headHash = s.getBytes(3);
          // Events of streams without a row sort before this one.
          while (hasEvent && e.getString(1).compareTo(streamId) < 0) {
            String orphan = e.getString(1);
            violations.add(new Violation(StreamId.parse(orphan), e.getLong(2), e.getLong(3),
                Kind.MISSING_STREAM_ROW, "events of stream " + orphan + " exist but its stream row does not"));
            while (hasEvent && e.getString(1).equals(orphan)) {
              hasEvent = e.next();
              eventsDone++;
            }
          }
          byte[] prev = ZERO_HASH;
          long expectedVersion = 1;
          long lastPosition = 0;
          Violation found = null;
          while (hasEvent && e.getString(1).equals(streamId)) {
            if (found == null) {
              long version = e.getLong(2);
              long position = e.getLong(3);
              byte[] stored = e.getBytes(10);
              if (version != expectedVersion) {
                found = new Violation(StreamId.parse(streamId), version, position, Kind.VERSION_GAP,
                    "expected version " + expectedVersion + " but found " + version + " (an event is missing)");
              } else {
                byte[] digest = ContentDigest.of(streamId, e.getString(4), e.getString(5),
                    e.getInt(6), e.getString(7), e.getString(8));
                byte[] computed = ContentDigest.link(prev, digest, version,
                    pgMicros(e.getObject(9, java.time.OffsetDateTime.class)));
                if (!Arrays.equals(computed, stored)) {
                  found = new Violation(StreamId.parse(streamId), version, position, Kind.HASH_MISMATCH,
                      "stored hash " + hex(stored) + " but the content and previous hash give "
                          + hex(computed) + ": this event or its link to the previous one was altered");
                }
              }
              prev = stored;
              expectedVersion = version + 1;
              lastPosition = position;
            }
            eventsDone++;
            if (eventsDone % FETCH == 0) {
              progress.update(streamsDone, total, eventsDone);
            }
            hasEvent = e.next();
          }
          if (found == null && (expectedVersion - 1 != streamVersion || !Arrays.equals(prev, headHash))) {
            found = new Violation(StreamId.parse(streamId), streamVersion, lastPosition,
                Kind.STREAM_HEAD_MISMATCH, "stream row says version " + streamVersion + " with head "
                    + hex(headHash) + " but its events end at version " + (expectedVersion - 1)
                    + " with hash " + hex(prev) + " (events removed or stream row altered)");
          }
          if (found != null) {
            violations.add(found);
          }
          streamsDone++;
        }
        while (hasEvent) {
          String orphan = e.getString(1);
          violations.add(new Violation(StreamId.parse(orphan), e.getLong(2), e.getLong(3),
              Kind.MISSING_STREAM_ROW, "events of stream " + orphan + " exist but its stream row does not"));
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

  /** Microseconds since 2000-01-01 UTC: PostgreSQL's own representation of a timestamptz. */
  private static long pgMicros(java.time.OffsetDateTime t) {
    java.time.Instant i = t.toInstant();
    return (i.getEpochSecond() - 946_684_800L) * 1_000_000L + i.getNano() / 1000;
  }

  private static String hex(byte[] bytes) {
    return bytes == null ? "null" : HexFormat.of().formatHex(bytes);
  }
}
