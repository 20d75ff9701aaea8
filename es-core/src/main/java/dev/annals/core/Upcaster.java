package dev.annals.core;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * Turns a stored event of one (type, schema version) into the next shape, so events written
 * years ago still load as today's classes. Upcasters chain: a version 1 event passes through
 * 1→2, 2→3, ... until it reaches the version registered for its type.
 *
 * <p>The transform receives a private copy of the JSON and may change it in place.
 *
 * @param type the stored type name this upcaster reads
 * @param fromVersion the schema version it reads
 * @param toType the type name it produces (the same as {@code type} unless renaming)
 * @param toVersion the schema version it produces
 * @param transform the change to the JSON payload
 */
public record Upcaster(String type, int fromVersion, String toType, int toVersion,
    UnaryOperator<ObjectNode> transform) {

  public Upcaster {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(toType, "toType");
    Objects.requireNonNull(transform, "transform");
    if (fromVersion < 1) {
      throw new IllegalArgumentException("upcaster for '" + type
          + "': fromVersion must be 1 or more, was " + fromVersion);
    }
    if (toVersion < 1 || (type.equals(toType) && toVersion <= fromVersion)) {
      throw new IllegalArgumentException("upcaster for '" + type + "' v" + fromVersion
          + " must produce a later version of the same type or another type, not '" + toType
          + "' v" + toVersion);
    }
  }

  /** Upcasts {@code type} from {@code fromVersion} to {@code fromVersion + 1}. */
  public static Upcaster of(String type, int fromVersion, UnaryOperator<ObjectNode> transform) {
    return new Upcaster(type, fromVersion, type, fromVersion + 1, transform);
  }

  /** Maps {@code oldType} at {@code fromVersion} to {@code newType} at {@code newVersion}. */
  public static Upcaster renaming(String oldType, int fromVersion, String newType, int newVersion,
      UnaryOperator<ObjectNode> transform) {
    return new Upcaster(oldType, fromVersion, newType, newVersion, transform);
  }
}
