package dev.annals.bank.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.annals.bank.Bank;
import dev.annals.bank.domain.Account;
import dev.annals.console.ConsoleCustomizer;
import dev.annals.console.StateDecoder;
import dev.annals.core.EventRegistry;
import dev.annals.messaging.MessageSink;
import dev.annals.micrometer.AnnalsMetrics;
import dev.annals.micrometer.MessagingMetrics;
import dev.annals.opentelemetry.AnnalsTracing;
import dev.annals.opentelemetry.MessagingTracing;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.projections.ProjectionRunner;
import dev.annals.web.EventFollowing;
import io.opentelemetry.api.OpenTelemetry;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.UnaryOperator;
import jakarta.servlet.Filter;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.core.Ordered;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.web.servlet.function.RouterFunction;
import org.springframework.web.servlet.function.ServerResponse;

/**
 * The bank's Spring Boot application: the API's controller, its error handling and the feeds as
 * beans, no component scanning. The event store is the bank's own ({@link BankServer} makes it
 * from {@code BANK_DB_URL} with the demo's roles), so the starter's store backs off; the
 * starter's metrics and tracing ({@link AnnalsMetrics}, {@link AnnalsTracing}, made from Boot's
 * Prometheus registry and OpenTelemetry SDK) observe the bank's repositories and projectors, and
 * its health indicators report the projectors under {@code /actuator/health}. With
 * {@code annals.console.enabled=true} ({@code bank serve --console}) es-console serves the
 * operator's console over the bank's store and projectors, on a server and login of its own.
 */
@SpringBootConfiguration(proxyBeanMethods = false)
@EnableAutoConfiguration
@Import({BankApi.class, ApiErrors.class, ProblemErrorController.class})
class BankWebApplication {

  /** Most bytes of a request line and its headers; commands need a few hundred. */
  static final int MAX_HEAD = 16 * 1024;
  /** Most header lines of a request. */
  static final int MAX_HEADERS = 100;

  /**
   * What {@link BankServer} hands the application.
   *
   * @param bank a bank the caller owns and closes, or empty to start one on {@code store}
   * @param store the bank's event store
   * @param nodeId the node id of a bank started here
   * @param publishTo where a bank started here publishes its account events; it closes the sink
   * @param heartbeat how long a feed stays silent before a comment line
   * @param maxFeeds how many followers may be open at once, of both feed paths and every kind
   */
  record Settings(Optional<Bank> bank, PostgresEventStore store, String nodeId, Optional<MessageSink> publishTo,
      Duration heartbeat, int maxFeeds) {

    Settings {
      Objects.requireNonNull(bank, "bank must not be null");
      Objects.requireNonNull(store, "store must not be null");
      Objects.requireNonNull(nodeId, "nodeId must not be null");
      Objects.requireNonNull(publishTo, "publishTo must not be null");
      Objects.requireNonNull(heartbeat, "heartbeat must not be null");
    }
  }

  /**
   * The application's settings, as defaults that {@code application.properties}, the environment
   * or a test may override.
   */
  static Map<String, Object> defaults() {
    return Map.ofEntries(
        Map.entry("spring.application.name", "annals-bank"),
        // The bank's store comes from BankStorage (roles, the demo's schema), not from a DataSource.
        // Spring Security comes with es-console, whose server runs in a context of its own: the
        // bank's API, page and Actuator stay as open as they were, with or without the console.
        Map.entry("spring.autoconfigure.exclude", String.join(",",
            "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
            "org.springframework.boot.security.autoconfigure.SecurityAutoConfiguration",
            "org.springframework.boot.security.autoconfigure.UserDetailsServiceAutoConfiguration",
            "org.springframework.boot.security.autoconfigure.web.servlet.ServletWebSecurityAutoConfiguration",
            "org.springframework.boot.security.autoconfigure.web.servlet.SecurityFilterAutoConfiguration",
            "org.springframework.boot.security.autoconfigure.actuate.web.servlet.ManagementWebSecurityAutoConfiguration")),
        // The API serves its three assets itself; every other path is the API's 404.
        Map.entry("spring.web.resources.add-mappings", "false"),
        Map.entry("server.error.whitelabel.enabled", "false"),
        Map.entry("server.error.include-stacktrace", "never"),
        Map.entry("server.error.include-message", "never"),
        // Feeds never end by themselves: waiting for them would hold a stop for its whole timeout.
        Map.entry("server.shutdown", "immediate"),
        Map.entry("management.endpoints.web.exposure.include", "health,metrics,prometheus"),
        Map.entry("management.endpoint.health.show-details", "always"),
        Map.entry("management.tracing.sampling.probability", "1.0"),
        // Boot's OpenTelemetry starter pushes metrics over OTLP by default; the bank is scraped instead
        // (/actuator/prometheus). Set it with management.otlp.metrics.export.url to push as well.
        Map.entry("management.otlp.metrics.export.enabled", "false"),
        // The bank starts its projectors itself (Bank.start).
        Map.entry("annals.projections.auto-start", "false"),
        Map.entry("annals.health.max-lag", "1m"));
  }

  /** The bank's JSON mapper (Jackson 2), for the API's bodies and problems. */
  @Bean
  ObjectMapper bankJson() {
    return BankApi.mapper();
  }

  /** The bank handed over by {@link BankServer}, or one started here, observed, closed with the context. */
  @Bean
  BankHolder bankHolder(Settings settings, ObjectProvider<AnnalsMetrics> metrics,
      ObjectProvider<AnnalsTracing> tracing, ObjectProvider<OpenTelemetry> openTelemetry) {
    if (settings.bank().isPresent()) {
      return new BankHolder(settings.bank().get(), false);
    }
    AnnalsMetrics m = metrics.getIfAvailable();
    AnnalsTracing t = tracing.getIfAvailable();
    OpenTelemetry otel = openTelemetry.getIfAvailable();
    UnaryOperator<MessageSink> sink = s -> s;
    if (otel != null) {
      MessagingTracing messaging = MessagingTracing.create(otel);
      sink = s -> messaging.tracingSink(dev.annals.bank.BankPublishing.PUBLISHER, s);
    }
    MessagingMetrics messaging = m == null ? null : MessagingMetrics.create(m.registry());
    if (messaging != null) {
      UnaryOperator<MessageSink> traced = sink;
      sink = s -> messaging.countingSink(dev.annals.bank.BankPublishing.PUBLISHER, traced.apply(s));
    }
    Optional<dev.annals.core.RepositoryObserver> repositories = Optional.empty();
    Optional<dev.annals.projections.ProjectionObserver> projections = Optional.empty();
    if (m != null) {
      repositories = Optional.of(m.repositoryObserver());
      projections = Optional.of(m.projectionObserver());
    }
    if (t != null) {
      repositories = Optional.of(repositories.map(r -> r.andThen(t.repositoryObserver())).orElse(t.repositoryObserver()));
    }
    Bank.Observation observation = new Bank.Observation(
        t == null ? UnaryOperator.identity() : t::tracedStore, repositories, projections,
        Optional.ofNullable(t).map(AnnalsTracing::batchScope), sink,
        runner -> {
          if (m != null) {
            m.bindStatus(runner);
            if (settings.publishTo().isPresent()) {
              messaging.bindPublisher(runner, dev.annals.bank.BankPublishing.PUBLISHER);
            }
          }
        });
    return new BankHolder(Bank.start(settings.store(), settings.nodeId(), settings.publishTo(), observation), true);
  }

  /** The bank, for the controller and for {@link BankServer#bank()}; closed by its holder, if at all. */
  @Bean(destroyMethod = "")
  Bank bank(BankHolder holder) {
    return holder.bank();
  }

  /**
   * The bank's event store, for the console ({@code annals.console.enabled}); {@link BankServer}
   * closes it, not the context.
   */
  @Bean(destroyMethod = "")
  PostgresEventStore bankStore(Settings settings) {
    return settings.store();
  }

  /** The store's registry (the bank's events), which the starter's beans over a store ask for. */
  @Bean
  EventRegistry bankEvents(PostgresEventStore store) {
    return store.registry();
  }

  /** The console's "state as of" for accounts: the account's state folded by the bank's repository. */
  @Bean
  ConsoleCustomizer bankConsole(Bank bank) {
    return console -> console.decoder(Account.TYPE.category(), StateDecoder.of(bank.accounts()));
  }

  /** The bank's projection runner, for the starter's health indicators; the bank closes it. */
  @Bean(destroyMethod = "")
  ProjectionRunner bankProjections(Bank bank) {
    return bank.projections();
  }

  /** The followers of the account events: es-web's, with the bank's heartbeat and cap; closed with the context. */
  @Bean
  EventFollowing bankFollowing(Settings settings) {
    return BankFeeds.following(settings.store(), settings.heartbeat(), settings.maxFeeds());
  }

  /** {@code /events} and {@code /accounts/{id}/events}: SSE, long polling and WebSocket. */
  @Bean
  RouterFunction<ServerResponse> bankFeeds(EventFollowing following, ObjectMapper json) {
    return BankFeeds.routes(following, json);
  }

  /**
   * Tomcat's own error answers (before Spring sees a request) as problem details, and the limits
   * of a request's head.
   */
  @Bean
  WebServerFactoryCustomizer<TomcatServletWebServerFactory> tomcat() {
    return factory -> {
      factory.addContextCustomizers(context -> {
        if (context.getParent() instanceof org.apache.catalina.core.StandardHost host) {
          host.setErrorReportValveClass(ProblemReportValve.class.getName());
        }
      });
      factory.addConnectorCustomizers(connector -> {
        connector.setProperty("maxHttpRequestHeaderSize", Integer.toString(MAX_HEAD));
        connector.setProperty("maxHeaderCount", Integer.toString(MAX_HEADERS));
      });
    };
  }

  /**
   * Refuses HTTP/0.9 (a request line without a version), which Tomcat would serve: its answer has
   * no status line or headers, so the refusal is the problem's body alone.
   */
  @Bean
  FilterRegistrationBean<Filter> refuseHttp09(ObjectMapper json) {
    FilterRegistrationBean<Filter> registration = new FilterRegistrationBean<>((request, response, chain) -> {
      String protocol = request.getProtocol();
      // Tomcat names it with an empty protocol.
      if (protocol == null || protocol.isEmpty() || protocol.equals("HTTP/0.9")) {
        ((HttpServletResponse) response).setStatus(400);
        response.getOutputStream().write(Problems.body(json, Problems.of(400, "bad_request",
            "HTTP/0.9 is not served: send METHOD /path HTTP/1.1", null, Map.of())));
        return;
      }
      chain.doFilter(request, response);
    });
    registration.setOrder(Ordered.HIGHEST_PRECEDENCE);
    return registration;
  }

  /** Owns the bank when it was started here: closes it with the context, after the server stopped. */
  record BankHolder(Bank bank, boolean owned) implements AutoCloseable {
    @Override
    public void close() {
      if (owned) {
        bank.close();
      }
    }
  }
}
