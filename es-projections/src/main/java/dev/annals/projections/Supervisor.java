package dev.annals.projections;

import dev.annals.core.internal.Redaction;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * Starts and stops projectors on this node: one supervisor thread claims free partitions of
 * started projectors and gives each a worker thread; stopping or closing lets each worker finish
 * its batch and give its lease up. Thread-safe.
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
    long millis = Math.max(20, Math.min(2000, engine.node.lease().toMillis() / 5));
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
    engine.readAhead.shutdown();
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
    List<Integer> running;
    synchronized (slots) {
      if (slots.isClosed() || !slot.started) {
        return;
      }
      role = slot.role;
      running = new ArrayList<>(slot.workers.keySet());
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
    for (Checkpoint c : engine.checkpoints.acquire(engine.jdbi(), p.name(), p.version(),
        engine.node.id(), engine.node.lease(), running)) {
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
