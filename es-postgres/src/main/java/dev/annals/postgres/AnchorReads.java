package dev.annals.postgres;

import dev.annals.core.StreamId;
import dev.annals.postgres.IntegrityVerifier.Kind;
import dev.annals.postgres.IntegrityVerifier.Report;
import dev.annals.postgres.IntegrityVerifier.Violation;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/** The queries behind {@link IntegrityVerifier#anchor()} and {@link IntegrityVerifier#compare}, inside its snapshot. */
final class AnchorReads {

  private static final int FETCH = 2000;
  /** Anchored heads looked up per statement. */
  private static final int BATCH = 1000;

  private AnchorReads() {}

  static Anchor take(Connection c, String schema) throws SQLException {
    long position;
    OffsetDateTime takenAt;
    try (PreparedStatement ps = c.prepareStatement("SELECT coalesce(max(position), 0), now() FROM " + schema + ".events");
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      position = rs.getLong(1);
      takenAt = rs.getObject(2, OffsetDateTime.class);
    }
    List<Anchor.Head> heads = new ArrayList<>();
    // The stream rows' heads: verify() proves each equals the stream's last event.
    try (PreparedStatement ps = c.prepareStatement("SELECT stream_id, version, head_hash FROM " + schema
        + ".streams ORDER BY stream_id COLLATE \"C\"")) {
      ps.setFetchSize(FETCH);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          heads.add(head(rs.getString(1), rs.getLong(2), rs.getBytes(3)));
        }
      }
    }
    return Anchor.of(schema, position, takenAt.toInstant(), heads);
  }

  /** A stream row as a head; a row the store never writes is refused by name, not crashed on. */
  private static Anchor.Head head(String storedId, long version, byte[] headHash) {
    StreamId streamId;
    try {
      streamId = StreamId.parse(storedId);
    } catch (IllegalArgumentException e) {
      throw invalidRow(storedId, "its id is not a valid stream id");
    }
    if (headHash == null || headHash.length != 32) {
      throw invalidRow(storedId, "its head hash is " + (headHash == null ? "null" : headHash.length + " bytes")
          + ", not 32 bytes");
    }
    try {
      return new Anchor.Head(streamId, version, HexFormat.of().formatHex(headHash));
    } catch (IllegalArgumentException e) {
      throw invalidRow(storedId, e.getMessage());
    }
  }

  private static AnchorException invalidRow(String storedId, String problem) {
    return new AnchorException("cannot anchor: the stream row '" + StreamCheck.shown(storedId) + "' is not valid ("
        + problem + "); the store was altered, run verify");
  }

  static Report compare(Connection c, String schema, Anchor anchor) throws SQLException {
    List<Violation> violations = new ArrayList<>();
    long found = 0;
    List<Anchor.Head> heads = anchor.heads();
    // An archived stream's head is in its tombstone (V10): an anchor at that head still holds.
    try (PreparedStatement ps = c.prepareStatement("SELECT coalesce(e.position, 0), coalesce(e.hash, t.head_hash) "
        + "FROM unnest(?::text[], ?::bigint[]) WITH ORDINALITY AS a(stream_id, version, i) LEFT JOIN " + schema
        + ".events e ON e.stream_id = a.stream_id AND e.version = a.version LEFT JOIN " + schema
        + ".archived_streams t ON t.stream_id = a.stream_id AND t.version = a.version ORDER BY a.i")) {
      for (int from = 0; from < heads.size(); from += BATCH) {
        List<Anchor.Head> batch = heads.subList(from, Math.min(heads.size(), from + BATCH));
        String[] streams = new String[batch.size()];
        Long[] versions = new Long[batch.size()];
        for (int i = 0; i < batch.size(); i++) {
          streams[i] = batch.get(i).streamId().toString();
          versions[i] = batch.get(i).version();
        }
        Array streamArray = c.createArrayOf("text", streams);
        Array versionArray = c.createArrayOf("bigint", versions);
        ps.setArray(1, streamArray);
        ps.setArray(2, versionArray);
        try (ResultSet rs = ps.executeQuery()) {
          for (Anchor.Head head : batch) {
            rs.next();
            byte[] hash = rs.getBytes(2);
            if (hash == null) {
              violations.add(new Violation(head.streamId().toString(), head.version(), 0, Kind.ANCHORED_HEAD_MISSING,
                  "the anchor of " + anchor.takenAt() + " (log position " + anchor.logPosition() + ") has version "
                      + head.version() + " with hash " + head.hash() + ", but the store has no event at that "
                      + "version: events were removed"));
            } else {
              found++;
              String stored = HexFormat.of().formatHex(hash);
              if (!stored.equals(head.hash())) {
                violations.add(new Violation(head.streamId().toString(), head.version(), rs.getLong(1),
                    Kind.ANCHORED_HEAD_MISMATCH, "the anchor of " + anchor.takenAt() + " (log position "
                        + anchor.logPosition() + ") has hash " + head.hash() + " at this version, the store has "
                        + stored + ": the stream's history up to here was rewritten"));
              }
            }
          }
        }
        streamArray.free();
        versionArray.free();
      }
    }
    return new Report(heads.size(), found, violations);
  }
}
