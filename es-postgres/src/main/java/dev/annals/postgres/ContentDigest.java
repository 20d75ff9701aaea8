package dev.annals.postgres;

import dev.annals.postgres.internal.EventDigest;

/**
 * The digest of one event's content, the part of its hash-chain link that the client computes;
 * see {@link EventDigest}, which the archive package shares. Thread-safe.
 */
final class ContentDigest {

  private ContentDigest() {}

  static byte[] of(String streamId, String eventId, String type, int schemaVersion, String payload,
      String metadata) {
    return EventDigest.of(streamId, eventId, type, schemaVersion, payload, metadata);
  }

  /** The link: SHA-256 of previous hash, digest, version and recorded-at, as the database computes it. */
  static byte[] link(byte[] previous, byte[] digest, long version, long recordedAtPgMicros) {
    return EventDigest.link(previous, digest, version, recordedAtPgMicros);
  }

  static String canonical(String json) {
    return EventDigest.canonical(json);
  }
}
