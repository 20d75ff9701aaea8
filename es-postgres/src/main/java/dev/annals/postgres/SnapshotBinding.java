package dev.annals.postgres;

import dev.annals.core.StreamId;
import java.util.Arrays;
import java.util.Optional;

/**
 * The checks a stored snapshot must pass before a load may start from it: its link hash is the
 * link of the stream's event at its version, and, with a signing key, its signature is that key's.
 * Shared by {@link PostgresSnapshotStore} and {@link SnapshotVerifier}.
 */
final class SnapshotBinding {

  /** Why a snapshot is refused. */
  record Rejection(SnapshotVerifier.Kind kind, String reason) {}

  private SnapshotBinding() {}

  /**
   * @param link the snapshot row's link hash
   * @param chainLink the hash of the stream's event at the snapshot's version, null if it has none
   */
  static Optional<Rejection> check(StreamId streamId, long version, int schemaVersion, String state,
      byte[] link, byte[] signature, byte[] chainLink, Optional<SnapshotSigning> signing) {
    if (chainLink == null) {
      return Optional.of(new Rejection(SnapshotVerifier.Kind.LINK_MISMATCH, "the stream has no event at "
          + "version " + version + ", so the snapshot belongs to no history of it"));
    }
    if (!Arrays.equals(link, chainLink)) {
      return Optional.of(new Rejection(SnapshotVerifier.Kind.LINK_MISMATCH, "its link hash does not match "
          + "the stream's hash chain at that version (it was taken from another history, or written by hand)"));
    }
    if (signing.isPresent()) {
      if (signature == null) {
        return Optional.of(new Rejection(SnapshotVerifier.Kind.BAD_SIGNATURE,
            "it carries no signature, and this store signs its snapshots"));
      }
      String canonical;
      try {
        canonical = ContentDigest.canonical(state);
      } catch (IllegalArgumentException e) {
        // The contract of a read is a rejection, never a crash, whatever was written in the row.
        return Optional.of(new Rejection(SnapshotVerifier.Kind.UNREADABLE, "its state cannot be put in "
            + "canonical form to check its signature (" + e.getMessage() + ")"));
      }
      if (!signing.get().verifies(streamId, version, schemaVersion, link, canonical, signature)) {
        return Optional.of(new Rejection(SnapshotVerifier.Kind.BAD_SIGNATURE, "its signature does not match "
            + "(written without the application's signing key, or altered since)"));
      }
    }
    return Optional.empty();
  }
}
