package dev.annals.messaging.webhooks;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signing and verifying webhook requests, in the Standard Webhooks scheme: the signature is
 * HMAC-SHA256 over {@code <webhook-id>.<webhook-timestamp>.<body>}, sent base64-encoded as
 * {@code webhook-signature: v1,<signature>}. A secret starting with {@code whsec_} is the
 * base64 of the key (as {@link #newSecret()} makes them); any other secret is used as UTF-8 bytes.
 *
 * <p>A receiver checks the signature with the shared secret and refuses a timestamp too far
 * from its own clock, so that a captured request cannot be replayed later. Stateless and
 * thread-safe.
 */
public final class WebhookSignature {

  /** Header with the message id: the CloudEvent id, the same on every retry. */
  public static final String ID_HEADER = "webhook-id";
  /** Header with the time of signing, in seconds since the epoch. */
  public static final String TIMESTAMP_HEADER = "webhook-timestamp";
  /** Header with one or more space-separated {@code v1,<base64>} signatures. */
  public static final String SIGNATURE_HEADER = "webhook-signature";

  private static final String PREFIX = "whsec_";
  private static final SecureRandom RANDOM = new SecureRandom();

  private WebhookSignature() {}

  /** A new random secret ({@code whsec_} and 32 random bytes in base64). */
  public static String newSecret() {
    byte[] key = new byte[32];
    RANDOM.nextBytes(key);
    return PREFIX + Base64.getEncoder().encodeToString(key);
  }

  /**
   * The {@code webhook-signature} header value for a request.
   *
   * @throws IllegalArgumentException if the secret is empty or a {@code whsec_} secret is not base64
   */
  public static String sign(String secret, String id, long timestampSeconds, byte[] body) {
    return "v1," + Base64.getEncoder().encodeToString(mac(secret, id, timestampSeconds, body));
  }

  /**
   * Whether a request is authentic: one of its signatures matches the one computed with
   * {@code secret}, and its timestamp is within {@code tolerance} of {@code now}. Compares in
   * constant time.
   *
   * @param id the {@code webhook-id} header
   * @param timestamp the {@code webhook-timestamp} header
   * @param signatures the {@code webhook-signature} header
   * @param body the request body exactly as received
   * @return false for a wrong or missing signature, a malformed header or a stale timestamp
   */
  public static boolean verify(String secret, String id, String timestamp, String signatures, byte[] body,
      Duration tolerance, Instant now) {
    Objects.requireNonNull(secret, "secret must not be null");
    Objects.requireNonNull(tolerance, "tolerance must not be null");
    Objects.requireNonNull(now, "now must not be null");
    if (id == null || timestamp == null || signatures == null || body == null) {
      return false;
    }
    long seconds;
    try {
      seconds = Long.parseLong(timestamp.trim());
    } catch (NumberFormatException e) {
      return false;
    }
    if (Math.abs(now.getEpochSecond() - seconds) > tolerance.toSeconds()) {
      return false;
    }
    byte[] expected = mac(secret, id, seconds, body);
    for (String candidate : signatures.trim().split(" +")) {
      if (!candidate.startsWith("v1,")) {
        continue;
      }
      byte[] given;
      try {
        given = Base64.getDecoder().decode(candidate.substring(3));
      } catch (IllegalArgumentException e) {
        continue;
      }
      if (MessageDigest.isEqual(expected, given)) {
        return true;
      }
    }
    return false;
  }

  private static byte[] mac(String secret, String id, long timestampSeconds, byte[] body) {
    Objects.requireNonNull(id, "id must not be null");
    Objects.requireNonNull(body, "body must not be null");
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key(secret), "HmacSHA256"));
      mac.update((id + "." + timestampSeconds + ".").getBytes(StandardCharsets.UTF_8));
      return mac.doFinal(body);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
    }
  }

  private static byte[] key(String secret) {
    Objects.requireNonNull(secret, "secret must not be null");
    if (secret.isEmpty()) {
      throw new IllegalArgumentException("webhook secret must not be empty; use WebhookSignature.newSecret()");
    }
    if (secret.startsWith(PREFIX)) {
      try {
        return Base64.getDecoder().decode(secret.substring(PREFIX.length()));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("a webhook secret starting with whsec_ must continue in base64", e);
      }
    }
    return secret.getBytes(StandardCharsets.UTF_8);
  }
}
