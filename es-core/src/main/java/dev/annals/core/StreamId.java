package dev.annals.core;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Identity of an event stream: a category (the aggregate type, such as {@code account}) and an
 * id within it. Its string form is {@code category-id}, for example {@code account-42}.
 *
 * <p>Both parts are validated on construction, so an invalid stream id cannot exist: the
 * category is 1 to {@value #MAX_CATEGORY_LENGTH} letters, digits or underscores starting with a
 * letter (no {@code -}, which separates it from the id); the id is 1 to {@value #MAX_ID_LENGTH}
 * letters, digits or {@code - _ . : @}.
 *
 * @param category the stream's category, never null
 * @param id the id within the category, never null
 */
public record StreamId(String category, String id) {

  /** Longest accepted category. */
  public static final int MAX_CATEGORY_LENGTH = 50;
  /** Longest accepted id within a category. */
  public static final int MAX_ID_LENGTH = 150;

  private static final Pattern CATEGORY = Pattern.compile("[A-Za-z][A-Za-z0-9_]*");
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9_.:@-]+");

  /**
   * @throws IllegalArgumentException naming the bad value and the rule it broke
   */
  public StreamId {
    Objects.requireNonNull(category, "stream category must not be null");
    Objects.requireNonNull(id, "stream id must not be null");
    if (category.isEmpty() || category.length() > MAX_CATEGORY_LENGTH
        || !CATEGORY.matcher(category).matches()) {
      throw new IllegalArgumentException("invalid stream category '" + printable(category)
          + "': use 1 to " + MAX_CATEGORY_LENGTH
          + " letters, digits or underscores, starting with a letter");
    }
    if (id.isEmpty() || id.length() > MAX_ID_LENGTH || !ID.matcher(id).matches()) {
      throw new IllegalArgumentException("invalid id '" + printable(id) + "' in stream category '"
          + category + "': use 1 to " + MAX_ID_LENGTH + " letters, digits or - _ . : @");
    }
  }

  /** The stream {@code id} of {@code category}. */
  public static StreamId of(String category, String id) {
    return new StreamId(category, id);
  }

  /**
   * Parses the string form {@code category-id}, splitting at the first {@code -}.
   *
   * @throws IllegalArgumentException if there is no {@code -} or either part is invalid
   */
  public static StreamId parse(String value) {
    Objects.requireNonNull(value, "stream id must not be null");
    int dash = value.indexOf('-');
    if (dash < 0) {
      throw new IllegalArgumentException("invalid stream id '" + printable(value)
          + "': expected the form category-id, for example account-42");
    }
    return new StreamId(value.substring(0, dash), value.substring(dash + 1));
  }

  /** The string form {@code category-id}, as stored. */
  @Override
  public String toString() {
    return category + "-" + id;
  }

  private static String printable(String value) {
    String shown = value.length() > 60 ? value.substring(0, 60) + "...(" + value.length() + " chars)" : value;
    StringBuilder out = new StringBuilder(shown.length());
    shown.codePoints().forEach(cp -> {
      if (Character.isISOControl(cp)) {
        out.append(String.format("\\u%04x", cp));
      } else {
        out.appendCodePoint(cp);
      }
    });
    return out.toString();
  }
}
