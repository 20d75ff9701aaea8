package dev.annals.projections;

import dev.annals.postgres.StoredEvent;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Runs around each batch of a {@link ProjectionRunner}'s partitions, on the thread that runs the
 * batch's handlers: what {@link #open} makes current there (a tracing span, logging MDC entries)
 * is current while the handlers run. es-opentelemetry makes its projector batch span current this
 * way; set one with {@link ProjectionRunner.Builder#batchScope}.
 *
 * <p>Called by every partition's thread at once, so a scope keeps what belongs to one batch in
 * its {@link Closer}. Must be quick and should not throw: what {@code open} or
 * {@link Closer#close} throws is logged and dropped, and the batch runs on without that scope. A
 * runner without a scope builds nothing for it.
 */
@FunctionalInterface
public interface BatchScope {

  /**
   * Called once a batch was read, before its handlers run.
   *
   * @return what to close after the batch; null when there is nothing to close
   */
  Closer open(Start batch);

  /**
   * Both scopes, this one outside: opened first and closed last. Each is guarded alone, so that
   * one that throws neither keeps the other from opening nor leaves it open.
   */
  default BatchScope andThen(BatchScope inner) {
    Objects.requireNonNull(inner, "inner scope must not be null");
    return batch -> {
      Closer outer = Engine.open(this, batch);
      Closer in = Engine.open(inner, batch);
      return end -> {
        Engine.close(in, end, batch);
        Engine.close(outer, end, batch);
      };
    };
  }

  /** An open scope, closed once, on the thread that opened it. */
  @FunctionalInterface
  interface Closer {
    /** Called after the batch's last commit, also when the batch failed or was cut short. */
    void close(End end);
  }

  /**
   * A batch about to be handled.
   *
   * @param projector the projector's name
   * @param version the projector version
   * @param partition the partition index, from 0
   * @param events the events read, in log order, payload and metadata still as JSON; never empty
   */
  record Start(String projector, int version, int partition, List<StoredEvent> events) {

    /** Copies the events. */
    public Start {
      Objects.requireNonNull(projector, "projector");
      events = List.copyOf(events);
    }
  }

  /**
   * How a batch ended.
   *
   * @param handled how many of its events the checkpoint moved past (handled, or parked as dead
   *     letters); fewer than read when a failure, a fence or a stop cut the batch short
   * @param took from the read to the last commit of the batch
   * @param failure what the batch threw: a database failure (the partition reads the batch again
   *     after a wait) or an {@link Error} of a handler. A handler's exception is not one: the
   *     projector's retries and failure policy deal with it, and dead letters show it.
   */
  record End(int handled, Duration took, Optional<Throwable> failure) {

    /** Checks for nulls. */
    public End {
      Objects.requireNonNull(took, "took");
      Objects.requireNonNull(failure, "failure");
    }
  }
}
