package dev.annals.core;

import java.util.Objects;

/**
 * An event payload in its stored form: the registered type name, the schema version it was
 * written with, and JSON. No Java class name is ever stored.
 *
 * @param type registered type name
 * @param schemaVersion schema version of {@code json}, from 1
 * @param json the payload as a JSON object
 */
public record SerializedEvent(String type, int schemaVersion, String json) {

  public SerializedEvent {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(json, "json");
    if (schemaVersion < 1) {
      throw new IllegalArgumentException("schema version must be 1 or more, was " + schemaVersion);
    }
  }
}
