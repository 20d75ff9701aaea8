package dev.annals.console;

import dev.annals.postgres.PostgresEventStore;
import dev.annals.projections.ProjectionRunner;
import dev.annals.spring.boot.AnnalsProjectionsAutoConfiguration;
import java.net.InetAddress;
import java.net.UnknownHostException;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/**
 * Starts the operator's console with an application that uses the starter, when
 * {@code annals.console.enabled=true}: over the application's event store and projection runner,
 * on its own server and port (see {@link ConsoleServer}).
 */
@AutoConfiguration(after = AnnalsProjectionsAutoConfiguration.class)
@ConditionalOnProperty(name = "annals.console.enabled", havingValue = "true")
@ConditionalOnBean(PostgresEventStore.class)
@EnableConfigurationProperties(ConsoleProperties.class)
public class ConsoleAutoConfiguration {

  /** Created by Spring. */
  public ConsoleAutoConfiguration() {}

  /** The console, started here and stopped with the context. */
  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean
  public ConsoleServer annalsConsole(PostgresEventStore store, ObjectProvider<ProjectionRunner> runner,
      ObjectProvider<ConsoleCustomizer> customizers, ConsoleProperties properties) {
    ConsoleServer.Builder builder = ConsoleServer.builder(store).port(properties.port());
    try {
      builder.address(InetAddress.getByName(properties.address()));
    } catch (UnknownHostException e) {
      throw new IllegalStateException("annals.console.address '" + Checks.shorten(properties.address())
          + "' is not an address of this machine", e);
    }
    runner.ifAvailable(builder::runner);
    for (int i = 0; i < properties.users().size(); i++) {
      try {
        builder.user(ConsoleUser.parse(properties.users().get(i)));
      } catch (IllegalArgumentException e) {
        // The message names the user, never the password.
        throw new IllegalStateException("annals.console.users[" + i + "]: " + e.getMessage(), e);
      }
    }
    customizers.orderedStream().forEach(c -> c.customize(builder));
    return builder.start();
  }
}
