/**
 * The Spring Boot auto-configuration of Annals: event and snapshot stores on the application's
 * {@code DataSource}, a repository per {@code AggregateType} bean, a projection runner for the
 * {@code Projector} beans and configured publishers started with the context, and their health.
 * Settings are {@link dev.annals.spring.boot.AnnalsProperties}, under {@code annals}.
 */
package dev.annals.spring.boot;
