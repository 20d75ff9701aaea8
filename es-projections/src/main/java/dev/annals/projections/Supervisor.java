package dev.annals.projections;

import dev.annals.core.internal.Redaction;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * Starts and stops projectors on this node: one supervisor thread, every fifth of a lease (at
 * most a second), renews this node's membership of each started projector, claims free
 * partitions up to this node's share ({@link Members#balance}) and gives each a worker thread,
 * and asks workers to give partitions up when this node holds more than its share; stopping or
 * closing lets each worker finish its batch and give its lease up. Thread-safe.
 */
final class Supervisor {

  private final Engine engine;
  private final Slots slots;
  private final Duration tick;
  private final Object signal = new Object();
  private Thread thread;

  Supervisor(Engine engine, Slots slots) {
    this.engine = engine;
    this.slots = slots;
    long millis = Math.max(20, Math.min(1000, engine.node.lease().toMillis() / 5));
    this.tick = Duration.ofMillis(millis);
  }

  /** See {@link ProjectionRunner#start(String)}. */
  void start(String projector) {
    synchronized (slots) {
      slots.checkOpen();
      slots.ensureSchema();
      Slots.Slot slot = slots.get(projector);
      slots.ensureInstalled(slot);
      slot.started = true;
      if (thread == null) {
        thread = new Thread(this::supervise, "projection-supervisor-" + engine.node.id());
        thread.setDaemon(true);
        thread.start();
      }
    }
    wake();
  }

  /** See {@link ProjectionRunner#stop(String)}. */
  void stop(String projector) {
    List<PartitionWorker> stopping;
    synchronized (slots) {
      Slots.Slot slot = slots.get(projector);
      slot.started = false;
      stopping = new ArrayList<>(slot.workers.values());
      slot.workers.clear();
    }
    stopAll(stopping);
    leave(List.of(projector));
  }

  /** See {@link ProjectionRunner#close()}. */
  void close() {
    List<PartitionWorker> stopping = new ArrayList<>();
    Thread supervisor;
    synchronized (slots) {
      if (!slots.close()) {
        return;
      }
      for (Slots.Slot slot : slots.all()) {
        slot.started = false;
        stopping.addAll(slot.workers.values());
        slot.workers.clear();
      }
      supervisor = thread;
    }
    wake();
    stopAll(stopping);
    if (supervisor != null) {
      try {
        supervisor.join(tick.toMillis() * 10 + 10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    try {
      engine.checkpoints.releaseAll(engine.jdbi(), engine.node.id(), slots.names());
    } catch (RuntimeException e) {
      Engine.LOG.log(Level.WARNING, "node " + engine.node.id() + " could not give its leases up; "
          + "they end by themselves after " + engine.node.lease(), Redaction.redacted(e));
    }
    leave(slots.names());
    engine.readAhead.shutdown();
  }

  /** Tells the other nodes at once that this one no longer runs these projectors. */
  private void leave(List<String> projectors) {
    try {
      engine.members.leave(engine.jdbi(), engine.node.id(), projectors);
    } catch (RuntimeException e) {
      Engine.LOG.log(Level.WARNING, "node " + engine.node.id() + " could not sign off " + projectors
          + "; the other nodes notice after " + Members.alive(engine.node.lease()), Redaction.redacted(e));
    }
  }

  /** Makes the supervisor look for work now rather than at its next tick. */
  void wake() {
    synchronized (signal) {
      signal.notifyAll();
    }
  }

  private void supervise() {
    while (!slots.isClosed()) {
      try {
        superviseOnce();
      } catch (RuntimeException e) {
        Engine.LOG.log(Level.WARNING, "node " + engine.node.id() + ": claiming projector partitions "
            + "failed; trying again", Redaction.redacted(e));
      }
      synchronized (signal) {
        if (slots.isClosed()) {
          return;
        }
        try {
          signal.wait(tick.toMillis());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  /**
   * Claims free partitions of started projectors and gives each a worker thread. The runner's
   * lock is held only around bookkeeping, never during database calls: a call can block for
   * the pool's connection timeout, and {@link #close()} or {@link #stop} must not wait for it.
   */
  private void superviseOnce() {
    List<Slots.Slot> started = new ArrayList<>();
    synchronized (slots) {
      for (Slots.Slot slot : slots.all()) {
        slot.workers.values().removeIf(w -> !w.isAlive());
        if (slot.started) {
          started.add(slot);
        }
      }
    }
    for (Slots.Slot slot : started) {
      try {
        claim(slot);
      } catch (IllegalStateException e) {
        Engine.LOG.log(Level.ERROR, "projector " + slot.projector.name() + " cannot run on node "
            + engine.node.id() + ": " + Redaction.redact(e.getMessage()));
        synchronized (slots) {
          slot.started = false;
        }
      }
    }
  }

  private void claim(Slots.Slot slot) {
    Projector p = slot.projector;
    Versions.Role role;
    synchronized (slots) {
      if (slots.isClosed() || !slot.started) {
        return;
      }
      role = slot.role;
    }
    if (role == null) {
      role = engine.versions.install(p);
      synchronized (slots) {
        slot.role = role;
      }
    }
    if (role == Versions.Role.RETIRED) {
      return;
    }
    Optional<Integer> active = engine.jdbi().withHandle(h -> engine.versions.active(h, p.name()));
    if (active.isPresent() && active.get() > p.version()) {
      synchronized (slots) {
        retire(slot, active.get());
      }
      return;
    }
    Members.View view = engine.members.heartbeat(engine.jdbi(), p.name(), p.version(), engine.node.id(),
        engine.node.lease());
    Members.Balance balance = Members.balance(view, engine.node.id());
    List<Integer> running;
    int unworked;
    synchronized (slots) {
      if (slots.isClosed() || !slot.started) {
        return;
      }
      if (balance.shed() > 0) {
        shed(slot, view, balance.shed());
      }
      // Workers that are stopping still hold their partitions until their batch ends: excluded.
      running = new ArrayList<>(slot.workers.keySet());
      unworked = (int) view.owners().entrySet().stream()
          .filter(e -> e.getValue().equals(engine.node.id()) && !running.contains(e.getKey())).count();
    }
    // Partitions this node holds without a worker (a restart with the same node id) are its own.
    int limit = balance.take() + unworked;
    if (limit == 0) {
      return;
    }
    for (Checkpoint c : engine.checkpoints.acquire(engine.jdbi(), p.name(), p.version(),
        engine.node.id(), engine.node.lease(), running, limit)) {
      PartitionProcessor processor;
      try {
        processor = new PartitionProcessor(engine, p, c);
      } catch (RuntimeException e) {
        engine.checkpoints.release(engine.jdbi(), c.key(), engine.node.id());
        throw e;
      }
      PartitionWorker worker = new PartitionWorker(engine, processor);
      boolean keep;
      synchronized (slots) {
        keep = !slots.isClosed() && slot.started && !slot.workers.containsKey(c.key().partition());
        if (keep) {
          slot.workers.put(c.key().partition(), worker);
          worker.start();
        }
      }
      if (!keep) {
        processor.release();
      }
    }
  }

  /**
   * Asks the workers of the {@code count} highest partitions this node holds to give them up
   * after their batch in flight, so that a node below its share can take them. Under the lock.
   */
  private void shed(Slots.Slot slot, Members.View view, int count) {
    List<PartitionWorker> held = new ArrayList<>();
    slot.workers.forEach((partition, worker) -> {
      if (!worker.stopping() && engine.node.id().equals(view.owners().get(partition))) {
        held.add(worker);
      }
    });
    held.sort((x, y) -> Integer.compare(y.key().partition(), x.key().partition()));
    for (PartitionWorker w : held.subList(0, Math.min(count, held.size()))) {
      Engine.LOG.log(Level.INFO, "{0}: node {1} gives it up for another node to even the load out",
          w.key(), engine.node.id());
      w.stop();
    }
  }

  private void retire(Slots.Slot slot, int active) {
    slot.role = Versions.Role.RETIRED;
    Engine.LOG.log(Level.WARNING, "projector {0} version {1} is retired on node {2}: version {3} "
        + "serves reads", slot.projector.name(), slot.projector.version(), engine.node.id(), active);
    List<PartitionWorker> workers = new ArrayList<>(slot.workers.values());
    slot.workers.clear();
    workers.forEach(PartitionWorker::stop);
  }

  private void stopAll(Collection<PartitionWorker> workers) {
    workers.forEach(PartitionWorker::stop);
    Duration wait = engine.pacing.idleTransactionTimeout().plusSeconds(10);
    for (PartitionWorker w : workers) {
      if (!w.join(wait)) {
        Engine.LOG.log(Level.WARNING, "{0} did not finish its batch within {1}", w.key(), wait);
      }
    }
  }
}
