package dev.annals.messaging.webhooks;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.jdbi.v3.core.Jdbi;

/**
 * The application's key for webhook secrets at rest: each subscription's signing secret is
 * stored encrypted with AES-GCM under this key, bound to the subscription's id, so the database
 * alone (a dump, a replica, a read-only role) does not let anyone sign requests.
 *
 * <p>Keep the key outside the database, as you keep a database password: an environment
 * variable or a secret store, read with {@link #fromBase64}. There is one key at a time;
 * rotating it is not supported: subscriptions stored under an old key must be subscribed again.
 * Immutable and thread-safe; {@link #toString()} does not show the key.
 */
public final class WebhookSecretKey {

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String FORMAT = "aes-gcm:";
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;

  private final SecretKeySpec key;

  private WebhookSecretKey(byte[] key) {
    this.key = new SecretKeySpec(key, "AES");
  }

  /**
   * The key of {@code bytes}: 16, 24 or 32 bytes (AES-128, -192 or -256); the array is copied.
   *
   * @throws IllegalArgumentException naming the length if it is none of these
   */
  public static WebhookSecretKey of(byte[] bytes) {
    Objects.requireNonNull(bytes, "webhook secret key must not be null");
    if (bytes.length != 16 && bytes.length != 24 && bytes.length != 32) {
      throw new IllegalArgumentException("webhook secret key must have 16, 24 or 32 bytes (AES), had "
          + bytes.length + "; make one with WebhookSecretKey.generate()");
    }
    return new WebhookSecretKey(bytes.clone());
  }

  /**
   * The key written in base64 (as {@link #toBase64()} gives it), such as the value of an
   * environment variable.
   *
   * @throws IllegalArgumentException if it is not base64 or not 16, 24 or 32 bytes long; the
   *     message does not repeat the text
   */
  public static WebhookSecretKey fromBase64(String base64) {
    Objects.requireNonNull(base64, "webhook secret key must not be null");
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(base64.strip());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("webhook secret key is not valid base64 ("
          + base64.strip().length() + " characters)");
    }
    return of(bytes);
  }

  /** A new random 256-bit key. */
  public static WebhookSecretKey generate() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return new WebhookSecretKey(bytes);
  }

  /** The key in base64, to store where the application reads it from. */
  public String toBase64() {
    return Base64.getEncoder().encodeToString(key.getEncoded());
  }

  /** Names the algorithm and key size, never the key. */
  @Override
  public String toString() {
    return "WebhookSecretKey[AES-" + key.getEncoded().length * 8 + "]";
  }

  /** {@code secret} encrypted for subscription {@code id}: {@code aes-gcm:<base64 nonce+ciphertext>}. */
  String seal(UUID id, String secret) {
    byte[] nonce = new byte[NONCE_BYTES];
    RANDOM.nextBytes(nonce);
    byte[] sealed = crypt(Cipher.ENCRYPT_MODE, id, nonce, secret.getBytes(StandardCharsets.UTF_8));
    byte[] out = Arrays.copyOf(nonce, NONCE_BYTES + sealed.length);
    System.arraycopy(sealed, 0, out, NONCE_BYTES, sealed.length);
    return FORMAT + Base64.getEncoder().encodeToString(out);
  }

  /** Whether {@code stored} is a sealed secret rather than one in plain text (before schema v2). */
  static boolean isSealed(String stored) {
    return stored.startsWith(FORMAT);
  }

  /**
   * The secret of subscription {@code id} from its stored form.
   *
   * @throws IllegalStateException if this key did not seal it (another key, another row, or altered)
   */
  String open(UUID id, String stored) {
    if (!isSealed(stored)) {
      throw wrongKey(id);
    }
    byte[] all;
    try {
      all = Base64.getDecoder().decode(stored.substring(FORMAT.length()));
    } catch (IllegalArgumentException e) {
      throw wrongKey(id);
    }
    if (all.length <= NONCE_BYTES) {
      throw wrongKey(id);
    }
    byte[] nonce = Arrays.copyOf(all, NONCE_BYTES);
    byte[] sealed = Arrays.copyOfRange(all, NONCE_BYTES, all.length);
    return new String(crypt(Cipher.DECRYPT_MODE, id, nonce, sealed), StandardCharsets.UTF_8);
  }

  /**
   * Seals the secrets written before schema version 2, then checks that the key opens a stored
   * secret, so a wrong key fails here rather than at every delivery.
   */
  void sealPlainRows(Jdbi jdbi, String schema) {
    jdbi.useTransaction(h -> {
      List<Map.Entry<UUID, String>> plain = h.createQuery("SELECT id, sealed_secret FROM " + schema
              + ".webhook_subscriptions WHERE sealed_secret NOT LIKE 'aes-gcm:%' FOR UPDATE")
          .map((rs, ctx) -> Map.entry(rs.getObject("id", UUID.class), rs.getString("sealed_secret")))
          .list();
      for (Map.Entry<UUID, String> row : plain) {
        h.createUpdate("UPDATE " + schema + ".webhook_subscriptions SET sealed_secret = :sealed WHERE id = :id")
            .bind("sealed", seal(row.getKey(), row.getValue())).bind("id", row.getKey()).execute();
      }
      h.createQuery("SELECT id, sealed_secret FROM " + schema + ".webhook_subscriptions "
              + "ORDER BY created_at DESC, id LIMIT 1")
          .map((rs, ctx) -> Map.entry(rs.getObject("id", UUID.class), rs.getString("sealed_secret")))
          .findOne()
          .ifPresent(newest -> open(newest.getKey(), newest.getValue()));
    });
  }

  private byte[] crypt(int mode, UUID id, byte[] nonce, byte[] input) {
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(mode, key, new GCMParameterSpec(TAG_BITS, nonce));
      // The subscription id as associated data: a sealed secret copied to another row does not open.
      cipher.updateAAD(ByteBuffer.allocate(16).putLong(id.getMostSignificantBits())
          .putLong(id.getLeastSignificantBits()).array());
      return cipher.doFinal(input);
    } catch (AEADBadTagException e) {
      throw wrongKey(id);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available in this JVM: " + e.getMessage(), e);
    }
  }

  private static IllegalStateException wrongKey(UUID id) {
    return new IllegalStateException("the secret of webhook subscription " + id + " does not decrypt "
        + "with this application's webhook secret key: the key changed (rotating is not supported) "
        + "or the row was altered; subscribe it again");
  }
}
