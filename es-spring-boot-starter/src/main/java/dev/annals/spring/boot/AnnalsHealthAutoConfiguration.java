package dev.annals.spring.boot;

import dev.annals.projections.ProjectionRunner;
import dev.annals.projections.Projector;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * A health indicator per projector and per configured publisher, grouped as the health
 * contributor {@code annals} ({@code /actuator/health/annals/projectors/<name>} and
 * {@code .../publishers/<name>}), when Spring Boot's health support is on the class path.
 */
@AutoConfiguration(after = AnnalsProjectionsAutoConfiguration.class)
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnBean(ProjectionRunner.class)
public class AnnalsHealthAutoConfiguration {

  /** Created by Spring. */
  public AnnalsHealthAutoConfiguration() {}

  /**
   * The {@code annals} health contributor: {@code projectors} with one indicator per
   * {@link Projector} bean (or, when there is none, per projector of the application's own
   * runner), and {@code publishers} with one per configured publisher.
   */
  @Bean
  @ConditionalOnMissingBean(name = "annalsHealthContributor")
  public CompositeHealthContributor annalsHealthContributor(ProjectionRunner runner,
      ObjectProvider<Projector> projectors, ObjectProvider<ConfiguredPublishers> publishers,
      ObjectProvider<ProjectionRunnerLifecycle> lifecycle, AnnalsProperties properties) {
    // Without the starter's lifecycle the application runs the projectors itself: the database
    // status alone then tells whether they run.
    BooleanSupplier runningHere = () -> lifecycle.getIfAvailable() == null || lifecycle.getIfAvailable().isRunning();
    Map<String, HealthContributor> groups = new LinkedHashMap<>();
    List<String> publisherNames = publishers.getIfAvailable(() -> new ConfiguredPublishers(List.of())).names();
    List<String> projectorNames = projectors.orderedStream().map(Projector::name).toList();
    if (projectorNames.isEmpty()) {
      // The application's own runner, built from projectors that are not beans: report its own.
      projectorNames = runner.projectorNames().stream().filter(name -> !publisherNames.contains(name)).toList();
    }
    groups.put("projectors", indicators(runner, projectorNames, properties.health(), runningHere));
    if (!publisherNames.isEmpty()) {
      groups.put("publishers", indicators(runner, publisherNames, properties.health(), runningHere));
    }
    return CompositeHealthContributor.fromMap(groups);
  }

  private static CompositeHealthContributor indicators(ProjectionRunner runner, List<String> names,
      AnnalsProperties.Health bounds, BooleanSupplier runningHere) {
    Map<String, HealthContributor> indicators = new LinkedHashMap<>();
    for (String name : names) {
      indicators.put(name, new ProjectorHealthIndicator(runner, name, bounds, runningHere));
    }
    return CompositeHealthContributor.fromMap(indicators);
  }
}
