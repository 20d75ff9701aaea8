package dev.annals.projections;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The projectors one runner was built with and what this node does with each: started or not,
 * its version's role, the workers of the partitions it claimed. Also whether the runner is
 * closed and its tables checked. This object's monitor is the runner's lock: held only around
 * bookkeeping, never during a batch (database calls under it are the one-time schema and
 * version installs).
 */
final class Slots {

  /** A registered projector and what this node does with it. Guarded by the {@link Slots}. */
  static final class Slot {
    final Projector projector;
    boolean started;
    Versions.Role role;
    final Map<Integer, PartitionWorker> workers = new LinkedHashMap<>();

    Slot(Projector projector) {
      this.projector = projector;
    }
  }

  private final Engine engine;
  private final boolean installSchema;
  private final Map<String, Slot> slots = new LinkedHashMap<>();
  private boolean schemaReady;
  private volatile boolean closed;

  Slots(Engine engine, List<Projector> projectors, boolean installSchema) {
    this.engine = engine;
    this.installSchema = installSchema;
    projectors.forEach(p -> slots.put(p.name(), new Slot(p)));
  }

  /**
   * The slot of {@code projector}.
   *
   * @throws IllegalArgumentException if the runner has no such projector
   */
  Slot get(String projector) {
    Objects.requireNonNull(projector, "projector name must not be null");
    Slot slot = slots.get(projector);
    if (slot == null) {
      throw new IllegalArgumentException("this runner has no projector '" + projector
          + "'; it runs " + slots.keySet());
    }
    return slot;
  }

  /** As {@link #get}, for its projector. */
  Projector projector(String projector) {
    return get(projector).projector;
  }

  Optional<Projector> find(String projector) {
    return Optional.ofNullable(slots.get(projector)).map(s -> s.projector);
  }

  List<String> names() {
    return new ArrayList<>(slots.keySet());
  }

  Iterable<Slot> all() {
    return slots.values();
  }

  boolean isClosed() {
    return closed;
  }

  /** Marks the runner closed; returns false if it already was. Under the lock. */
  boolean close() {
    if (closed) {
      return false;
    }
    closed = true;
    return true;
  }

  /** Under the lock. */
  void checkOpen() {
    if (closed) {
      throw new IllegalStateException("the projection runner of node " + engine.node.id() + " is closed");
    }
  }

  /** Installs or checks the projection tables, once. */
  synchronized void ensureSchema() {
    if (schemaReady) {
      return;
    }
    if (installSchema) {
      ProjectionSchema.install(engine.store.dataSource(), engine.schema());
    } else {
      ProjectionSchema.check(engine.store.dataSource(), engine.schema());
    }
    schemaReady = true;
  }

  /** Installs the slot's projector version, once, and learns its role. Under the lock. */
  void ensureInstalled(Slot slot) {
    if (slot.role == null) {
      slot.role = engine.versions.install(slot.projector);
      if (slot.role == Versions.Role.RETIRED) {
        Engine.LOG.log(Level.WARNING, "projector {0} version {1} will not run on node {2}: a newer "
            + "version serves reads", slot.projector.name(), slot.projector.version(), engine.node.id());
      }
    }
  }
}
