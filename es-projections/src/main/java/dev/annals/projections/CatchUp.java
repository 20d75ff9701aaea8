package dev.annals.projections;

import dev.annals.core.Backoff;
import dev.annals.postgres.LogReader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Processes a projector on the calling thread until everything committed before the call is
 * processed ({@link ProjectionRunner#catchUp}): for tests, batch jobs and command-line rebuilds.
 */
final class CatchUp {

  /** How long a catch-up waits for events an open transaction holds back from readers. */
  private static final Duration HORIZON_WAIT = Duration.ofSeconds(30);

  private final Engine engine;
  private final Slots slots;

  CatchUp(Engine engine, Slots slots) {
    this.engine = engine;
    this.slots = slots;
  }

  /** See {@link ProjectionRunner#catchUp}. */
  long run(String projector) {
    Projector p;
    synchronized (slots) {
      slots.checkOpen();
      Slots.Slot slot = slots.get(projector);
      if (slot.started) {
        throw new IllegalStateException("projector " + projector + " runs on this runner's threads; "
            + "stop(\"" + projector + "\") before catching up on the calling thread");
      }
      slots.ensureSchema();
      slots.ensureInstalled(slot);
      if (slot.role == Versions.Role.RETIRED) {
        throw new IllegalStateException("projector " + projector + " version " + slot.projector.version()
            + " is retired; a newer version serves reads");
      }
      p = slot.projector;
    }
    List<Checkpoint> claimed = engine.checkpoints.acquire(engine.jdbi(), p.name(), p.version(),
        engine.node.id(), engine.node.lease(), List.of(), Integer.MAX_VALUE);
    List<PartitionProcessor> processors = new ArrayList<>();
    try {
      for (Checkpoint c : claimed) {
        processors.add(new PartitionProcessor(engine, p, c));
      }
      if (claimed.size() < p.partitions()) {
        throw new IllegalStateException("projector " + p.name() + " cannot catch up here: "
            + String.join("; ", busy(p, claimed)));
      }
      long before = processedEvents(p);
      processAll(p, processors);
      return Math.max(0, processedEvents(p) - before);
    } finally {
      for (PartitionProcessor processor : processors) {
        processor.release();
      }
      for (Checkpoint c : claimed.subList(processors.size(), claimed.size())) {
        engine.checkpoints.release(engine.jdbi(), c.key(), engine.node.id());
      }
    }
  }

  /** Why the partitions this node could not claim are not free. */
  private List<String> busy(Projector p, List<Checkpoint> claimed) {
    List<Checkpoint> all = engine.jdbi().withHandle(h -> engine.checkpoints.list(h, p.name(), p.version(), false));
    List<String> busy = new ArrayList<>();
    for (Checkpoint c : all) {
      if (claimed.stream().noneMatch(x -> x.key().equals(c.key()))) {
        busy.add("partition " + c.key().partition() + " is " + c.state()
            + (c.owner() == null ? "" : " and owned by node " + c.owner()));
      }
    }
    return busy;
  }

  /**
   * Steps every partition until a whole pass after the horizon cleared found nothing. A read
   * that finds nothing only means nothing is visible yet: an open transaction elsewhere may hold
   * events back, so wait for the horizon to pass them, up to {@link #HORIZON_WAIT}.
   */
  private void processAll(Projector p, List<PartitionProcessor> processors) {
    long horizonDeadline = System.nanoTime() + HORIZON_WAIT.toNanos();
    long target = Failures.retrying(horizonDeadline, engine.store::headPosition);
    LogReader horizon = engine.store.logReader();
    PartitionProcessor.Waiter waiter = new SleepingWaiter();
    List<PartitionProcessor> live = new ArrayList<>(processors);
    boolean progress = true;
    boolean horizonClear = false;
    while (!live.isEmpty()) {
      if (!progress) {
        if (horizonClear) {
          // A whole pass after the horizon had cleared found nothing: all is processed.
          break;
        }
        if (Failures.retrying(horizonDeadline, () -> horizon.heldBackUpTo(target)) == 0) {
          // Events may have become readable since the last pass: read once more.
          horizonClear = true;
          progress = true;
          continue;
        }
        if (System.nanoTime() > horizonDeadline) {
          throw new IllegalStateException("projector " + p.name() + " caught up on what is visible, but "
              + "events up to position " + target + " are still held back after "
              + HORIZON_WAIT.toSeconds() + " s by an open transaction: "
              + horizon.head().oldestTransaction().map(Object::toString).orElse("none found")
              + "; end it, or set idle_in_transaction_session_timeout, and catch up again");
        }
        try {
          horizon.awaitEvents(Duration.ofMillis(50));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
      progress = false;
      for (PartitionProcessor processor : new ArrayList<>(live)) {
        Outcome step = processor.step(waiter);
        while (step == Outcome.PROGRESS && !waiter.stopping()) {
          progress = true;
          step = processor.step(waiter);
        }
        if (step == Outcome.LOST || waiter.stopping()
            || (step == Outcome.IDLE && !processor.idle())) {
          live.remove(processor);
        }
      }
    }
    // The last partition to go idle may have found the others not yet caught up.
    for (PartitionProcessor processor : live) {
      if (processor.trySwitchNow()) {
        break;
      }
    }
  }

  private long processedEvents(Projector p) {
    return engine.jdbi().withHandle(h -> engine.checkpoints.list(h, p.name(), p.version(), false))
        .stream().mapToLong(Checkpoint::processedEvents).sum();
  }

  /** Waits by sleeping; an interrupt stops the catch-up and stays set. */
  private static final class SleepingWaiter implements PartitionProcessor.Waiter {
    private boolean stopping;

    @Override
    public boolean sleep(Duration duration) {
      if (Backoff.sleep(duration, () -> true)) {
        return true;
      }
      stopping = true;
      return false;
    }

    @Override
    public boolean stopping() {
      return stopping || Thread.currentThread().isInterrupted();
    }
  }
}
