package dev.annals.postgres;

import dev.annals.core.StreamId;
import dev.annals.core.internal.Printable;
import dev.annals.postgres.IntegrityVerifier.Kind;
import dev.annals.postgres.IntegrityVerifier.Violation;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The checks of one stream, fed its events in version order and then its row; keeps the first
 * problem. Each column of both tables is either inside the hash chain or checked here against
 * what it is derived from: the category against the stream id, the position and transaction id
 * against the version order and the cluster, the stream row against the last event.
 */
final class StreamCheck {

  private static final byte[] ZERO_HASH = new byte[32];
  /** The one value of {@code streams.state} the store writes (its column default). */
  private static final String ACTIVE = "active";
  private static final String ARCHIVED = "archived";

  private final String streamId;
  /** The category the stream id gives; null when the stored id is not a valid stream id. */
  private final String category;
  private final long nextXid;
  private final long lastIssued;
  private byte[] prev = ZERO_HASH;
  private long expectedVersion = 1;
  private long lastPosition;
  private long lastXid;
  private boolean any;
  private Violation found;

  StreamCheck(String storedId, long nextXid, long lastIssued) {
    this.streamId = shown(storedId);
    this.category = categoryOf(storedId);
    this.nextXid = nextXid;
    this.lastIssued = lastIssued;
  }

  void event(ResultSet e) throws SQLException {
    if (found != null) {
      return;
    }
    long version = e.getLong(2);
    long position = e.getLong(3);
    byte[] stored = e.getBytes(10);
    String storedCategory = e.getString(11);
    long xid = Long.parseUnsignedLong(e.getString(12));
    if (category == null) {
      found = new Violation(streamId, version, position, Kind.INVALID_STREAM_ID, "the stored stream id is not "
          + "a valid stream id (the store never writes one): the event's stream id was altered");
    } else if (version != expectedVersion) {
      found = new Violation(streamId, version, position, Kind.VERSION_GAP,
          "expected version " + expectedVersion + " but found " + version + " (an event is missing)");
    } else if (!this.category.equals(storedCategory)) {
      found = new Violation(streamId, version, position, Kind.CATEGORY_MISMATCH, "stored category '"
          + shown(storedCategory) + "' but the stream id gives '" + this.category + "': the event was moved out of "
          + "its category, so readers of a category would miss it");
    } else if (Long.compareUnsigned(xid, nextXid) >= 0) {
      found = new Violation(streamId, version, position, Kind.LOG_ORDER_MISMATCH, "transaction id " + xid
          + " is ahead of this cluster's next transaction id " + nextXid + ": the event's place in the "
          + "log was altered (or the database was restored from another cluster; see docs/postgres.md)");
    } else if (position > lastIssued) {
      found = new Violation(streamId, version, position, Kind.LOG_ORDER_MISMATCH, "position " + position
          + " is beyond the last position the log handed out (" + lastIssued + "): the event's place in the "
          + "log was altered");
    } else if (any && (position <= lastPosition || Long.compareUnsigned(xid, lastXid) < 0)) {
      found = new Violation(streamId, version, position, Kind.LOG_ORDER_MISMATCH, "version " + version
          + " is at position " + position + " with transaction id " + xid + " but version " + (version - 1)
          + " is at position " + lastPosition + " with transaction id " + lastXid
          + ": the log order no longer follows the stream's versions, a position or transaction id was altered");
    } else {
      byte[] computed;
      try {
        byte[] digest = ContentDigest.of(e.getString(1), e.getString(4), e.getString(5),
            e.getInt(6), e.getString(7), e.getString(8));
        computed = ContentDigest.link(prev, digest, version, pgMicros(e.getObject(9, OffsetDateTime.class)));
      } catch (IllegalArgumentException unreadable) {
        // One altered event must not stop the check of the whole store: it is this stream's finding.
        computed = null;
        found = new Violation(streamId, version, position, Kind.HASH_MISMATCH, "its payload or metadata "
            + "cannot be put in canonical form (" + unreadable.getMessage() + "): this event was altered");
      }
      if (computed != null && !Arrays.equals(computed, stored)) {
        found = new Violation(streamId, version, position, Kind.HASH_MISMATCH,
            "stored hash " + hex(stored) + " but the content and previous hash give "
                + hex(computed) + ": this event or its link to the previous one was altered");
      }
    }
    prev = stored;
    expectedVersion = version + 1;
    lastPosition = position;
    lastXid = xid;
    any = true;
  }

  /** The first problem, or null. */
  Violation found() {
    return found;
  }

  /**
   * @param archivedVersion the tombstone's version, -1 when the stream has no tombstone
   * @param archivedHead the tombstone's head hash, null when it has none
   */
  void streamRow(long version, byte[] headHash, String rowCategory, String lastXidText, String state,
      long archivedVersion, byte[] archivedHead) {
    if (found != null) {
      return;
    }
    long eventsEnd = expectedVersion - 1;
    if (category != null && (ARCHIVED.equals(state) || archivedVersion >= 0)) {
      archived(version, headHash, rowCategory, state, archivedVersion, archivedHead);
    } else if (category == null) {
      found = new Violation(streamId, version, lastPosition, Kind.INVALID_STREAM_ID, "the stream row's id is "
          + "not a valid stream id (the store never writes one): the stream row was altered");
    } else if (!category.equals(rowCategory)) {
      found = new Violation(streamId, version, lastPosition, Kind.CATEGORY_MISMATCH, "stream row has category '"
          + shown(rowCategory) + "' but the stream id gives '" + category + "'");
    } else if (eventsEnd != version || !Arrays.equals(prev, headHash)) {
      found = new Violation(streamId, version, lastPosition,
          Kind.STREAM_HEAD_MISMATCH, "stream row says version " + version + " with head "
              + hex(headHash) + " but its events end at version " + eventsEnd
              + " with hash " + hex(prev) + " (events removed or stream row altered)");
    } else if (Long.parseUnsignedLong(lastXidText) != lastXid) {
      found = new Violation(streamId, version, lastPosition, Kind.STREAM_ROW_MISMATCH, "stream row says "
          + "its last writer was transaction " + lastXidText + " but its last event was written by transaction "
          + Long.toUnsignedString(lastXid) + ": the stream row was altered");
    } else if (!ACTIVE.equals(state)) {
      found = new Violation(streamId, version, lastPosition, Kind.STREAM_ROW_MISMATCH, "stream row has state '"
          + state + "' but the store only ever writes '" + ACTIVE + "': the stream row was altered");
    }
  }

  /** An archived stream (V10): no events, and a row and a tombstone that agree on the head. */
  private void archived(long version, byte[] headHash, String rowCategory, String state, long archivedVersion,
      byte[] archivedHead) {
    if (!category.equals(rowCategory)) {
      found = new Violation(streamId, version, lastPosition, Kind.CATEGORY_MISMATCH, "stream row has category '"
          + shown(rowCategory) + "' but the stream id gives '" + category + "'");
    } else if (!ARCHIVED.equals(state) || archivedVersion < 0) {
      found = new Violation(streamId, version, lastPosition, Kind.ARCHIVE_MISMATCH, ARCHIVED.equals(state)
          ? "stream row says archived but there is no tombstone: the tombstone was removed"
          : "stream has a tombstone but its row has state '" + shown(state) + "': the stream row was altered");
    } else if (any) {
      found = new Violation(streamId, expectedVersion - 1, lastPosition, Kind.ARCHIVE_MISMATCH,
          "stream is archived but events of it are in the log: they were added after it was archived");
    } else if (archivedVersion != version || !Arrays.equals(archivedHead, headHash)) {
      found = new Violation(streamId, version, 0, Kind.ARCHIVE_MISMATCH, "stream row says version " + version
          + " with head " + hex(headHash) + " but its tombstone says version " + archivedVersion + " with head "
          + hex(archivedHead) + ": the tombstone or the stream row was altered");
    }
  }

  private static String categoryOf(String storedId) {
    try {
      return StreamId.parse(storedId).category();
    } catch (IllegalArgumentException notAStreamId) {
      return null;
    }
  }

  /**
   * A stored text as it may be shown: unchanged when the store could have written it, else cut
   * short with control characters escaped, since a crafted value must not reach a terminal whole.
   */
  static String shown(String stored) {
    if (stored == null) {
      return "null";
    }
    if (categoryOf(stored) != null || stored.matches("[A-Za-z][A-Za-z0-9_]{0,49}")) {
      return stored;
    }
    return Printable.cut(stored, 60);
  }

  /** Microseconds since 2000-01-01 UTC: PostgreSQL's own representation of a timestamptz. */
  private static long pgMicros(OffsetDateTime t) {
    Instant i = t.toInstant();
    return (i.getEpochSecond() - 946_684_800L) * 1_000_000L + i.getNano() / 1000;
  }

  private static String hex(byte[] bytes) {
    return bytes == null ? "null" : HexFormat.of().formatHex(bytes);
  }
}
