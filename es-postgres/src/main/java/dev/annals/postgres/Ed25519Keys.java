package dev.annals.postgres;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;

/** Reads the Ed25519 key files of {@link Anchor}: PEM or DER, with messages that never quote a key. */
final class Ed25519Keys {

  private Ed25519Keys() {}

  static PrivateKey privateKey(Path file) {
    byte[] der = keyBytes(file, "PRIVATE KEY");
    try {
      return KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(der));
    } catch (GeneralSecurityException e) {
      // No cause: a parser's message could quote the key's bytes.
      throw new AnchorException("key file " + file + " is not an Ed25519 private key in PKCS#8 (PEM or DER)");
    } finally {
      Arrays.fill(der, (byte) 0);
    }
  }

  static PublicKey publicKey(Path file) {
    byte[] der = keyBytes(file, "PUBLIC KEY");
    try {
      return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(der));
    } catch (GeneralSecurityException e) {
      throw new AnchorException("key file " + file + " is not an Ed25519 public key in X.509 (PEM or DER)");
    }
  }

  /** The DER bytes of the file: the Base64 between the PEM lines of {@code label}, or the file as it is. */
  private static byte[] keyBytes(Path file, String label) {
    Objects.requireNonNull(file, "key file must not be null");
    byte[] raw;
    try {
      raw = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new AnchorException("cannot read the key file " + file + " (" + e.getClass().getSimpleName() + ")");
    }
    String text = new String(raw, StandardCharsets.US_ASCII);
    String begin = "-----BEGIN " + label + "-----";
    int start = text.indexOf(begin);
    if (start < 0) {
      if (text.contains("-----BEGIN ")) {
        Arrays.fill(raw, (byte) 0);
        throw new AnchorException("key file " + file + " holds no " + label + " block (" + begin + ")");
      }
      return raw;
    }
    Arrays.fill(raw, (byte) 0);
    int end = text.indexOf("-----END " + label + "-----", start);
    if (end < 0) {
      throw new AnchorException("key file " + file + " has no end line (-----END " + label + "-----)");
    }
    try {
      return Base64.getMimeDecoder().decode(text.substring(start + begin.length(), end));
    } catch (IllegalArgumentException e) {
      throw new AnchorException("key file " + file + " holds a " + label + " block that is not Base64");
    }
  }
}
