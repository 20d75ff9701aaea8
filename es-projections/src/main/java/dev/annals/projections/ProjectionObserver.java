package dev.annals.projections;

import dev.annals.postgres.StoredEvent;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Hears what a {@link ProjectionRunner}'s partitions did, batch by batch, with timings: the
 * metrics and tracing modules (es-micrometer, es-opentelemetry) implement it; set one with
 * {@link ProjectionRunner.Builder#observer}. Lag and dead letters are in the
 * {@linkplain ProjectionRunner#status() status}, not here.
 *
 * <p>Called on the partition's thread after each batch, so an observer must be quick and must
 * not throw (what it throws is logged and dropped). A runner without an observer builds no
 * observation at all. An observer hears of a batch once it is over; to make something current
 * while the handlers run, use a {@link BatchScope}.
 */
@FunctionalInterface
public interface ProjectionObserver {

  /** Receives one observation. */
  void observe(Observation observation);

  /** Both observers, this one first; {@code next} hears every observation even when this one throws. */
  default ProjectionObserver andThen(ProjectionObserver next) {
    Objects.requireNonNull(next, "next observer must not be null");
    return o -> {
      try {
        observe(o);
      } finally {
        next.observe(o);
      }
    };
  }

  /** What a runner reports. */
  sealed interface Observation {
    /** The projector's name. */
    String projector();
  }

  /**
   * One batch was read and handed to the projector's handlers.
   *
   * @param projector the projector's name
   * @param version the projector version
   * @param partition the partition index, from 0
   * @param events the events read, in log order, payload and metadata still as JSON
   * @param handled how many of them the checkpoint moved past (handled, or parked as dead
   *     letters); fewer than read when a failure, a fence or a stop cut the batch short
   * @param took from the read to the last commit of the batch
   */
  record Batch(String projector, int version, int partition, List<StoredEvent> events, int handled,
      Duration took) implements Observation {

    public Batch {
      Objects.requireNonNull(projector, "projector");
      events = List.copyOf(events);
      Objects.requireNonNull(took, "took");
    }
  }
}
