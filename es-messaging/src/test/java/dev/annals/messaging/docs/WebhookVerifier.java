package dev.annals.messaging.docs;

// The receiving side of docs/messaging.md in plain JDK code; MessagingGuideTest runs it.
// tag::webhook-verifier[]
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

final class WebhookVerifier {

  private static final long TOLERANCE_SECONDS = 5 * 60;

  /** True if the request is authentic and fresh. {@code body} is the raw request body. */
  static boolean verify(String secret, String id, String timestamp, String signatureHeader,
      byte[] body) throws Exception {
    if (id == null || timestamp == null || signatureHeader == null) {
      return false;
    }
    long sentAt;
    try {
      sentAt = Long.parseLong(timestamp);
    } catch (NumberFormatException e) {
      return false;
    }
    if (Math.abs(Instant.now().getEpochSecond() - sentAt) > TOLERANCE_SECONDS) {
      return false; // too old (or from the future): possibly a replayed request
    }
    byte[] key = secret.startsWith("whsec_")
        ? Base64.getDecoder().decode(secret.substring("whsec_".length()))
        : secret.getBytes(StandardCharsets.UTF_8);
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(key, "HmacSHA256"));
    mac.update((id + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8));
    byte[] expected = mac.doFinal(body);
    // The header may hold several signatures (during a secret rotation), space-separated.
    for (String candidate : signatureHeader.split(" ")) {
      if (candidate.startsWith("v1,")) {
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
    }
    return false;
  }
}
// end::webhook-verifier[]
