package dev.annals.console;

import dev.annals.core.EventRegistry;
import dev.annals.messaging.webhooks.Webhooks;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.projections.ProjectionRunner;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.context.logging.LoggingApplicationListener;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The operator's console: a web page and a JSON API over one event store (and, when given, the
 * application's projection runner), on its own HTTP server, behind a login.
 *
 * <pre>{@code
 * try (ConsoleServer console = ConsoleServer.builder(store)
 *     .runner(runner)
 *     .user(ConsoleUser.parse("alice:operator:{bcrypt}$2a$10$..."))
 *     .port(8089)
 *     .start()) {
 *   ...
 * }
 * }</pre>
 *
 * <p>It binds to 127.0.0.1 unless told otherwise. Without users, it makes one operator with a
 * random password and prints both once, to the given stream (standard output by default), and
 * nowhere else. Every action is recorded as an event in the store's {@value Audit#CATEGORY}
 * category. The server runs in a Spring Boot context of its own, so it neither sees nor changes
 * the embedding application's beans, security or logging. Thread-safe; {@link #close} stops it.
 */
public final class ConsoleServer implements AutoCloseable {

  private final ConfigurableApplicationContext context;
  private final URI uri;

  private ConsoleServer(ConfigurableApplicationContext context, URI uri) {
    this.context = context;
    this.uri = uri;
  }

  /** Starts configuring a console over {@code store}. */
  public static Builder builder(PostgresEventStore store) {
    return new Builder(store);
  }

  /**
   * Registers the console's audit event ({@value Audit#TYPE}) in an application's registry, so
   * that its projectors and publishers that read every category can decode it (and skip or
   * filter it) instead of parking it as an unknown type. Returns {@code registry}.
   */
  public static EventRegistry.Builder registerAuditEvents(EventRegistry.Builder registry) {
    return registry.register(Audit.ActionRecorded.class, Audit.TYPE);
  }

  /** Where the console listens, e.g. {@code http://127.0.0.1:8089/}. */
  public URI uri() {
    return uri;
  }

  /** Stops the server. Idempotent; does not close the store or the runner. */
  @Override
  public void close() {
    context.close();
  }

  /** The console's settings, checked; handed to its Spring context. */
  record Settings(PostgresEventStore store, Optional<ProjectionRunner> runner, Optional<Webhooks> webhooks,
      Map<String, StateDecoder> decoders, List<ConsoleUser> users) {}

  /** Configures and starts a {@link ConsoleServer}. Not thread-safe. */
  public static final class Builder {

    private final PostgresEventStore store;
    private ProjectionRunner runner;
    private Webhooks webhooks;
    private final Map<String, StateDecoder> decoders = new HashMap<>();
    private final Map<String, ConsoleUser> users = new LinkedHashMap<>();
    private InetAddress address;
    private int port = 8089;
    private PrintStream out = System.out;

    private Builder(PostgresEventStore store) {
      this.store = Objects.requireNonNull(store, "store must not be null");
      try {
        this.address = InetAddress.getByName("127.0.0.1");
      } catch (UnknownHostException e) {
        throw new IllegalStateException("cannot resolve 127.0.0.1", e);
      }
    }

    /** The application's projection runner, whose projectors the console shows and steers. */
    public Builder runner(ProjectionRunner runner) {
      this.runner = Objects.requireNonNull(runner, "runner must not be null");
      return this;
    }

    /** The application's webhooks, whose subscriptions and parked deliveries the console shows and replays. */
    public Builder webhooks(Webhooks webhooks) {
      this.webhooks = Objects.requireNonNull(webhooks, "webhooks must not be null");
      return this;
    }

    /** How to build the state of the streams of {@code category}, for the stream view. */
    public Builder decoder(String category, StateDecoder decoder) {
      dev.annals.core.StreamId.of(category, "x");
      Objects.requireNonNull(decoder, "decoder must not be null");
      if (decoders.putIfAbsent(category, decoder) != null) {
        throw new IllegalStateException("a state decoder for category '" + category + "' was already set");
      }
      return this;
    }

    /** A user who may log in; several may be added, each name once. */
    public Builder user(ConsoleUser user) {
      Objects.requireNonNull(user, "user must not be null");
      if (users.putIfAbsent(user.name(), user) != null) {
        throw new IllegalStateException("console user '" + user.name() + "' was already added");
      }
      return this;
    }

    /** The address to listen on; 127.0.0.1 by default. */
    public Builder address(InetAddress address) {
      this.address = Objects.requireNonNull(address, "address must not be null");
      return this;
    }

    /** The port, 0 for any free one; 8089 by default. */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("console port must be 0 to 65535, was " + port);
      }
      this.port = port;
      return this;
    }

    /** Where the generated password is printed when no user is given; standard output by default. */
    public Builder out(PrintStream out) {
      this.out = Objects.requireNonNull(out, "out must not be null");
      return this;
    }

    /**
     * Starts the server.
     *
     * @throws IllegalStateException if it cannot start (the port is taken, for example)
     */
    public ConsoleServer start() {
      List<ConsoleUser> all = new ArrayList<>(users.values());
      String generated = null;
      if (all.isEmpty()) {
        byte[] secret = new byte[18];
        new SecureRandom().nextBytes(secret);
        generated = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        all.add(new ConsoleUser("operator", ConsoleRole.OPERATOR, "{noop}" + generated));
      }
      Settings settings = new Settings(store, Optional.ofNullable(runner), Optional.ofNullable(webhooks), Map.copyOf(decoders), List.copyOf(all));

      SpringApplication app = new SpringApplication(ConsoleWebConfiguration.class);
      app.setWebApplicationType(WebApplicationType.SERVLET);
      app.setBannerMode(org.springframework.boot.Banner.Mode.OFF);
      app.setLogStartupInfo(false);
      app.setRegisterShutdownHook(false);
      // The console's context must leave the embedding application's logging as it is.
      app.setListeners(app.getListeners().stream()
          .filter(l -> !(l instanceof LoggingApplicationListener)).toList());
      app.addInitializers(ctx -> ctx.getBeanFactory().registerSingleton("annalsConsoleSettings", settings));
      ConfigurableApplicationContext context;
      try {
        context = app.run(
            // Only these settings: none of the application's files or properties apply here.
            "--spring.config.location=optional:classpath:/dev/annals/console/config/",
            "--server.address=" + address.getHostAddress(),
            "--server.port=" + port,
            "--server.shutdown=immediate",
            "--server.error.include-stacktrace=never",
            "--server.error.include-message=never",
            "--server.error.whitelabel.enabled=false",
            "--server.servlet.session.cookie.name=ANNALS_CONSOLE",
            "--server.servlet.session.cookie.http-only=true",
            "--server.servlet.session.cookie.same-site=strict",
            "--spring.jmx.enabled=false",
            // Not /static: an embedding application would serve the page from its own server too.
            "--spring.web.resources.static-locations=classpath:/dev/annals/console/static/",
            "--spring.web.resources.chain.cache=false");
      } catch (RuntimeException e) {
        throw new IllegalStateException("the console cannot start on " + address.getHostAddress() + ":" + port
            + ": " + rootMessage(e), e);
      }
      int actual = ((WebServerApplicationContext) context).getWebServer().getPort();
      String host = address.getHostAddress().contains(":") ? "[" + address.getHostAddress() + "]"
          : address.getHostAddress();
      URI uri = URI.create("http://" + host + ":" + actual + "/");
      if (generated != null) {
        // Printed once, here; never logged, stored or sent.
        out.println("Annals console at " + uri + ": log in as 'operator' with password " + generated
            + " (generated for this run; configure users to choose your own)");
        out.flush();
      }
      return new ConsoleServer(context, uri);
    }

    private static String rootMessage(Throwable e) {
      Throwable t = e;
      while (t.getCause() != null && t.getCause() != t) {
        t = t.getCause();
      }
      return t.getClass().getSimpleName() + ": " + t.getMessage();
    }
  }
}
