package dev.annals.messaging.webhooks;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * An HTTP/1.1 POST over a connection to one of the addresses {@link WebhookTargets} checked, so a
 * DNS answer that changes after the check (rebinding) cannot send the request elsewhere. The JDK
 * HTTP client cannot be told which address to connect to: it resolves the host again. TLS still
 * names and verifies the URL's host (SNI and the certificate's names), as any client does.
 *
 * <p>Reads the status line and headers only, then closes the connection. Holds no state:
 * callable from any thread.
 */
final class PinnedPost {

  /** What the receiver answered: the status and, for a redirect, where to. */
  record Reply(int status, Optional<String> location) {}

  private static final int MAX_HEAD = 64 * 1024;

  private final SSLSocketFactory tls;
  private final Duration timeout;

  /**
   * @param timeout for one request, from connecting to the end of the response's headers
   */
  PinnedPost(SSLSocketFactory tls, Duration timeout) {
    this.tls = tls;
    this.timeout = timeout;
  }

  /**
   * POSTs {@code body} to {@code target}, connecting to the first of {@code addresses} that
   * accepts a connection.
   *
   * @throws HttpTimeoutException if the reply's headers did not arrive within the timeout
   * @throws IOException if no address accepts a connection, TLS fails, or the reply is not HTTP
   */
  Reply post(URI target, List<InetAddress> addresses, Map<String, String> headers, byte[] body)
      throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    boolean https = target.getScheme().equalsIgnoreCase("https");
    int port = target.getPort() != -1 ? target.getPort() : https ? 443 : 80;
    String host = target.getHost();
    try (Socket socket = connect(addresses, port, deadline)) {
      Socket channel = https ? handshake(socket, host, port, deadline) : socket;
      channel.getOutputStream().write(request(target, headers, body));
      channel.getOutputStream().flush();
      return reply(new BufferedInputStream(channel.getInputStream()), channel, deadline);
    } catch (SocketTimeoutException e) {
      throw new HttpTimeoutException("no reply within " + timeout.toMillis() + " ms");
    }
  }

  private static Socket connect(List<InetAddress> addresses, int port, long deadline) throws IOException {
    IOException last = null;
    for (InetAddress a : addresses) {
      Socket socket = new Socket();
      try {
        socket.connect(new InetSocketAddress(a, port), remainingMillis(deadline));
        return socket;
      } catch (IOException e) {
        socket.close();
        if (e instanceof SocketTimeoutException) {
          throw e;
        }
        last = new IOException("cannot connect to " + a.getHostAddress() + " port " + port + ": "
            + e.getMessage(), e);
      }
    }
    throw last != null ? last : new IOException("no address to connect to");
  }

  private Socket handshake(Socket socket, String host, int port, long deadline) throws IOException {
    boolean literal = host.startsWith("[") || WebhookTargets.Ipv4Literal.parse(host) != null;
    // Certificates and SNI name hosts without brackets and without the root's trailing dot.
    String peer = host.startsWith("[") ? host.substring(1, host.length() - 1) : host.replaceFirst("\\.$", "");
    SSLSocket ssl = (SSLSocket) tls.createSocket(socket, peer, port, true);
    SSLParameters parameters = ssl.getSSLParameters();
    // Verify the certificate against the URL's host, as HTTPS clients do; SNI names it too.
    parameters.setEndpointIdentificationAlgorithm("HTTPS");
    if (!literal) {
      parameters.setServerNames(List.of(new SNIHostName(peer)));
    }
    ssl.setSSLParameters(parameters);
    ssl.setSoTimeout(remainingMillis(deadline));
    ssl.startHandshake();
    return ssl;
  }

  private static byte[] request(URI target, Map<String, String> headers, byte[] body) {
    String path = target.getRawPath() == null || target.getRawPath().isEmpty() ? "/" : target.getRawPath();
    if (target.getRawQuery() != null) {
      path += "?" + target.getRawQuery();
    }
    StringBuilder head = new StringBuilder("POST ").append(path).append(" HTTP/1.1\r\n")
        .append("Host: ").append(target.getRawAuthority()).append("\r\n");
    headers.forEach((name, value) -> {
      // Values come from the event and the signature; a line break would start a new header.
      if (value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0) {
        throw new IllegalArgumentException("header " + name + " must not contain a line break");
      }
      head.append(name).append(": ").append(value).append("\r\n");
    });
    head.append("Content-Length: ").append(body.length).append("\r\n")
        .append("Connection: close\r\n\r\n");
    byte[] start = head.toString().getBytes(StandardCharsets.ISO_8859_1);
    byte[] all = new byte[start.length + body.length];
    System.arraycopy(start, 0, all, 0, start.length);
    System.arraycopy(body, 0, all, start.length, body.length);
    return all;
  }

  private static Reply reply(InputStream in, Socket socket, long deadline) throws IOException {
    while (true) {
      List<String> lines = head(in, socket, deadline);
      String status = lines.get(0);
      if (!status.matches("HTTP/1\\.[01] [0-9]{3}( .*)?")) {
        throw new IOException("not an HTTP/1.1 reply: " + status.substring(0, Math.min(80, status.length())));
      }
      int code = Integer.parseInt(status.substring(9, 12));
      if (code >= 100 && code < 200) {
        continue; // an interim reply (100 Continue, 103 Early Hints): the final one follows
      }
      Optional<String> location = Optional.empty();
      for (String line : lines.subList(1, lines.size())) {
        int colon = line.indexOf(':');
        if (colon > 0 && line.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals("location")) {
          location = Optional.of(line.substring(colon + 1).trim());
        }
      }
      return new Reply(code, location);
    }
  }

  /** The lines of one reply head, up to the empty line; the timeout bounds the whole head. */
  private static List<String> head(InputStream in, Socket socket, long deadline) throws IOException {
    List<String> lines = new ArrayList<>();
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int read = 0;
    while (true) {
      socket.setSoTimeout(remainingMillis(deadline));
      int b = in.read();
      if (b < 0) {
        throw new IOException("connection closed before the reply's headers ended");
      }
      if (++read > MAX_HEAD) {
        throw new IOException("reply headers longer than " + MAX_HEAD + " bytes");
      }
      if (b != '\n') {
        line.write(b);
        continue;
      }
      String text = line.toString(StandardCharsets.ISO_8859_1);
      line.reset();
      text = text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
      if (!text.isEmpty()) {
        lines.add(text);
      } else if (!lines.isEmpty()) {
        return lines;
      }
    }
  }

  private static int remainingMillis(long deadline) throws SocketTimeoutException {
    long left = (deadline - System.nanoTime()) / 1_000_000;
    if (left <= 0) {
      throw new SocketTimeoutException("timed out");
    }
    return (int) Math.min(Integer.MAX_VALUE, left);
  }
}
