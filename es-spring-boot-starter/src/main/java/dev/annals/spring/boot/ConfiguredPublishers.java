package dev.annals.spring.boot;

import dev.annals.projections.ProjectionRunner;
import dev.annals.projections.Projector;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The publishers of {@code annals.publishers}, built as projectors for the projection runner.
 *
 * @param projectors one per configured publisher, named as configured
 * @param onRunner told the runner once it is built, to bind the publishers' gauges to it
 */
public record ConfiguredPublishers(List<Projector> projectors, Consumer<ProjectionRunner> onRunner) {

  /** Copies the list. */
  public ConfiguredPublishers {
    projectors = List.copyOf(projectors);
    Objects.requireNonNull(onRunner, "onRunner must not be null");
  }

  /** Publishers that need not know the runner. */
  public ConfiguredPublishers(List<Projector> projectors) {
    this(projectors, runner -> { });
  }

  /** The publishers' names. */
  public List<String> names() {
    return projectors.stream().map(Projector::name).toList();
  }
}
