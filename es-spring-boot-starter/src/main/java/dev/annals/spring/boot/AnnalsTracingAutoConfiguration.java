package dev.annals.spring.boot;

import dev.annals.opentelemetry.AnnalsTracing;
import dev.annals.opentelemetry.MessagingTracing;
import io.opentelemetry.api.OpenTelemetry;
import java.util.Optional;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * OpenTelemetry tracing (es-opentelemetry) of the auto-configured repositories, projectors and
 * publishers, when es-opentelemetry is on the class path and the application has an {@link
 * OpenTelemetry} bean (as Spring Boot's {@code spring-boot-starter-opentelemetry} makes): appends
 * in spans whose context goes into the events' metadata, load spans, a span per projector batch
 * and a producer span per batch a publisher sends. Backs off
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

  /**
   * Hands the tracing's store wrapper and observer to the repositories, and its batch scope to
   * the runner: each batch's span is current while the projectors' handlers run, so their log
   * lines carry its trace id.
   */
  @Bean
  Instrumentation annalsTracingInstrumentation(AnnalsTracing tracing) {
    return new Instrumentation(tracing::tracedStore, tracing.repositoryObserver(), Optional.empty(),
        Optional.of(tracing.batchScope()), runner -> { });
  }

  /** Publisher tracing, when es-messaging is on the class path. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "dev.annals.messaging.Publisher")
  static class PublisherTracingConfiguration {

    /** Sends each configured publisher's batches in a producer span (es-opentelemetry {@code MessagingTracing}). */
    @Bean
    PublisherInstrumentation annalsPublisherTracingInstrumentation(OpenTelemetry openTelemetry) {
      MessagingTracing tracing = MessagingTracing.create(openTelemetry);
      return new PublisherInstrumentation(tracing::tracingSink, (runner, name) -> { });
    }
  }
}
