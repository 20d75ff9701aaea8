package dev.annals.messaging.schemas;

import dev.annals.core.AnnalsException;
import java.util.List;

/**
 * A payload schema was refused: a reader with it could not read data written with a version
 * already stored. Nothing was recorded. Not retryable: the schema must change (give a new field
 * a default, keep a field's type) or become a new event type.
 */
public final class IncompatibleSchemaException extends AnnalsException {

  private static final long serialVersionUID = 1L;

  private final String eventType;
  private final int storedVersion;
  private final List<String> problems;

  IncompatibleSchemaException(String eventType, int storedVersion, List<String> problems) {
    super("the new payload schema of " + eventType + " cannot read data written with its stored "
        + "version " + storedVersion + ": " + String.join("; ", problems));
    this.eventType = eventType;
    this.storedVersion = storedVersion;
    this.problems = List.copyOf(problems);
  }

  /** The event type whose schema was refused. */
  public String eventType() {
    return eventType;
  }

  /** The stored version whose data the new schema cannot read. */
  public int storedVersion() {
    return storedVersion;
  }

  /** Each problem: where in the schema ({@code /fields/1/type}, the field named) and what. */
  public List<String> problems() {
    return problems;
  }

  @Override
  public boolean isRetryable() {
    return false;
  }
}
