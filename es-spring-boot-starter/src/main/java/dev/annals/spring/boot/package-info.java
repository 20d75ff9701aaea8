/**
 * The Spring Boot auto-configuration of Annals: event and snapshot stores on the application's
 * {@code DataSource}, a repository per {@code AggregateType} bean, a projection runner for the
 * {@code Projector} beans and configured publishers started with the context, and their health.
 * Settings are {@link dev.annals.spring.boot.AnnalsProperties}, under {@code annals}.
 *
 * <p>Each concern is its own auto-configuration, ordered after the one it builds on and switched
 * on by what is on the class path ({@code es-messaging} for publishers, {@code spring-boot-health}
 * for health, {@code es-micrometer} with a {@code MeterRegistry} bean for metrics,
 * {@code es-opentelemetry} with an {@code OpenTelemetry} bean for tracing), and listed in
 * {@code AutoConfiguration.imports}.
 */
package dev.annals.spring.boot;
