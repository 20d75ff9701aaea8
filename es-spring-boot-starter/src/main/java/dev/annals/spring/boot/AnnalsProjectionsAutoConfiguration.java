package dev.annals.spring.boot;

import dev.annals.core.EventRegistry;
import dev.annals.core.LogFilter;
import dev.annals.messaging.CloudEventMapper;
import dev.annals.messaging.MessageSink;
import dev.annals.messaging.Publisher;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.projections.ProjectionRunner;
import dev.annals.projections.Projector;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanNotOfRequiredTypeException;
import org.springframework.beans.factory.NoSuchBeanDefinitionException;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;

/**
 * A {@link ProjectionRunner} for the {@link Projector} beans and the publishers configured under
 * {@code annals.publishers}, started and stopped with the application context by a
 * {@link ProjectionRunnerLifecycle}. Each bean backs off when the application defines its own.
 */
@AutoConfiguration(after = AnnalsAutoConfiguration.class)
@ConditionalOnBean(PostgresEventStore.class)
public class AnnalsProjectionsAutoConfiguration {

  /** Created by Spring. */
  public AnnalsProjectionsAutoConfiguration() {}

  /**
   * The runner of every {@link Projector} bean and configured publisher, with
   * {@code annals.projections.*}, observed by the metrics and tracing of es-micrometer and
   * es-opentelemetry when they are configured (tracing's batch span current while the handlers
   * run). Not started here: see {@link ProjectionRunnerLifecycle}.
   */
  @Bean
  @ConditionalOnMissingBean
  @Conditional(OnProjectorsCondition.class)
  public ProjectionRunner annalsProjectionRunner(PostgresEventStore store, ObjectProvider<Projector> projectors,
      ObjectProvider<ConfiguredPublishers> publishers, AnnalsProperties properties,
      ObjectProvider<Instrumentation> instrumentation) {
    if (!properties.publishers().isEmpty() && publishers.getIfAvailable() == null) {
      throw new IllegalStateException("annals.publishers configures " + properties.publishers().keySet()
          + ", but es-messaging (dev.annals:es-messaging) is not on the class path");
    }
    AnnalsProperties.Projections settings = properties.projections();
    ProjectionRunner.Builder builder = ProjectionRunner.builder(store)
        .projectors(projectorsOf(projectors, publishers))
        .leaseDuration(settings.leaseDuration())
        .pollInterval(settings.pollMin(), settings.pollMax())
        .idleTransactionTimeout(settings.idleTransactionTimeout())
        .installSchema(SchemaSetup.applicationInstalls(properties.store()));
    if (settings.nodeId() != null) {
      builder.nodeId(settings.nodeId());
    }
    List<Instrumentation> all = instrumentation.orderedStream().toList();
    Instrumentation.projectionObserver(all).ifPresent(builder::observer);
    Instrumentation.batchScope(all).ifPresent(builder::batchScope);
    ProjectionRunner runner = builder.build();
    all.forEach(i -> i.runner().accept(runner));
    publishers.ifAvailable(p -> p.onRunner().accept(runner));
    return runner;
  }

  /**
   * Starts the runner's projectors when the context has started and stops them, each finishing
   * its batch in hand, when it stops. Off with {@code annals.projections.auto-start=false}.
   */
  @Bean
  @ConditionalOnMissingBean
  @Conditional(OnProjectorsCondition.class)
  @ConditionalOnProperty(name = "annals.projections.auto-start", havingValue = "true", matchIfMissing = true)
  public ProjectionRunnerLifecycle annalsProjectionRunnerLifecycle(ProjectionRunner runner,
      ObjectProvider<Projector> projectors, ObjectProvider<ConfiguredPublishers> publishers) {
    return new ProjectionRunnerLifecycle(runner,
        projectorsOf(projectors, publishers).stream().map(Projector::name).toList());
  }

  static List<Projector> projectorsOf(ObjectProvider<Projector> projectors,
      ObjectProvider<ConfiguredPublishers> publishers) {
    List<Projector> all = new ArrayList<>(projectors.orderedStream().toList());
    publishers.ifAvailable(p -> all.addAll(p.projectors()));
    return all;
  }

  /** The publishers of {@code annals.publishers}, when es-messaging is on the class path. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "dev.annals.messaging.Publisher")
  static class PublishersConfiguration {

    /**
     * One publisher projector per entry of {@code annals.publishers}, each to its sink bean, with
     * the metrics and tracing of es-micrometer and es-opentelemetry when they are configured.
     */
    @Bean
    @ConditionalOnMissingBean
    ConfiguredPublishers annalsConfiguredPublishers(AnnalsProperties properties, EventRegistry registry,
        BeanFactory beans, ObjectProvider<PublisherInstrumentation> instrumentation) {
      List<PublisherInstrumentation> all = instrumentation.orderedStream().toList();
      List<Projector> publishers = new ArrayList<>();
      for (Map.Entry<String, AnnalsProperties.Publisher> entry : properties.publishers().entrySet()) {
        String name = entry.getKey();
        AnnalsProperties.Publisher settings = entry.getValue();
        MessageSink sink;
        try {
          sink = beans.getBean(settings.sink(), MessageSink.class);
        } catch (NoSuchBeanDefinitionException | BeanNotOfRequiredTypeException e) {
          throw new IllegalStateException("annals.publishers." + name + ".sink names '" + settings.sink()
              + "', but there is no MessageSink bean of that name", e);
        }
        LogFilter filter = settings.categories().isEmpty() ? LogFilter.all()
            : LogFilter.categories(settings.categories().toArray(String[]::new));
        if (!settings.types().isEmpty()) {
          filter = filter.withTypes(settings.types().toArray(String[]::new));
        }
        publishers.add(Publisher.builder(name, PublisherInstrumentation.wrap(name, sink, all))
            .mapper(CloudEventMapper.builder(registry).source(settings.source()).build())
            .filter(filter)
            .partitions(settings.partitions())
            .batchSize(settings.batchSize())
            .build());
      }
      List<String> names = publishers.stream().map(Projector::name).toList();
      return new ConfiguredPublishers(publishers,
          runner -> names.forEach(name -> all.forEach(i -> i.runner().accept(runner, name))));
    }
  }
}
