package dev.annals.core;

import java.util.Objects;
import java.util.Set;

/**
 * Which events of the log to read: by stream category, by registered type name, or all.
 * An empty set means "no restriction" for that part; both parts must match when both are set.
 *
 * @param categories stream categories to include, empty for all
 * @param types registered event type names to include, empty for all
 */
public record LogFilter(Set<String> categories, Set<String> types) {

  private static final LogFilter ALL = new LogFilter(Set.of(), Set.of());

  public LogFilter {
    categories = Set.copyOf(Objects.requireNonNull(categories, "categories"));
    types = Set.copyOf(Objects.requireNonNull(types, "types"));
  }

  /** Every event. */
  public static LogFilter all() {
    return ALL;
  }

  /** Events of streams in these categories. */
  public static LogFilter categories(String... categories) {
    return new LogFilter(Set.of(categories), Set.of());
  }

  /** Events of these registered type names. */
  public static LogFilter types(String... types) {
    return new LogFilter(Set.of(), Set.of(types));
  }

  /** A copy that also requires one of these type names. */
  public LogFilter withTypes(String... types) {
    return new LogFilter(categories, Set.of(types));
  }

  /** Whether an event of this category and type passes. */
  public boolean matches(String category, String type) {
    return (categories.isEmpty() || categories.contains(category))
        && (types.isEmpty() || types.contains(type));
  }

  /** Whether this filter lets everything through. */
  public boolean isAll() {
    return categories.isEmpty() && types.isEmpty();
  }
}
