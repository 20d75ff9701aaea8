package dev.annals.spring.boot;

import dev.annals.micrometer.AnnalsMetrics;
import dev.annals.micrometer.MessagingMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Micrometer metrics (es-micrometer) of the auto-configured repositories, projectors and
 * publishers, when es-micrometer is on the class path and the application has a {@link
 * MeterRegistry} bean (as Spring Boot's Actuator makes). The meters are listed in docs/observability.md. Backs off for an
 * {@link AnnalsMetrics} bean of the application's, and then uses that one.
 */
@AutoConfiguration(afterName = {
    "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
    "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
    "org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration",
    "org.springframework.boot.micrometer.metrics.autoconfigure.export.prometheus.PrometheusMetricsExportAutoConfiguration"})
@ConditionalOnClass({AnnalsMetrics.class, MeterRegistry.class})
@ConditionalOnBean(MeterRegistry.class)
public class AnnalsMetricsAutoConfiguration {

  /** Created by Spring. */
  public AnnalsMetricsAutoConfiguration() {}

  /** Metrics recorded in the application's {@link MeterRegistry}. */
  @Bean
  @ConditionalOnMissingBean
  public AnnalsMetrics annalsMetrics(MeterRegistry registry) {
    return AnnalsMetrics.create(registry);
  }

  /** Hands the metrics' observers to the repositories and the runner, and binds the lag gauges. */
  @Bean
  Instrumentation annalsMetricsInstrumentation(AnnalsMetrics metrics) {
    return new Instrumentation(UnaryOperator.identity(), metrics.repositoryObserver(),
        Optional.of(metrics.projectionObserver()), Optional.empty(), metrics::bindStatus);
  }

  /** Publisher metrics, when es-messaging is on the class path. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "dev.annals.messaging.Publisher")
  static class PublisherMetricsConfiguration {

    /**
     * Counts what each configured publisher's broker confirmed and failed to, and binds its lag
     * gauges (es-micrometer {@code MessagingMetrics}).
     */
    @Bean
    PublisherInstrumentation annalsPublisherMetricsInstrumentation(AnnalsMetrics metrics) {
      MessagingMetrics messaging = MessagingMetrics.create(metrics.registry());
      return new PublisherInstrumentation(messaging::countingSink, messaging::bindPublisher);
    }
  }
}
