package dev.annals.spring.boot;

import dev.annals.opentelemetry.AnnalsTracing;
import io.opentelemetry.api.OpenTelemetry;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * OpenTelemetry tracing (es-opentelemetry) of the auto-configured repositories and projectors,
 * when es-opentelemetry is on the class path and the application has an {@link OpenTelemetry}
 * bean (as Spring Boot's {@code spring-boot-starter-opentelemetry} makes): appends in spans whose
 * context goes into the events' metadata, load spans, and a span per projector batch. Backs off
 * for an {@link AnnalsTracing} bean of the application's, and then uses that one.
 */
@AutoConfiguration(afterName = {
    "org.springframework.boot.opentelemetry.autoconfigure.OpenTelemetrySdkAutoConfiguration",
    "org.springframework.boot.micrometer.tracing.opentelemetry.autoconfigure.OpenTelemetryTracingAutoConfiguration"})
@ConditionalOnClass({AnnalsTracing.class, OpenTelemetry.class})
@ConditionalOnBean(OpenTelemetry.class)
public class AnnalsTracingAutoConfiguration {

  /** Created by Spring. */
  public AnnalsTracingAutoConfiguration() {}

  /** Tracing with the application's {@link OpenTelemetry}. */
  @Bean
  @ConditionalOnMissingBean
  public AnnalsTracing annalsTracing(OpenTelemetry openTelemetry) {
    return AnnalsTracing.create(openTelemetry);
  }

  /** Hands the tracing's store wrapper and observers to the repositories and the runner. */
  @Bean
  Instrumentation annalsTracingInstrumentation(AnnalsTracing tracing) {
    return new Instrumentation(tracing::tracedStore, tracing.repositoryObserver(), tracing.projectionObserver(),
        runner -> { });
  }
}
