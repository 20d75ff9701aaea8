package dev.annals.postgres;

import dev.annals.core.StreamId;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A key, held by the application and never stored in the database, that signs every snapshot the
 * store writes and checks every snapshot it reads: a snapshot written by anyone without the key
 * is refused, and the state is rebuilt from the events. Give it to
 * {@link PostgresEventStore.Builder#snapshotSigning}.
 *
 * <p>The signature is HMAC-SHA256 over the UTF-8 bytes of {@code annals-snapshot-v1}, then the
 * stream id (length-prefixed), the version (8 bytes), the state's schema version (4 bytes), the
 * link hash of the stream's event at that version (32 bytes) and the state in the canonical JSON
 * form of the hash chain's digests (length-prefixed), so it survives PostgreSQL's rewriting of
 * {@code jsonb}. Every node that shares a schema needs the same key.
 *
 * <p>Immutable and thread-safe; {@link #toString()} never shows the key.
 */
public final class SnapshotSigning {

  /** The shortest key accepted: 32 bytes, the size of the HMAC-SHA256 output. */
  public static final int MIN_KEY_BYTES = 32;

  private static final String ALGORITHM = "HmacSHA256";
  private static final byte[] DOMAIN = "annals-snapshot-v1".getBytes(StandardCharsets.UTF_8);

  private final SecretKeySpec key;
  private final ThreadLocal<Mac> macs;

  private SnapshotSigning(byte[] key) {
    this.key = new SecretKeySpec(key, ALGORITHM);
    this.macs = ThreadLocal.withInitial(this::newMac);
  }

  /**
   * Signs with HMAC-SHA256 under {@code key}, which is copied. Use random bytes, such as 32 from
   * {@link java.security.SecureRandom}, kept where the application's other secrets are.
   *
   * @throws IllegalArgumentException if the key is shorter than {@value #MIN_KEY_BYTES} bytes (the
   *     message gives its length, never its bytes)
   */
  public static SnapshotSigning hmacSha256(byte[] key) {
    Objects.requireNonNull(key, "snapshot signing key must not be null");
    if (key.length < MIN_KEY_BYTES) {
      throw new IllegalArgumentException("snapshot signing key must be " + MIN_KEY_BYTES
          + " bytes or more, was " + key.length + " bytes");
    }
    return new SnapshotSigning(key.clone());
  }

  /** The signature of a snapshot; {@code canonicalState} as {@link ContentDigest#canonical} gives it. */
  byte[] sign(StreamId streamId, long version, int schemaVersion, byte[] link, String canonicalState) {
    byte[] stream = streamId.toString().getBytes(StandardCharsets.UTF_8);
    byte[] state = canonicalState.getBytes(StandardCharsets.UTF_8);
    Mac mac = macs.get();
    mac.reset();
    mac.update(DOMAIN);
    mac.update(ByteBuffer.allocate(4 + stream.length + 8 + 4 + 4).putInt(stream.length).put(stream)
        .putLong(version).putInt(schemaVersion).putInt(link.length).array());
    mac.update(link);
    mac.update(ByteBuffer.allocate(4).putInt(state.length).array());
    mac.update(state);
    return mac.doFinal();
  }

  /** Whether {@code signature} is this key's signature of the snapshot, compared in constant time. */
  boolean verifies(StreamId streamId, long version, int schemaVersion, byte[] link, String canonicalState,
      byte[] signature) {
    return signature != null
        && MessageDigest.isEqual(sign(streamId, version, schemaVersion, link, canonicalState), signature);
  }

  private Mac newMac() {
    try {
      Mac mac = Mac.getInstance(ALGORITHM);
      mac.init(key);
      return mac;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("every Java runtime has " + ALGORITHM, e);
    }
  }

  @Override
  public String toString() {
    return "SnapshotSigning[HMAC-SHA256, key hidden]";
  }
}
