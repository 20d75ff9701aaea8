package dev.annals.postgres;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.annals.core.PersonalData;
import dev.annals.core.PersonalDataException;
import dev.annals.core.SubjectForgottenException;
import dev.annals.core.SubjectKeys;
import dev.annals.postgres.internal.SqlErrors;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import javax.sql.DataSource;

/**
 * The {@link SubjectKeys} of a {@link PostgresEventStore}, in its {@code subject_keys} table
 * (schema version 9). A subject's AES-256 data key is made on its first event; with a master key
 * (held by the application, never stored) it is stored wrapped with AES-GCM bound to the schema
 * and the subject, so a key row copied to another subject or forged without the master key does
 * not unwrap. Without one, a forged or swapped row still fails every field's GCM tag.
 *
 * <p>Forgetting calls the {@code forget_subject} function, the application role's only way to
 * change a key row. Live keys are cached in memory for {@link
 * PostgresEventStore.Builder#subjectKeyCache} (one minute by default); forgetting drops the
 * subject from this node's cache at once, other nodes' caches expire within that time.
 * Thread-safe.
 */
public final class PostgresSubjectKeys implements SubjectKeys {

  private static final int NONCE_BYTES = 12;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final DataSource dataSource;
  private final String schema;
  private final Optional<SecretKey> masterKey;
  private final Cache<String, SecretKey> cache;

  PostgresSubjectKeys(DataSource dataSource, String schema, Optional<SecretKey> masterKey, Duration cacheFor) {
    this.dataSource = dataSource;
    this.schema = schema;
    this.masterKey = masterKey;
    this.cache = Caffeine.newBuilder().maximumSize(100_000).expireAfterWrite(cacheFor).build();
  }

  /**
   * Checks that {@code key} can serve as a master key: AES with 256 bits.
   *
   * @throws IllegalArgumentException if it cannot
   */
  static SecretKey checkMasterKey(SecretKey key) {
    Objects.requireNonNull(key, "master key must not be null");
    byte[] encoded = key.getEncoded();
    if (!"AES".equalsIgnoreCase(key.getAlgorithm()) || encoded == null || encoded.length != 32) {
      throw new IllegalArgumentException("the master key must be a 256-bit AES key (new SecretKeySpec("
          + "32 bytes, \"AES\")), was " + key.getAlgorithm() + " of "
          + (encoded == null ? "unknown" : encoded.length * 8) + " bits");
    }
    return key;
  }

  @Override
  public SecretKey keyFor(String subject) {
    PersonalData.checkSubject(subject);
    SecretKey cached = cache.getIfPresent(subject);
    if (cached != null) {
      return cached;
    }
    KeyState state = lookup(subject);
    if (state instanceof KeyState.Missing) {
      insert(subject);
      state = lookup(subject);
    }
    if (state instanceof KeyState.Live live) {
      return live.key();
    }
    if (state instanceof KeyState.Forgotten) {
      throw new SubjectForgottenException(subject);
    }
    throw new PersonalDataException(subject, "its key in " + schema + ".subject_keys cannot be used: "
        + ((KeyState.Unusable) state).problem());
  }

  @Override
  public KeyState lookup(String subject) {
    SecretKey cached = cache.getIfPresent(subject);
    if (cached != null) {
      return new KeyState.Live(cached);
    }
    String sql = "SELECT data_key, wrapped, forgotten_at FROM " + schema + ".subject_keys WHERE subject = ?";
    try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, subject);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return new KeyState.Missing();
        }
        byte[] stored = rs.getBytes(1);
        if (stored == null) {
          return new KeyState.Forgotten(rs.getTimestamp(3).toInstant());
        }
        KeyState state = unwrap(subject, stored, rs.getBoolean(2));
        if (state instanceof KeyState.Live live) {
          cache.put(subject, live.key());
        }
        return state;
      }
    } catch (SQLException e) {
      throw SqlErrors.translate("read the key of subject " + subject, schema, e);
    }
  }

  @Override
  public boolean destroy(String subject) {
    PersonalData.checkSubject(subject);
    cache.invalidate(subject);
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT " + schema + ".forget_subject(?)")) {
      ps.setString(1, subject);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
    } catch (SQLException e) {
      throw SqlErrors.translate("forget subject " + subject, schema, e);
    } finally {
      cache.invalidate(subject);
    }
  }

  private void insert(String subject) {
    byte[] raw = SubjectKeys.newDataKey().getEncoded();
    byte[] stored = masterKey.map(m -> wrap(m, subject, raw)).orElse(raw);
    String sql = "INSERT INTO " + schema + ".subject_keys (subject, data_key, wrapped) VALUES (?, ?, ?) "
        + "ON CONFLICT (subject) DO NOTHING";
    try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, subject);
      ps.setBytes(2, stored);
      ps.setBoolean(3, masterKey.isPresent());
      ps.executeUpdate();
    } catch (SQLException e) {
      throw SqlErrors.translate("store a key for subject " + subject, schema, e);
    } finally {
      Arrays.fill(raw, (byte) 0);
    }
  }

  private KeyState unwrap(String subject, byte[] stored, boolean wrapped) {
    if (masterKey.isEmpty()) {
      return wrapped ? new KeyState.Unusable("it is wrapped by a master key, and none is configured")
          : stored.length == 32 ? new KeyState.Live(new SecretKeySpec(stored, "AES"))
          : new KeyState.Unusable("an unwrapped key of " + stored.length + " bytes");
    }
    if (!wrapped) {
      return new KeyState.Unusable("it is stored unwrapped although a master key is configured "
          + "(a row not written by this application?)");
    }
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, masterKey.get(), new GCMParameterSpec(128, stored, 0, NONCE_BYTES));
      cipher.updateAAD(wrappingAad(subject));
      byte[] raw = cipher.doFinal(stored, NONCE_BYTES, stored.length - NONCE_BYTES);
      return new KeyState.Live(new SecretKeySpec(raw, "AES"));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      return new KeyState.Unusable("it does not unwrap with the master key for this subject "
          + "(a forged or swapped key row, or another master key)");
    }
  }

  private byte[] wrap(SecretKey master, String subject, byte[] raw) {
    try {
      byte[] nonce = new byte[NONCE_BYTES];
      RANDOM.nextBytes(nonce);
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, master, new GCMParameterSpec(128, nonce));
      cipher.updateAAD(wrappingAad(subject));
      byte[] sealed = cipher.doFinal(raw);
      return ByteBuffer.allocate(NONCE_BYTES + sealed.length).put(nonce).put(sealed).array();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM key wrapping failed: " + e.getMessage(), e);
    }
  }

  private byte[] wrappingAad(String subject) {
    return ("annals:subject-key:v1\n" + schema + "\n" + subject).getBytes(StandardCharsets.UTF_8);
  }
}
