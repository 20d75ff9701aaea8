package dev.annals.spring.boot;

import dev.annals.projections.Projector;
import java.util.List;

/**
 * The publishers of {@code annals.publishers}, built as projectors for the projection runner.
 *
 * @param projectors one per configured publisher, named as configured
 */
public record ConfiguredPublishers(List<Projector> projectors) {

  /** Copies the list. */
  public ConfiguredPublishers {
    projectors = List.copyOf(projectors);
  }

  /** The publishers' names. */
  public List<String> names() {
    return projectors.stream().map(Projector::name).toList();
  }
}
