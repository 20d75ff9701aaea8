package dev.annals.postgres.archive;

import dev.annals.postgres.internal.EventDigest;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/** Recomputes hash chains from archived lines, as the integrity verifier does from stored rows. */
final class Chains {

  private Chains() {}

  /**
   * Checks that {@code lines}, one stream's events in order, are that stream's versions 1 to n,
   * each with the link hash its content and its predecessor give.
   *
   * @param where the file, for messages
   * @return the last link hash (the stream's head)
   * @throws ArchiveException naming the stream and version that does not prove itself
   */
  static byte[] verify(List<EventLine> lines, String where) {
    byte[] previous = null;
    long expected = 1;
    for (EventLine line : lines) {
      if (line.version() != expected) {
        throw new ArchiveException(where + ": stream " + line.streamId() + " has version " + line.version()
            + " where version " + expected + " belongs: "
            + (expected == 1 ? "a stream must be complete from its first event" : "an event is missing"));
      }
      byte[] computed = link(previous, line);
      if (!Arrays.equals(computed, line.hash())) {
        throw new ArchiveException(where + ": stream " + line.streamId() + " version " + line.version()
            + " has link hash " + HexFormat.of().formatHex(line.hash()) + " but its content and the previous "
            + "link give " + HexFormat.of().formatHex(computed) + ": the event was altered");
      }
      previous = computed;
      expected++;
    }
    return previous;
  }

  private static byte[] link(byte[] previous, EventLine line) {
    byte[] digest;
    try {
      digest = EventDigest.of(line.streamId(), line.eventId().toString(), line.type(), line.schemaVersion(),
          line.payload(), line.metadata());
    } catch (IllegalArgumentException e) {
      throw new ArchiveException("stream " + line.streamId() + " version " + line.version() + ": " + e.getMessage());
    }
    return EventDigest.link(previous, digest, line.version(), pgMicros(line.recordedAt()));
  }

  /** Microseconds since 2000-01-01 UTC: PostgreSQL's own representation of a timestamptz. */
  static long pgMicros(Instant i) {
    return (i.getEpochSecond() - 946_684_800L) * 1_000_000L + i.getNano() / 1000;
  }
}
