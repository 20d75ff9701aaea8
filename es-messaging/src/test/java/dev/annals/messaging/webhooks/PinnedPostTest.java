package dev.annals.messaging.webhooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Requests go to the checked addresses and nowhere else: the hosts here end in {@code .invalid}
 * or {@code .test}, which no resolver answers, so a request that arrives was not resolved again.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class PinnedPostTest {

  static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
  static final Map<String, String> HEADERS = Map.of("content-type", "application/cloudevents+json",
      "webhook-id", "e-1");
  static final byte[] BODY = "{\"id\":\"e-1\"}".getBytes(StandardCharsets.UTF_8);

  record Seen(String method, String host, String uri, Map<String, List<String>> headers, String body) {}

  final List<Seen> seen = new CopyOnWriteArrayList<>();
  final List<AutoCloseable> servers = new CopyOnWriteArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable s : servers) {
      s.close();
    }
  }

  HttpServer server(HttpServer server) {
    server.createContext("/", exchange -> {
      seen.add(new Seen(exchange.getRequestMethod(), exchange.getRequestHeaders().getFirst("Host"),
          exchange.getRequestURI().toString(), Map.copyOf(exchange.getRequestHeaders()),
          new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)));
      if (exchange.getRequestURI().getPath().equals("/moved")) {
        exchange.getResponseHeaders().add("Location", "https://partner.invalid/final");
        exchange.sendResponseHeaders(302, -1);
      } else {
        byte[] answer = "thanks".getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(200, answer.length);
        exchange.getResponseBody().write(answer);
      }
      exchange.close();
    });
    server.start();
    servers.add(() -> server.stop(0));
    return server;
  }

  @Test
  void a_post_goes_to_the_given_address_and_names_the_urls_host() throws Exception {
    int port = server(HttpServer.create(new InetSocketAddress(LOOPBACK, 0), 0)).getAddress().getPort();
    PinnedPost post = new PinnedPost(SSLContext.getDefault().getSocketFactory(), Duration.ofSeconds(30));

    PinnedPost.Reply reply = post.post(URI.create("http://partner.invalid:" + port + "/hooks?tenant=7"),
        List.of(LOOPBACK), HEADERS, BODY);

    assertThat(reply).isEqualTo(new PinnedPost.Reply(200, Optional.empty()));
    assertThat(seen).hasSize(1);
    Seen s = seen.get(0);
    assertThat(s.method()).isEqualTo("POST");
    assertThat(s.host()).isEqualTo("partner.invalid:" + port);
    assertThat(s.uri()).isEqualTo("/hooks?tenant=7");
    assertThat(s.headers().get("Content-type")).containsExactly("application/cloudevents+json");
    assertThat(s.headers().get("Webhook-id")).containsExactly("e-1");
    assertThat(s.body()).isEqualTo("{\"id\":\"e-1\"}");
  }

  @Test
  void a_redirect_reply_names_its_location() throws Exception {
    int port = server(HttpServer.create(new InetSocketAddress(LOOPBACK, 0), 0)).getAddress().getPort();
    PinnedPost post = new PinnedPost(SSLContext.getDefault().getSocketFactory(), Duration.ofSeconds(30));

    assertThat(post.post(URI.create("http://partner.invalid:" + port + "/moved"), List.of(LOOPBACK), HEADERS, BODY))
        .isEqualTo(new PinnedPost.Reply(302, Optional.of("https://partner.invalid/final")));
  }

  @Test
  void an_address_that_refuses_the_connection_is_skipped_for_the_next() throws Exception {
    InetAddress v4 = InetAddress.getByName("127.0.0.1");
    int port = server(HttpServer.create(new InetSocketAddress(v4, 0), 0)).getAddress().getPort();
    PinnedPost post = new PinnedPost(SSLContext.getDefault().getSocketFactory(), Duration.ofSeconds(30));

    // Nothing listens on ::1 at that port (or this host has no IPv6): the next address is tried.
    PinnedPost.Reply reply = post.post(URI.create("http://partner.invalid:" + port + "/hooks"),
        List.of(InetAddress.getByName("::1"), v4), HEADERS, BODY);

    assertThat(reply.status()).isEqualTo(200);
    assertThat(seen).hasSize(1);
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
    PinnedPost post = new PinnedPost(clientTls.getSocketFactory(), Duration.ofSeconds(30));

    assertThat(post.post(URI.create("https://partner.test:" + port + "/hooks"), List.of(LOOPBACK), HEADERS, BODY)
        .status()).isEqualTo(200);
    assertThat(post.post(URI.create("https://partner.test.:" + port + "/hooks"), List.of(LOOPBACK), HEADERS, BODY)
        .status()).as("the name with the root's dot").isEqualTo(200);
    assertThat(seen).extracting(Seen::host).containsExactly("partner.test:" + port, "partner.test.:" + port);

    assertThatThrownBy(() -> post.post(URI.create("https://other.test:" + port + "/hooks"), List.of(LOOPBACK),
        HEADERS, BODY))
        .as("a certificate for another name is refused").isInstanceOf(SSLHandshakeException.class);
    assertThat(seen).hasSize(2);
  }

  @Test
  void a_receiver_that_never_answers_times_out() throws Exception {
    ServerSocket silent = new ServerSocket(0, 50, LOOPBACK);
    servers.add(silent);
    PinnedPost post = new PinnedPost(SSLContext.getDefault().getSocketFactory(), Duration.ofMillis(300));

    assertThatThrownBy(() -> post.post(URI.create("http://partner.invalid:" + silent.getLocalPort() + "/hooks"),
        List.of(LOOPBACK), HEADERS, BODY))
        .isInstanceOf(HttpTimeoutException.class).hasMessage("no reply within 300 ms");
  }

  @Test
  void interim_replies_are_skipped_and_a_reply_that_is_not_http_is_an_error() throws Exception {
    PinnedPost post = new PinnedPost(SSLContext.getDefault().getSocketFactory(), Duration.ofSeconds(30));
    int early = rawServer("HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n");
    assertThat(post.post(URI.create("http://partner.invalid:" + early + "/"), List.of(LOOPBACK), HEADERS, BODY))
        .isEqualTo(new PinnedPost.Reply(204, Optional.empty()));

    int garbage = rawServer("SSH-2.0-OpenSSH_9.2\r\n\r\n");
    assertThatThrownBy(() -> post.post(URI.create("http://partner.invalid:" + garbage + "/"), List.of(LOOPBACK),
        HEADERS, BODY))
        .isInstanceOf(IOException.class).hasMessage("not an HTTP/1.1 reply: SSH-2.0-OpenSSH_9.2");
  }

  /** A server that reads one request and writes {@code reply} as it is; returns its port. */
  int rawServer(String reply) throws IOException {
    ServerSocket listener = new ServerSocket(0, 50, LOOPBACK);
    servers.add(listener);
    Thread t = new Thread(() -> {
      try (Socket s = listener.accept()) {
        readRequest(s.getInputStream());
        s.getOutputStream().write(reply.getBytes(StandardCharsets.ISO_8859_1));
        s.getOutputStream().flush();
      } catch (IOException e) {
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
    String text = head.toString(StandardCharsets.ISO_8859_1).toLowerCase();
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
