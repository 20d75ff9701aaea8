package dev.annals.core;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Iterator;
import java.util.Map;
import java.util.UUID;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * AES-GCM encryption of single JSON fields, as the registry stores personal data. A protected
 * field is replaced by an envelope {@code {"annals:pii": base64(nonce || ciphertext || tag),
 * "annals:subject": subject}}; the associated data binds the ciphertext to the event id, the
 * stream, the subject and the field's pointer, so ciphertext copied to another event, stream,
 * subject or field fails its tag instead of decrypting. Stateless and thread-safe.
 */
final class FieldCipher {

  static final String CIPHERTEXT = "annals:pii";
  static final String SUBJECT = "annals:subject";
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final SecureRandom RANDOM = new SecureRandom();

  private FieldCipher() {}

  /** Replaces the fields at {@code pointers} of {@code json} by their envelopes; absent and null fields stay. */
  static void encrypt(ObjectMapper mapper, ObjectNode json, Iterable<String> pointers, String subject,
      SecretKey key, UUID eventId, StreamId streamId) {
    for (String pointer : pointers) {
      JsonPointer p = JsonPointer.compile(pointer);
      JsonNode parent = json.at(p.head());
      JsonNode value = json.at(p);
      if (value.isMissingNode() || value.isNull()) {
        continue;
      }
      byte[] plain;
      try {
        plain = mapper.writeValueAsBytes(value);
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new EventSerializationException("cannot write personal data field " + pointer, e);
      }
      ObjectNode envelope = mapper.createObjectNode();
      envelope.put(CIPHERTEXT, seal(key, plain, aad(eventId, streamId, subject, pointer)));
      envelope.put(SUBJECT, subject);
      if (parent instanceof ObjectNode o) {
        o.set(p.last().getMatchingProperty(), envelope);
      } else if (parent instanceof ArrayNode a) {
        a.set(p.last().getMatchingIndex(), envelope);
      }
    }
  }

  /** Whether {@code json} may hold an envelope: a cheap test before parsing. */
  static boolean mayHoldEnvelope(String json) {
    return json.contains("\"" + CIPHERTEXT + "\"");
  }

  /** What to put in place of one envelope. */
  interface Opener {
    JsonNode open(String pointer, String subject, String ciphertext);
  }

  /** Replaces every envelope found in {@code node} with what {@code opener} gives for it. */
  static void openAll(JsonNode node, String path, Opener opener) {
    if (node instanceof ObjectNode o) {
      Iterator<Map.Entry<String, JsonNode>> fields = o.fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> f = fields.next();
        String child = path + "/" + f.getKey().replace("~", "~0").replace("/", "~1");
        if (isEnvelope(f.getValue())) {
          f.setValue(opener.open(child, f.getValue().get(SUBJECT).asText(), f.getValue().get(CIPHERTEXT).asText()));
        } else {
          openAll(f.getValue(), child, opener);
        }
      }
    } else if (node instanceof ArrayNode a) {
      for (int i = 0; i < a.size(); i++) {
        String child = path + "/" + i;
        if (isEnvelope(a.get(i))) {
          a.set(i, opener.open(child, a.get(i).get(SUBJECT).asText(), a.get(i).get(CIPHERTEXT).asText()));
        } else {
          openAll(a.get(i), child, opener);
        }
      }
    }
  }

  private static boolean isEnvelope(JsonNode n) {
    return n instanceof ObjectNode o && o.size() == 2 && o.path(CIPHERTEXT).isTextual()
        && o.path(SUBJECT).isTextual();
  }

  /**
   * Decrypts one envelope's ciphertext.
   *
   * @throws GeneralSecurityException when the tag does not match (wrong key or associated data)
   * @throws IllegalArgumentException when the ciphertext is not base64 or too short
   */
  static byte[] open(SecretKey key, String ciphertext, UUID eventId, StreamId streamId, String subject,
      String pointer) throws GeneralSecurityException {
    byte[] sealed = Base64.getDecoder().decode(ciphertext);
    if (sealed.length < NONCE_BYTES + TAG_BITS / 8) {
      throw new IllegalArgumentException("ciphertext of " + sealed.length + " bytes is too short");
    }
    Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
    cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, sealed, 0, NONCE_BYTES));
    cipher.updateAAD(aad(eventId, streamId, subject, pointer));
    return cipher.doFinal(sealed, NONCE_BYTES, sealed.length - NONCE_BYTES);
  }

  private static String seal(SecretKey key, byte[] plain, byte[] aad) {
    try {
      byte[] nonce = new byte[NONCE_BYTES];
      RANDOM.nextBytes(nonce);
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
      cipher.updateAAD(aad);
      byte[] sealed = cipher.doFinal(plain);
      return Base64.getEncoder().encodeToString(
          ByteBuffer.allocate(NONCE_BYTES + sealed.length).put(nonce).put(sealed).array());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM encryption failed: " + e.getMessage(), e);
    }
  }

  private static byte[] aad(UUID eventId, StreamId streamId, String subject, String pointer) {
    return ("annals:pii:v1\n" + eventId + "\n" + streamId + "\n" + subject + "\n" + pointer)
        .getBytes(StandardCharsets.UTF_8);
  }
}
