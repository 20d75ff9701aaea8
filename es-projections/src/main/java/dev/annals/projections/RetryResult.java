package dev.annals.projections;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@link ProjectionRunner#retry} did.
 *
 * @param resolved the dead letters processed successfully, in stream order
 * @param stillFailing the one that failed again (now parked or halted with the new error), if
 *     any; the ones after it in its stream stay blocked
 */
public record RetryResult(List<DeadLetter> resolved, Optional<DeadLetter> stillFailing) {

  public RetryResult {
    resolved = List.copyOf(resolved);
    Objects.requireNonNull(stillFailing, "stillFailing");
  }

  /** Whether everything retried was processed. */
  public boolean succeeded() {
    return stillFailing.isEmpty();
  }
}
