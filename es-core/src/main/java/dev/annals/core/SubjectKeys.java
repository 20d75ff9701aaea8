package dev.annals.core;

import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;

/**
 * The data keys of personal-data subjects: one AES-256 key per subject, created on first use and
 * destroyed when the subject is forgotten. A registry bound to keys ({@link
 * EventRegistry#withSubjectKeys}) encrypts the fields its {@link PersonalData} declarations name
 * with them, and decodes a forgotten subject's fields as erased.
 *
 * <p>es-postgres keeps them in their own table ({@code PostgresSubjectKeys}), optionally wrapped
 * by a master key the application holds; {@link #inMemory()} is for tests. Implementations are
 * thread-safe.
 */
public interface SubjectKeys {

  /**
   * The subject's key, created and stored first if it has none.
   *
   * @throws SubjectForgottenException if the subject was forgotten (new personal data of a
   *     forgotten subject is refused rather than stored under a new key)
   */
  SecretKey keyFor(String subject);

  /** What is known of the subject's key. */
  KeyState lookup(String subject);

  /**
   * Destroys the subject's key, so nothing encrypted with it can be read again; idempotent.
   *
   * @return true if a live key was destroyed, false if the subject had none or was forgotten
   */
  boolean destroy(String subject);

  /** The state of one subject's key. */
  sealed interface KeyState {

    /** The subject's key exists. */
    record Live(SecretKey key) implements KeyState {
      public Live {
        Objects.requireNonNull(key, "key");
      }
    }

    /** The subject was forgotten at {@code at}: their key is gone. */
    record Forgotten(Instant at) implements KeyState {
      public Forgotten {
        Objects.requireNonNull(at, "at");
      }
    }

    /** No key was ever stored for the subject (or its row was removed). */
    record Missing() implements KeyState {}

    /** A key is stored but cannot be used: {@code problem} says why (a wrapped key that does not unwrap). */
    record Unusable(String problem) implements KeyState {
      public Unusable {
        Objects.requireNonNull(problem, "problem");
      }
    }
  }

  /** Keys held in memory, for tests and examples: they do not outlive the JVM. */
  static SubjectKeys inMemory() {
    return new SubjectKeys() {
      private final Map<String, KeyState> keys = new ConcurrentHashMap<>();

      @Override
      public SecretKey keyFor(String subject) {
        PersonalData.checkSubject(subject);
        KeyState state = keys.computeIfAbsent(subject, s -> new KeyState.Live(newDataKey()));
        if (state instanceof KeyState.Live live) {
          return live.key();
        }
        throw new SubjectForgottenException(subject);
      }

      @Override
      public KeyState lookup(String subject) {
        return keys.getOrDefault(subject, new KeyState.Missing());
      }

      @Override
      public boolean destroy(String subject) {
        PersonalData.checkSubject(subject);
        KeyState before = keys.put(subject, new KeyState.Forgotten(Instant.now()));
        if (before instanceof KeyState.Forgotten f) {
          keys.put(subject, f);
        }
        return before instanceof KeyState.Live;
      }
    };
  }

  /** A new random AES-256 key, for implementations. */
  static SecretKey newDataKey() {
    try {
      KeyGenerator generator = KeyGenerator.getInstance("AES");
      generator.init(256);
      return generator.generateKey();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JVM has no AES", e);
    }
  }
}
