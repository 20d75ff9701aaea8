package dev.annals.messaging.webhooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.annals.core.StreamId;
import dev.annals.messaging.Fixtures;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.projections.ProjectionRunner;
import dev.annals.testkit.PostgresTestDatabase;
import io.cloudevents.CloudEvent;
import io.cloudevents.jackson.JsonFormat;
import java.io.IOException;
import java.io.PushbackInputStream;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Webhooks against a real HTTP server on the loopback interface. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class WebhooksIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  static final StreamId ACCOUNT = StreamId.of("account", "w1");

  /** One request as the subscriber's server received it. */
  record Received(String path, Map<String, String> headers, byte[] body) {
    String header(String name) {
      return headers.get(name.toLowerCase());
    }
  }

  PostgresEventStore store;
  HttpServer server;
  final List<Received> requests = new CopyOnWriteArrayList<>();
  /** The status the server answers with for the next request; 200 unless a test says otherwise. */
  volatile int status = 200;
  final AtomicInteger failuresLeft = new AtomicInteger();
  final String secret = WebhookSignature.newSecret();
  final WebhookSecretKey key = WebhookSecretKey.generate();
  String schema;

  @BeforeEach
  void setUp() throws Exception {
    schema = db.newSchema();
    store = Fixtures.store(db, schema);
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", exchange -> {
      Map<String, String> headers = new TreeMap<>();
      exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(), v.get(0)));
      requests.add(new Received(exchange.getRequestURI().getPath(), headers,
          exchange.getRequestBody().readAllBytes()));
      int answer = failuresLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0 ? 500 : status;
      if (answer == 302) {
        exchange.getResponseHeaders().add("Location", "/elsewhere");
      }
      exchange.sendResponseHeaders(answer, -1);
      exchange.close();
    });
    server.start();
  }

  @AfterEach
  void tearDown() {
    server.stop(0);
    store.close();
  }

  URI url(String path) {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
  }

  Webhooks.Builder webhooks() {
    return Webhooks.builder(store, Fixtures.mapper()).secretKey(key).allowLoopback(true)
        .pollInterval(Duration.ofMillis(10)).requestTimeout(Duration.ofSeconds(5));
  }

  List<String> deliveredIds() {
    return requests.stream().map(r -> r.header(WebhookSignature.ID_HEADER)).toList();
  }

  @Test
  void a_subscriber_gets_the_events_it_asked_for_in_order_signed_with_its_secret() throws Exception {
    try (Webhooks webhooks = webhooks().build();
        ProjectionRunner runner = Fixtures.runner(store, "a", webhooks.projector())) {
      webhooks.subscribe(url("/hooks"), Set.of("Deposited"), secret);
      UUID one = Fixtures.append(store, ACCOUNT, new Fixtures.Deposited(1));
      Fixtures.append(store, ACCOUNT, new Fixtures.Frozen("not subscribed"));
      UUID two = Fixtures.append(store, ACCOUNT, new Fixtures.Deposited(2));
      runner.start();
      webhooks.start();
      Fixtures.await("two deliveries", Duration.ofSeconds(30), () -> requests.size() >= 2);

      assertThat(deliveredIds()).containsExactly(one.toString(), two.toString());
      for (Received r : requests) {
        String id = r.header(WebhookSignature.ID_HEADER);
        String timestamp = r.header(WebhookSignature.TIMESTAMP_HEADER);
        String signature = r.header(WebhookSignature.SIGNATURE_HEADER);
        assertThat(r.header("content-type")).isEqualTo("application/cloudevents+json");
        assertThat(WebhookSignature.verify(secret, id, timestamp, signature, r.body(), Duration.ofMinutes(5),
            Instant.now())).as("verifies with the shared secret").isTrue();
        assertThat(WebhookSignature.verify(WebhookSignature.newSecret(), id, timestamp, signature, r.body(),
            Duration.ofMinutes(5), Instant.now())).as("verifies with another secret").isFalse();
        CloudEvent event = new JsonFormat().deserialize(r.body());
        assertThat(event.getId()).isEqualTo(id);
        assertThat(event.getSubject()).isEqualTo("account-w1");
        assertThat(event.getType()).isEqualTo("Deposited");
      }
      // The dispatcher records a delivery only after the subscriber's response, which can come
      // well after the server saw the request.
      Fixtures.await("both deliveries recorded", Duration.ofSeconds(30), () -> {
        WebhookSubscription now = webhooks.subscriptions().get(0);
        return now.delivered() == 2 && now.pending() == 0;
      });
      WebhookSubscription s = webhooks.subscriptions().get(0);
      assertThat(s.delivered()).isEqualTo(2);
      assertThat(s.pending()).isZero();
      assertThat(storedSecrets()).as("the stored secret").singleElement().asString()
          .startsWith("aes-gcm:").doesNotContain(secret);
    }
  }

  List<String> storedSecrets() {
    return store.jdbi().withHandle(h -> h.createQuery("SELECT sealed_secret FROM " + schema
        + ".webhook_subscriptions ORDER BY created_at").mapTo(String.class).list());
  }

  @Test
  void a_failing_subscriber_is_retried_with_doubling_backoff_and_then_gets_everything_in_order() throws Exception {
    failuresLeft.set(3);
    try (Webhooks webhooks = webhooks().retries(Duration.ofMillis(300), Duration.ofSeconds(5)).build();
        ProjectionRunner runner = Fixtures.runner(store, "a", webhooks.projector())) {
      WebhookSubscription s = webhooks.subscribe(url("/hooks"), Set.of(), secret);
      UUID one = Fixtures.append(store, ACCOUNT, new Fixtures.Deposited(1));
      UUID two = Fixtures.append(store, ACCOUNT, new Fixtures.Deposited(2));
      runner.start();
      webhooks.start();
      Map<Integer, Duration> waits = new TreeMap<>();
      Fixtures.await("both events delivered", Duration.ofSeconds(30), () -> {
        WebhookSubscription now = webhooks.find(s.id()).orElseThrow();
        if (now.failures() > 0 && now.nextAttemptAt().isPresent() && now.lastAttemptAt().isPresent()) {
          waits.putIfAbsent(now.failures(), Duration.between(now.lastAttemptAt().get(), now.nextAttemptAt().get()));
        }
        return now.delivered() == 2;
      });

      assertThat(waits).as("wait after each failure in a row").containsExactly(
          Map.entry(1, Duration.ofMillis(300)), Map.entry(2, Duration.ofMillis(600)),
          Map.entry(3, Duration.ofMillis(1200)));
      assertThat(deliveredIds()).as("the first event tried until it went through, then the second")
          .containsExactly(one.toString(), one.toString(), one.toString(), one.toString(), two.toString());
      WebhookSubscription after = webhooks.find(s.id()).orElseThrow();
      assertThat(after.failures()).isZero();
      assertThat(after.failingSince()).isEmpty();
      assertThat(after.lastError()).get().asString().contains("HTTP 500");
    }
  }

  @Test
  void a_subscriber_failing_for_too_long_is_parked_and_replayed_later() throws Exception {
    status = 503;
    try (Webhooks webhooks = webhooks().retries(Duration.ofMillis(20), Duration.ofMillis(50))
            .parkAfter(Duration.ofMillis(300)).build();
        ProjectionRunner runner = Fixtures.runner(store, "a", webhooks.projector())) {
      WebhookSubscription s = webhooks.subscribe(url("/hooks"), Set.of(), secret);
      UUID one = Fixtures.append(store, ACCOUNT, new Fixtures.Deposited(1));
      UUID two = Fixtures.append(store, ACCOUNT, new Fixtures.Deposited(2));
      runner.start();
      webhooks.start();
      Fixtures.await("the subscription to be parked", Duration.ofSeconds(30),
          () -> webhooks.find(s.id()).orElseThrow().state() == WebhookSubscription.State.PARKED);

      assertThat(webhooks.pending(s.id())).extracting(WebhookDelivery::eventId).containsExactly(one, two);
      assertThat(webhooks.find(s.id()).orElseThrow().lastError()).get().asString().contains("HTTP 503");
      int triesWhileFailing = requests.size();
      UUID three = Fixtures.append(store, ACCOUNT, new Fixtures.Deposited(3));
      Fixtures.await("the new event queued for the parked subscription", Duration.ofSeconds(30),
          () -> webhooks.pending(s.id()).size() == 3);
      assertThat(requests).as("requests to a parked subscription").hasSize(triesWhileFailing);

      status = 200;
      webhooks.replay(s.id());
      Fixtures.await("the waiting events delivered", Duration.ofSeconds(30),
          () -> webhooks.pending(s.id()).isEmpty());
      assertThat(deliveredIds().subList(triesWhileFailing, requests.size()))
          .containsExactly(one.toString(), two.toString(), three.toString());
      assertThat(webhooks.find(s.id()).orElseThrow().state()).isEqualTo(WebhookSubscription.State.ACTIVE);
    }
  }

  @Test
  void a_redirect_is_refused_unless_allowed() throws Exception {
    status = 302;
    try (Webhooks webhooks = webhooks().retries(Duration.ofMillis(20), Duration.ofMillis(50)).build();
        ProjectionRunner runner = Fixtures.runner(store, "a", webhooks.projector())) {
      WebhookSubscription s = webhooks.subscribe(url("/moved"), Set.of(), secret);
      Fixtures.append(store, ACCOUNT, new Fixtures.Deposited(1));
      runner.start();
      webhooks.start();
      Fixtures.await("a failed try", Duration.ofSeconds(30),
          () -> webhooks.find(s.id()).orElseThrow().failures() >= 2);
      assertThat(webhooks.find(s.id()).orElseThrow().lastError()).get().asString()
          .contains("HTTP 302 redirect to /elsewhere refused");
      assertThat(requests).extracting(Received::path).containsOnly("/moved");
    }
  }

  @Test
  void with_the_jvms_proxy_settings_requests_go_through_the_proxy() throws Exception {
    // The target is public and unreachable from here: only the proxy (this test's server) answers.
    URI target = URI.create("http://93.184.215.14/hooks");
    String[] keys = {"http.proxyHost", "http.proxyPort"};
    String[] before = {System.getProperty(keys[0]), System.getProperty(keys[1])};
    System.setProperty(keys[0], "127.0.0.1");
    System.setProperty(keys[1], Integer.toString(server.getAddress().getPort()));
    try (Webhooks webhooks = Webhooks.builder(store, Fixtures.mapper()).secretKey(key).pollInterval(Duration.ofMillis(10))
            .requestTimeout(Duration.ofSeconds(5)).build();
        ProjectionRunner runner = Fixtures.runner(store, "a", webhooks.projector())) {
      WebhookSubscription s = webhooks.subscribe(target, Set.of(), secret);
      UUID one = Fixtures.append(store, ACCOUNT, new Fixtures.Deposited(1));
      runner.start();
      webhooks.start();
      Fixtures.await("the delivery recorded", Duration.ofSeconds(30),
          () -> webhooks.find(s.id()).orElseThrow().delivered() == 1);
      assertThat(deliveredIds()).containsExactly(one.toString());
      assertThat(requests.get(0).path()).isEqualTo("/hooks");
      assertThat(requests.get(0).header("host")).isEqualTo("93.184.215.14");
    } finally {
      for (int i = 0; i < keys.length; i++) {
        if (before[i] == null) {
          System.clearProperty(keys[i]);
        } else {
          System.setProperty(keys[i], before[i]);
        }
      }
    }
  }

  @Test
  void a_connection_is_kept_between_deliveries_and_closed_with_the_webhooks() throws Exception {
    List<String> seen = new CopyOnWriteArrayList<>();
    try (ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Thread subscriber = new Thread(() -> {
        // One connection only: a request on another one would never be answered.
        try (Socket connection = listener.accept()) {
          PushbackInputStream in = new PushbackInputStream(connection.getInputStream());
          for (int next = in.read(); next >= 0; next = in.read()) {
            in.unread(next);
            WebhookClientTest.readRequest(in);
            seen.add("answered");
            connection.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
                .getBytes(StandardCharsets.ISO_8859_1));
          }
          seen.add("closed");
        } catch (IOException e) {
          seen.add("closed");
        }
      }, "keep-alive-subscriber");
      subscriber.setDaemon(true);
      subscriber.start();
      Webhooks webhooks = webhooks().build();
      try (ProjectionRunner runner = Fixtures.runner(store, "a", webhooks.projector())) {
        WebhookSubscription s = webhooks.subscribe(
            URI.create("http://127.0.0.1:" + listener.getLocalPort() + "/hooks"), Set.of(), secret);
        Fixtures.append(store, ACCOUNT, new Fixtures.Deposited(1));
        Fixtures.append(store, ACCOUNT, new Fixtures.Deposited(2));
        runner.start();
        webhooks.start();
        Fixtures.await("both deliveries recorded", Duration.ofSeconds(30),
            () -> webhooks.find(s.id()).orElseThrow().delivered() == 2);
        assertThat(seen).as("both requests on the one connection").containsExactly("answered", "answered");
      } finally {
        webhooks.close();
      }
      Fixtures.await("the subscriber to see the connection closed", Duration.ofSeconds(30),
          () -> seen.contains("closed"));
    }
  }

  /**
   * With private networks allowed and loopback not, a subscriber on a private address redirects
   * to the unspecified address, which would reach a service listening on loopback.
   */
  @ParameterizedTest
  @ValueSource(strings = {"0.0.0.0", "[::]"})
  void a_redirect_to_the_unspecified_address_is_refused_as_loopback(String unspecified) throws Exception {
    InetAddress privateAddress = privateInterfaceAddress();
    InetAddress loopback = InetAddress.getByName(unspecified.equals("[::]") ? "::1" : "127.0.0.1");
    List<String> reachedLoopback = new CopyOnWriteArrayList<>();
    HttpServer internal = HttpServer.create(new InetSocketAddress(loopback, 0), 0);
    internal.createContext("/", exchange -> {
      reachedLoopback.add(exchange.getRequestURI().getPath());
      exchange.sendResponseHeaders(200, -1);
      exchange.close();
    });
    String location = "http://" + unspecified + ":" + internal.getAddress().getPort() + "/admin";
    HttpServer subscriber = HttpServer.create(new InetSocketAddress(privateAddress, 0), 0);
    subscriber.createContext("/", exchange -> {
      requests.add(new Received(exchange.getRequestURI().getPath(), Map.of(),
          exchange.getRequestBody().readAllBytes()));
      exchange.getResponseHeaders().add("Location", location);
      exchange.sendResponseHeaders(302, -1);
      exchange.close();
    });
    internal.start();
    subscriber.start();
    String host = privateAddress instanceof Inet6Address
        ? "[" + privateAddress.getHostAddress() + "]" : privateAddress.getHostAddress();
    try (Webhooks webhooks = Webhooks.builder(store, Fixtures.mapper()).secretKey(key).allowPrivateNetworks(true)
            .allowRedirects(true).pollInterval(Duration.ofMillis(10)).requestTimeout(Duration.ofSeconds(5))
            .retries(Duration.ofMillis(20), Duration.ofMillis(50)).build();
        ProjectionRunner runner = Fixtures.runner(store, "a", webhooks.projector())) {
      WebhookSubscription s = webhooks.subscribe(
          URI.create("http://" + host + ":" + subscriber.getAddress().getPort() + "/hooks"), Set.of(), secret);
      Fixtures.append(store, ACCOUNT, new Fixtures.Deposited(1));
      runner.start();
      webhooks.start();
      Fixtures.await("two failed tries or a request on loopback", Duration.ofSeconds(30),
          () -> webhooks.find(s.id()).orElseThrow().failures() >= 2 || !reachedLoopback.isEmpty());
      assertThat(reachedLoopback).as("requests that reached the loopback service").isEmpty();
      assertThat(webhooks.find(s.id()).orElseThrow().lastError()).get().asString()
          .isEqualTo("webhook URL " + location + " resolves to " + InetAddress.getByName(unspecified).getHostAddress()
              + ": the unspecified address, which reaches this host; refused unless allowLoopback(true)");
      assertThat(requests).extracting(Received::path).containsOnly("/hooks");
    } finally {
      subscriber.stop(0);
      internal.stop(0);
    }
  }

  /** An address of this machine on a private network, for a subscriber that is not on loopback. */
  static InetAddress privateInterfaceAddress() throws Exception {
    for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      if (!nic.isUp() || nic.isLoopback()) {
        continue;
      }
      for (InetAddress a : Collections.list(nic.getInetAddresses())) {
        if (!a.isLinkLocalAddress() && WebhookTargets.classify(a).category() == WebhookTargets.Category.PRIVATE) {
          return InetAddress.getByAddress(a.getAddress()); // without the interface's scope
        }
      }
    }
    Assumptions.abort("this machine has no interface on a private network (10/8, 172.16/12, "
        + "192.168/16, 100.64/10, fc00::/7) to run a subscriber on");
    throw new AssertionError();
  }

  @Test
  void loopback_and_private_network_targets_are_refused_unless_allowed() {
    try (Webhooks strict = Webhooks.builder(store, Fixtures.mapper()).secretKey(key).build()) {
      assertThatThrownBy(() -> strict.subscribe(url("/hooks"), Set.of(), secret))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("resolves to 127.0.0.1: a loopback address; refused unless allowLoopback(true)");
      assertThatThrownBy(() -> strict.subscribe(URI.create("http://10.1.2.3/hooks"), Set.of(), secret))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("resolves to 10.1.2.3: a private-network address; "
              + "refused unless allowPrivateNetworks(true)");
      assertThatThrownBy(() -> strict.subscribe(URI.create("http://169.254.169.254/latest"), Set.of(), secret))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("resolves to 169.254.169.254: a link-local address");
      assertThatThrownBy(() -> strict.subscribe(URI.create("ftp://example.com/x"), Set.of(), secret))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must be http or https");
      assertThat(strict.subscriptions()).isEmpty();
    }
  }
}
