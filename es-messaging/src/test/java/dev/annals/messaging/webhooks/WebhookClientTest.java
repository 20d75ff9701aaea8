package dev.annals.messaging.webhooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.annals.testkit.Await;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Requests go to addresses the target check accepted and nowhere else. The hosts here end in
 * {@code .test}, which no resolver answers: this test's own table answers for them, the way a
 * hosts file would, so that it can change its answer between the check and the connection as a
 * rebinding DNS server does. A request that arrives was sent to an address from that table.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class WebhookClientTest {

  static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
  static final Map<String, String> HEADERS = Map.of("content-type", "application/cloudevents+json",
      "webhook-id", "e-1");
  static final byte[] BODY = "{\"id\":\"e-1\"}".getBytes(StandardCharsets.UTF_8);

  record Seen(String method, String host, String uri, Map<String, List<String>> headers, String body,
      InetSocketAddress from) {}

  final List<Seen> seen = new CopyOnWriteArrayList<>();
  final List<AutoCloseable> closing = new CopyOnWriteArrayList<>();
  /** What each host resolves to, and how many times it was asked. */
  final Map<String, List<InetAddress>> hosts = new ConcurrentHashMap<>();
  final AtomicInteger lookups = new AtomicInteger();

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : closing) {
      c.close();
    }
  }

  WebhookTargets.Lookup table() {
    return host -> {
      lookups.incrementAndGet();
      List<InetAddress> answer = hosts.get(host.toLowerCase(Locale.ROOT));
      if (answer == null) {
        throw new UnknownHostException(host);
      }
      return answer.toArray(InetAddress[]::new);
    };
  }

  WebhookClient client(boolean allowLoopback, Duration timeout, SSLContext tls) {
    WebhookClient client = new WebhookClient(new WebhookTargets(allowLoopback, false, table()), timeout, tls,
        "webhook-client-test-deadlines");
    closing.add(client);
    return client;
  }

  WebhookClient client() throws Exception {
    return client(true, Duration.ofSeconds(30), SSLContext.getDefault());
  }

  HttpServer server(HttpServer server) {
    server.createContext("/", exchange -> {
      seen.add(new Seen(exchange.getRequestMethod(), exchange.getRequestHeaders().getFirst("Host"),
          exchange.getRequestURI().toString(), Map.copyOf(exchange.getRequestHeaders()),
          new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8),
          exchange.getRemoteAddress()));
      if (exchange.getRequestURI().getPath().equals("/moved")) {
        exchange.getResponseHeaders().add("Location", "https://partner.test/final");
        exchange.sendResponseHeaders(302, -1);
      } else {
        byte[] answer = exchange.getRequestURI().getPath().equals("/long")
            ? new byte[1024 * 1024] : "thanks".getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(200, answer.length);
        exchange.getResponseBody().write(answer);
      }
      exchange.close();
    });
    server.start();
    closing.add(() -> server.stop(0));
    return server;
  }

  int loopbackServer() throws IOException {
    return server(HttpServer.create(new InetSocketAddress(LOOPBACK, 0), 0)).getAddress().getPort();
  }

  @Test
  void a_post_goes_to_the_checked_address_and_names_the_urls_host() throws Exception {
    int port = loopbackServer();
    hosts.put("partner.test", List.of(LOOPBACK));

    WebhookClient.Reply reply = client().post(URI.create("http://partner.test:" + port + "/hooks?tenant=7"),
        HEADERS, BODY);

    assertThat(reply).isEqualTo(new WebhookClient.Reply(200, Optional.empty()));
    assertThat(seen).hasSize(1);
    Seen s = seen.get(0);
    assertThat(s.method()).isEqualTo("POST");
    assertThat(s.host()).isEqualTo("partner.test:" + port);
    assertThat(s.uri()).isEqualTo("/hooks?tenant=7");
    assertThat(s.headers().get("Content-type")).containsExactly("application/cloudevents+json");
    assertThat(s.headers().get("Webhook-id")).containsExactly("e-1");
    assertThat(s.body()).isEqualTo("{\"id\":\"e-1\"}");
  }

  @Test
  void a_redirect_reply_names_its_location_and_is_not_followed() throws Exception {
    int port = loopbackServer();
    hosts.put("partner.test", List.of(LOOPBACK));

    assertThat(client().post(URI.create("http://partner.test:" + port + "/moved"), HEADERS, BODY))
        .isEqualTo(new WebhookClient.Reply(302, Optional.of("https://partner.test/final")));
    assertThat(seen).extracting(Seen::uri).containsExactly("/moved");
  }

  @Test
  void a_name_that_resolves_elsewhere_after_the_check_is_refused_before_connecting() throws Exception {
    int port = loopbackServer();
    WebhookTargets targets = new WebhookTargets(false, false, table());
    URI url = URI.create("http://partner.test:" + port + "/hooks");
    hosts.put("partner.test", List.of(InetAddress.getByName("93.184.215.14")));
    assertThat(targets.check(url)).as("the dispatcher's check").hasSize(1);
    // The name's answer changes between the check and the connection.
    hosts.put("partner.test", List.of(LOOPBACK));
    WebhookClient client = new WebhookClient(targets, Duration.ofSeconds(30), SSLContext.getDefault(), "t");
    closing.add(client);

    assertThatThrownBy(() -> client.post(url, HEADERS, BODY))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("webhook URL " + url + " resolves to " + LOOPBACK.getHostAddress()
            + ": a loopback address; refused unless allowLoopback(true)");
    assertThat(seen).as("requests that reached the loopback server").isEmpty();
  }

  @Test
  void a_name_with_one_refused_address_among_accepted_ones_is_refused() throws Exception {
    int port = loopbackServer();
    hosts.put("partner.test", List.of(InetAddress.getByName("10.1.2.3"), LOOPBACK));

    assertThatThrownBy(() -> client().post(URI.create("http://partner.test:" + port + "/hooks"), HEADERS, BODY))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("resolves to 10.1.2.3: a private-network address; "
            + "refused unless allowPrivateNetworks(true)");
    assertThat(seen).isEmpty();
  }

  @Test
  void an_ipv6_literal_is_checked_by_the_address_it_names() throws Exception {
    InetAddress v6 = InetAddress.getByName("::1");
    int port = server(HttpServer.create(new InetSocketAddress(v6, 0), 0)).getAddress().getPort();
    URI url = URI.create("http://[::1]:" + port + "/hooks");
    WebhookClient strict = new WebhookClient(new WebhookTargets(false, false), Duration.ofSeconds(30),
        SSLContext.getDefault(), "t");
    closing.add(strict);
    WebhookClient lenient = new WebhookClient(new WebhookTargets(true, false), Duration.ofSeconds(30),
        SSLContext.getDefault(), "t");
    closing.add(lenient);

    assertThatThrownBy(() -> strict.post(url, HEADERS, BODY)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("webhook URL " + url + " resolves to 0:0:0:0:0:0:0:1: a loopback address; "
            + "refused unless allowLoopback(true)");
    assertThat(seen).isEmpty();
    assertThat(lenient.post(url, HEADERS, BODY).status()).isEqualTo(200);
    assertThat(seen).extracting(Seen::host).containsExactly("[::1]:" + port);
  }

  @Test
  void an_address_that_refuses_the_connection_is_skipped_for_the_next() throws Exception {
    InetAddress v4 = InetAddress.getByName("127.0.0.1");
    int port = server(HttpServer.create(new InetSocketAddress(v4, 0), 0)).getAddress().getPort();
    // Nothing listens on ::1 at that port (or this host has no IPv6): the next address is tried.
    hosts.put("partner.test", List.of(InetAddress.getByName("::1"), v4));

    WebhookClient.Reply reply = client().post(URI.create("http://partner.test:" + port + "/hooks"), HEADERS, BODY);

    assertThat(reply.status()).isEqualTo(200);
    assertThat(seen).hasSize(1);
  }

  @Test
  void a_connection_is_kept_for_the_next_request_without_resolving_again() throws Exception {
    int port = loopbackServer();
    hosts.put("partner.test", List.of(LOOPBACK));
    WebhookClient client = client();

    client.post(URI.create("http://partner.test:" + port + "/one"), HEADERS, BODY);
    client.post(URI.create("http://partner.test:" + port + "/two"), HEADERS, BODY);

    assertThat(seen).extracting(Seen::uri).containsExactly("/one", "/two");
    assertThat(seen.get(1).from()).as("the second request's connection").isEqualTo(seen.get(0).from());
    assertThat(lookups).hasValue(1);
  }

  @Test
  void a_long_reply_body_is_not_read_its_connection_is_dropped() throws Exception {
    int port = loopbackServer();
    hosts.put("partner.test", List.of(LOOPBACK));
    WebhookClient client = client();

    assertThat(client.post(URI.create("http://partner.test:" + port + "/long"), HEADERS, BODY).status())
        .isEqualTo(200);
    assertThat(client.post(URI.create("http://partner.test:" + port + "/after"), HEADERS, BODY).status())
        .isEqualTo(200);

    assertThat(seen).extracting(Seen::uri).containsExactly("/long", "/after");
    assertThat(seen.get(1).from()).as("the second request's connection").isNotEqualTo(seen.get(0).from());
  }

  @Test
  void https_checks_the_certificate_against_the_urls_host_not_the_address(@TempDir Path dir) throws Exception {
    KeyStore keys = certificate(dir, "partner.test");
    SSLContext serverTls = SSLContext.getInstance("TLS");
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(keys, "changeit".toCharArray());
    serverTls.init(kmf.getKeyManagers(), null, null);
    HttpsServer https = HttpsServer.create(new InetSocketAddress(LOOPBACK, 0), 0);
    https.setHttpsConfigurator(new HttpsConfigurator(serverTls));
    int port = server(https).getAddress().getPort();
    KeyStore trusted = KeyStore.getInstance("PKCS12");
    trusted.load(null, null);
    trusted.setCertificateEntry("partner", keys.getCertificate("partner"));
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trusted);
    SSLContext clientTls = SSLContext.getInstance("TLS");
    clientTls.init(null, tmf.getTrustManagers(), null);
    hosts.put("partner.test", List.of(LOOPBACK));
    hosts.put("other.test", List.of(LOOPBACK));
    WebhookClient client = client(true, Duration.ofSeconds(30), clientTls);

    assertThat(client.post(URI.create("https://partner.test:" + port + "/hooks"), HEADERS, BODY).status())
        .isEqualTo(200);
    assertThat(seen).extracting(Seen::host).containsExactly("partner.test:" + port);

    assertThatThrownBy(() -> client.post(URI.create("https://other.test:" + port + "/hooks"), HEADERS, BODY))
        .as("a certificate for another name is refused").isInstanceOf(SSLException.class)
        .hasMessageContaining("other.test");
    assertThat(seen).hasSize(1);
  }

  @Test
  void a_receiver_that_never_answers_times_out() throws Exception {
    ServerSocket silent = new ServerSocket(0, 50, LOOPBACK);
    closing.add(silent);
    hosts.put("partner.test", List.of(LOOPBACK));
    WebhookClient client = client(true, Duration.ofMillis(300), SSLContext.getDefault());

    assertThatThrownBy(() -> client.post(URI.create("http://partner.test:" + silent.getLocalPort() + "/hooks"),
        HEADERS, BODY))
        .isInstanceOf(SocketTimeoutException.class).hasMessage("no reply within 300 ms");
  }

  @Test
  void a_receiver_that_sends_its_headers_a_byte_at_a_time_still_times_out() throws Exception {
    // Each byte comes well within the timeout, so no socket read ever times out: the whole
    // request is bounded, as a lease on the subscription assumes.
    int port = rawServer(out -> {
      for (byte b : "HTTP/1.1 200 OK\r\nX-Slow: ".getBytes(StandardCharsets.ISO_8859_1)) {
        out.write(b);
        out.flush();
        Thread.sleep(50);
      }
      for (int i = 0; i < 10_000; i++) {
        out.write('a');
        out.flush();
        Thread.sleep(50);
      }
    });
    hosts.put("partner.test", List.of(LOOPBACK));
    WebhookClient client = client(true, Duration.ofMillis(500), SSLContext.getDefault());

    assertThatThrownBy(() -> client.post(URI.create("http://partner.test:" + port + "/"), HEADERS, BODY))
        .isInstanceOf(SocketTimeoutException.class).hasMessage("no reply within 500 ms");
  }

  @Test
  void interim_replies_are_skipped_and_a_reply_that_is_not_http_is_an_error() throws Exception {
    hosts.put("partner.test", List.of(LOOPBACK));
    WebhookClient client = client();
    int early = rawServer(reply("HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n"
        + "HTTP/1.1 204 No Content\r\n\r\n"));
    assertThat(client.post(URI.create("http://partner.test:" + early + "/"), HEADERS, BODY))
        .isEqualTo(new WebhookClient.Reply(204, Optional.empty()));

    int garbage = rawServer(reply("SSH-2.0-OpenSSH_9.2\r\n\r\n"));
    assertThatThrownBy(() -> client.post(URI.create("http://partner.test:" + garbage + "/"), HEADERS, BODY))
        .isInstanceOf(IOException.class).hasMessageContaining("SSH-2.0-OpenSSH_9.2");
  }

  @Test
  void a_reply_whose_headers_do_not_end_is_an_error() throws Exception {
    int port = rawServer(out -> {
      out.write("HTTP/1.1 200 OK\r\n".getBytes(StandardCharsets.ISO_8859_1));
      for (int i = 0; i < 1_000_000; i++) {
        out.write(("X-More-" + i + ": yes\r\n").getBytes(StandardCharsets.ISO_8859_1));
      }
    });
    hosts.put("partner.test", List.of(LOOPBACK));

    assertThatThrownBy(() -> client().post(URI.create("http://partner.test:" + port + "/"), HEADERS, BODY))
        .isInstanceOf(IOException.class).hasMessageContaining("header count");
  }

  @Test
  void closing_closes_the_kept_connections() throws Exception {
    List<String> events = new CopyOnWriteArrayList<>();
    int port = rawServer(out -> {
      // Recorded before the reply leaves: the client may read it before this thread runs on.
      events.add("answered");
      out.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
    }, () -> events.add("closed by the client"));
    hosts.put("partner.test", List.of(LOOPBACK));
    WebhookClient client = client();

    assertThat(client.post(URI.create("http://partner.test:" + port + "/"), HEADERS, BODY).status()).isEqualTo(200);
    assertThat(events).as("the connection is kept after the reply").containsExactly("answered");

    client.close();
    Await.until("the server to see the connection closed", Duration.ofSeconds(30), () -> events.size() == 2);
    assertThat(events).containsExactly("answered", "closed by the client");
  }

  /** What a raw server writes after reading one request. */
  interface Answer {
    void write(java.io.OutputStream out) throws Exception;
  }

  static Answer reply(String bytes) {
    return out -> {
      out.write(bytes.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
    };
  }

  int rawServer(Answer answer) throws IOException {
    return rawServer(answer, () -> { });
  }

  /**
   * A server that takes one connection, reads one request and answers it; then waits for the
   * client to close the connection and runs {@code closed}. Returns its port.
   */
  int rawServer(Answer answer, Runnable closed) throws IOException {
    ServerSocket listener = new ServerSocket(0, 50, LOOPBACK);
    closing.add(listener);
    Thread t = new Thread(() -> {
      try (Socket s = listener.accept()) {
        closing.add(s);
        readRequest(s.getInputStream());
        answer.write(s.getOutputStream());
        try {
          if (s.getInputStream().read() < 0) {
            closed.run();
          }
        } catch (IOException reset) {
          closed.run();
        }
      } catch (Exception e) {
        // the test asserts what the client saw
      }
    }, "raw-http-server");
    t.setDaemon(true);
    t.start();
    return listener.getLocalPort();
  }

  static void readRequest(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        return;
      }
      head.write(b);
    }
    String text = head.toString(StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT);
    int at = text.indexOf("content-length: ");
    int length = Integer.parseInt(text.substring(at + 16, text.indexOf("\r\n", at)));
    in.readNBytes(length);
  }

  /** A key pair and self-signed certificate for {@code name}, made by the JDK's keytool. */
  static KeyStore certificate(Path dir, String name) throws Exception {
    Path file = dir.resolve("keys.p12");
    Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
        "-genkeypair", "-alias", "partner", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + name,
        "-ext", "SAN=dns:" + name, "-validity", "2", "-keystore", file.toString(), "-storetype", "PKCS12",
        "-storepass", "changeit", "-keypass", "changeit")
        .redirectErrorStream(true).start();
    String output = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(keytool.waitFor()).as("keytool: %s", output).isZero();
    KeyStore keys = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(file)) {
      keys.load(in, "changeit".toCharArray());
    }
    return keys;
  }
}
