package dev.annals.projections;

import dev.annals.core.EventRegistry;
import dev.annals.postgres.LogCursor;
import dev.annals.postgres.LogPartition;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.jdbi.v3.core.Handle;

/** The contexts handed to projector callbacks. */
final class Contexts {

  private Contexts() {}

  /** The physical table of a logical one for a projector version. */
  static String physical(String schema, String logical, int version) {
    return schema + "." + logical + "_v" + version;
  }

  static TableContext tables(Handle handle, String schema, EventRegistry registry, Projector projector,
      int version) {
    return new Tables(handle, schema, registry, projector.name(), projector.tables(), version,
        new LinkedHashSet<>());
  }

  /**
   * A table context for setup that remembers every physical name it hands out, in order, into
   * {@code handedOut}: those are the tables the version may have created.
   */
  static TableContext recording(Handle handle, String schema, EventRegistry registry, Projector projector,
      int version, Set<String> handedOut) {
    return new Tables(handle, schema, registry, projector.name(), projector.tables(), version, handedOut);
  }

  static ProjectionContext event(Handle handle, String schema, EventRegistry registry, Projector projector,
      int version, LogPartition partition, UUID eventId, LogCursor cursor, boolean replaying) {
    return new Event(new Tables(handle, schema, registry, projector.name(), projector.tables(), version,
        new LinkedHashSet<>()), partition, eventId, cursor, replaying);
  }

  static SideEffectContext sideEffect(UUID eventId, boolean replaying, int attempt, LogPartition partition) {
    return new SideEffect(eventId, replaying, attempt, partition);
  }

  private record Tables(Handle handle, String schema, EventRegistry registry, String projector,
      List<String> declared, int version, Set<String> handedOut) implements TableContext {

    @Override
    public String table(String logicalName) {
      if (!declared.contains(logicalName)) {
        throw new IllegalArgumentException("projector " + projector + " has no table '"
            + logicalName + "'; it declared " + declared + " (Projector.builder(...).tables(...))");
      }
      String physical = physical(schema, logicalName, version);
      handedOut.add(physical);
      return physical;
    }
  }

  private record Event(Tables tables, LogPartition partition, UUID idempotencyKey,
      LogCursor cursor, boolean replaying) implements ProjectionContext {

    @Override
    public Handle handle() {
      return tables.handle();
    }

    @Override
    public String table(String logicalName) {
      return tables.table(logicalName);
    }

    @Override
    public String schema() {
      return tables.schema();
    }

    @Override
    public int version() {
      return tables.version();
    }

    @Override
    public EventRegistry registry() {
      return tables.registry();
    }
  }

  private record SideEffect(UUID idempotencyKey, boolean replaying, int attempt,
      LogPartition partition) implements SideEffectContext {}
}
