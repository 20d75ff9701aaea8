package dev.annals.spring.boot;

import dev.annals.projections.ProjectionRunner;
import java.util.List;
import java.util.Objects;
import org.springframework.context.SmartLifecycle;

/**
 * Starts a {@link ProjectionRunner}'s projectors when the application context starts, and stops
 * them when it stops: each partition finishes the batch in hand and gives its lease up, so
 * another node may take it over, before {@link #stop()} returns. A stopped context can be
 * started again. The runner itself is closed when the context is.
 *
 * <p>Stops in the default phase, before the beans it uses are destroyed. A batch longer than
 * {@code spring.lifecycle.timeout-per-shutdown-phase} (30 s by default) is still finished: the
 * runner's close waits for it. Thread-safe.
 */
public final class ProjectionRunnerLifecycle implements SmartLifecycle {

  private final ProjectionRunner runner;
  private final List<String> projectors;
  private volatile boolean running;

  /**
   * A lifecycle for {@code projectors} of {@code runner}.
   *
   * @param projectors the names of the projectors to start and stop, all registered in the runner
   */
  public ProjectionRunnerLifecycle(ProjectionRunner runner, List<String> projectors) {
    this.runner = Objects.requireNonNull(runner, "runner must not be null");
    this.projectors = List.copyOf(projectors);
  }

  /** The names of the projectors it starts and stops. */
  public List<String> projectors() {
    return projectors;
  }

  @Override
  public synchronized void start() {
    for (String projector : projectors) {
      runner.start(projector);
    }
    running = true;
  }

  /** Stops every projector on this node, each once its batch in hand is done; waits for that. */
  @Override
  public synchronized void stop() {
    // Reported as stopped from the first moment: health turns DOWN while batches finish.
    running = false;
    for (String projector : projectors) {
      runner.stop(projector);
    }
  }

  /** Whether the projectors were started and not stopped since. */
  @Override
  public boolean isRunning() {
    return running;
  }
}
