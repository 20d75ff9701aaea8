package dev.annals.core;

import java.util.Map;
import java.util.Objects;

/**
 * Who sent a command and why, copied into the metadata of the events it produces: the command id
 * becomes their causation id, the correlation id flows through unchanged (a new chain starts with
 * the command id), and the actor is recorded.
 *
 * <p>The command id also makes the command idempotent: event ids are derived from it, so sending
 * the same command again with the same id writes nothing the second time.
 *
 * @param commandId unique id of this command, never null
 * @param correlationId id of the larger operation it belongs to, never null
 * @param actor who sent it; may be null
 * @param extra free key/values added to each event's metadata, never null
 */
public record CommandContext(String commandId, String correlationId, String actor,
    Map<String, String> extra) {

  public CommandContext {
    Objects.requireNonNull(commandId, "commandId must not be null");
    if (commandId.isBlank()) {
      throw new IllegalArgumentException("commandId must not be blank");
    }
    if (correlationId == null) {
      correlationId = commandId;
    }
    extra = extra == null ? Map.of() : Map.copyOf(extra);
  }

  /** A command with this id, starting a new correlation chain. */
  public static CommandContext of(String commandId) {
    return new CommandContext(commandId, null, null, Map.of());
  }

  /**
   * A command with a fresh id, a version 7 UUID; the ids of its events then begin with the same
   * time, which keeps the store's event-id index ordered.
   */
  public static CommandContext random() {
    return of(EventIds.timeOrdered().toString());
  }

  public CommandContext withCorrelationId(String value) {
    return new CommandContext(commandId, value, actor, extra);
  }

  public CommandContext withActor(String value) {
    return new CommandContext(commandId, correlationId, value, extra);
  }

  public CommandContext with(String key, String value) {
    Map<String, String> copy = new java.util.TreeMap<>(extra);
    copy.put(Objects.requireNonNull(key), Objects.requireNonNull(value));
    return new CommandContext(commandId, correlationId, actor, copy);
  }
}
