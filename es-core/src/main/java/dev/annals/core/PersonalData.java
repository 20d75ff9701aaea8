package dev.annals.core;

import com.fasterxml.jackson.core.JsonPointer;
import dev.annals.core.internal.Printable;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * Which parts of an event's payload are personal data, and whose: a function from the event to
 * its subject's id, and the JSON pointers of the fields to protect. Given at registration
 * ({@link EventRegistry.Builder#register(Class, String, int, PersonalData)}); the registry
 * encrypts those fields with the subject's key before the event is stored (and hashed), and
 * once the subject is forgotten decodes them as the value given by {@link #erasedAs} (JSON
 * {@code null} unless said otherwise).
 *
 * <pre>{@code
 * PersonalData.of(AccountOpened::customerId, "/owner").erasedAs("/owner", "[erased]")
 * }</pre>
 *
 * <p>The subject function must read only fields that are not protected: it also runs on events
 * decoded after the subject was forgotten. Subject ids follow the rule of a {@link StreamId}'s
 * id (1 to 150 letters, digits or {@code - _ . : @}) and are not protected themselves: use a
 * pseudonymous id (a customer number), never a name or an e-mail address. Immutable.
 *
 * @param <E> the event class
 */
public final class PersonalData<E> {

  private final Function<? super E, String> subject;
  private final Map<String, Object> fields;

  private PersonalData(Function<? super E, String> subject, Map<String, Object> fields) {
    this.subject = subject;
    this.fields = Collections.unmodifiableMap(fields);
  }

  /**
   * Protects the fields at {@code pointers} (RFC 6901, such as {@code /owner} or
   * {@code /address/street}) of events of subject {@code subject.apply(event)}.
   *
   * @throws IllegalArgumentException if no pointer is given, one is malformed, the whole payload
   *     ({@code ""}) or repeated
   */
  public static <E> PersonalData<E> of(Function<? super E, String> subject, String... pointers) {
    Objects.requireNonNull(subject, "subject function must not be null");
    Objects.requireNonNull(pointers, "pointers must not be null");
    if (pointers.length == 0) {
      throw new IllegalArgumentException("personal data needs at least one field pointer, such as \"/name\"");
    }
    Map<String, Object> fields = new LinkedHashMap<>();
    for (String pointer : pointers) {
      check(pointer);
      if (fields.containsKey(pointer)) {
        throw new IllegalArgumentException("personal data field " + pointer + " is given twice in "
            + Arrays.toString(pointers));
      }
      fields.put(pointer, null);
    }
    return new PersonalData<>(subject, fields);
  }

  /**
   * A copy in which the field at {@code pointer} decodes as {@code value} (written as JSON by the
   * registry's mapper) once its subject is forgotten; the value must fit the field's type.
   *
   * @throws IllegalArgumentException if {@code pointer} is not one of the protected fields
   */
  public PersonalData<E> erasedAs(String pointer, Object value) {
    if (!fields.containsKey(pointer)) {
      throw new IllegalArgumentException("cannot set the erased value of " + pointer
          + ": it is not a protected field (protected: " + fields.keySet() + ")");
    }
    Map<String, Object> copy = new LinkedHashMap<>(fields);
    copy.put(pointer, value);
    return new PersonalData<>(subject, copy);
  }

  /** The protected fields' pointers, each with the value it decodes as once erased (may be null). */
  public Map<String, Object> fields() {
    return fields;
  }

  /**
   * The subject of {@code event}.
   *
   * @throws IllegalArgumentException if the function gives an invalid subject id
   */
  public String subjectOf(E event) {
    String s = subject.apply(event);
    checkSubject(s);
    return s;
  }

  /**
   * Checks a subject id.
   *
   * @throws IllegalArgumentException naming the bad id and the rule
   */
  public static void checkSubject(String subject) {
    if (subject == null) {
      throw new IllegalArgumentException("subject id must not be null");
    }
    if (!StreamId.validId(subject)) {
      throw new IllegalArgumentException("invalid subject id '" + Printable.cut(subject, 200)
          + "': use 1 to " + StreamId.MAX_ID_LENGTH + " letters, digits or - _ . : @");
    }
  }

  private static void check(String pointer) {
    Objects.requireNonNull(pointer, "pointer must not be null");
    if (pointer.isEmpty()) {
      throw new IllegalArgumentException("the whole payload (\"\") cannot be personal data: name its fields");
    }
    try {
      JsonPointer.compile(pointer);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("malformed JSON pointer '" + pointer
          + "' for personal data: use the form /field or /field/inner", e);
    }
  }
}
