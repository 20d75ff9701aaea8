// Over 400 lines: reading a request head, checking it, answering refusals and relaying both ways are one mechanism.
package dev.annals.bank.http;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * The server's front door: reads the head of each connection's request, answers a malformed one
 * with the API's JSON error itself, and relays a well-formed one to the JDK server behind it.
 *
 * <h2>Why a gate</h2>
 * The JDK's server answers a request it cannot parse (a malformed %-escape, a bad request line,
 * a header without a colon, an unreadable {@code Content-Length}) with an HTML page of its own,
 * some naming an internal exception, before any handler runs, and offers no hook to change that.
 * So the gate checks the head first, by rules at least as strict as the server's, and passes on
 * only what the server accepts. It checks one head per connection and does not parse bodies, so
 * it asks the server to close the connection after its response ({@code Connection: close}):
 * each connection carries one request. For the same reason a body's length must be known from
 * the head: one {@code Content-Length}, never {@code Transfer-Encoding} (a chunked body the
 * server failed to read would end the connection without any answer).
 *
 * <p>Thread-safe. A connection holds one thread while its head is read and its response relayed,
 * and a second while it relays the request's body.
 */
final class RequestGate implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(RequestGate.class.getName());

  /** Largest request head read: the request line and every header. */
  static final int MAX_HEAD = 16 * 1024;
  /** The JDK server's limit on header lines, and its default; over it the server closes without a word. */
  private static final String MAX_HEADERS_PROPERTY = "sun.net.httpserver.maxReqHeaders";
  private static final int JDK_MAX_HEADERS = 200;
  /** Connections relayed at once; beyond that a connection is answered 503 and closed. */
  private static final int MAX_CONNECTIONS = 512;
  /** How long a client may take to send its request head. */
  private static final int HEAD_TIMEOUT_MILLIS = 30_000;
  /** How long, and how much, the rest of a refused request is read before the connection closes. */
  private static final int LINGER_MILLIS = 2_000;
  private static final long MAX_LINGER_BYTES = 1024 * 1024;

  private static final Pattern METHOD = Pattern.compile("[A-Z]{1,20}");
  private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
  private static final Pattern DIGITS = Pattern.compile("[0-9]{1,18}");

  private final ServerSocket listener;
  private final InetSocketAddress backend;
  private final int maxHeaders = maxHeaders();
  private final ExecutorService threads;
  private final Semaphore connections = new Semaphore(MAX_CONNECTIONS);
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private final Thread acceptor;
  private volatile boolean closed;

  private RequestGate(ServerSocket listener, InetSocketAddress backend) {
    this.listener = listener;
    this.backend = backend;
    AtomicInteger number = new AtomicInteger();
    this.threads = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "bank-http-gate-" + number.getAndIncrement());
      t.setDaemon(true);
      return t;
    });
    this.acceptor = new Thread(this::accept, "bank-http-gate-accept");
    acceptor.setDaemon(true);
  }

  /**
   * Listens on {@code address} and relays to the server at {@code backend}.
   *
   * @throws UncheckedIOException if {@code address} cannot be bound
   */
  static RequestGate start(InetSocketAddress address, InetSocketAddress backend) {
    ServerSocket listener;
    try {
      listener = new ServerSocket();
      listener.bind(address, 128);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen on " + address + ": " + e.getMessage(), e);
    }
    RequestGate gate = new RequestGate(listener, backend);
    gate.acceptor.start();
    return gate;
  }

  /**
   * Header lines a request may have: the JDK server's limit (its system property, read the way
   * the server reads it), less the {@code Connection} line the gate adds. The server counts
   * distinct names, so a head of at most that many lines always passes it.
   */
  static int maxHeaders() {
    return Math.max(Integer.getInteger(MAX_HEADERS_PROPERTY, JDK_MAX_HEADERS) - 1, 0);
  }

  /** Where the gate listens. */
  InetSocketAddress address() {
    return (InetSocketAddress) listener.getLocalSocketAddress();
  }

  /** Stops listening and closes every connection, relayed or not. */
  @Override
  public void close() {
    closed = true;
    try {
      listener.close();
    } catch (IOException e) {
      LOG.log(System.Logger.Level.DEBUG, "closing the listener failed", e);
    }
    for (Socket socket : open) {
      quietlyClose(socket);
    }
    threads.shutdownNow();
  }

  private void accept() {
    while (!closed) {
      Socket client;
      try {
        client = listener.accept();
      } catch (IOException e) {
        if (!closed) {
          LOG.log(System.Logger.Level.WARNING, "accepting a connection failed", e);
        }
        continue;
      }
      if (!connections.tryAcquire()) {
        try (client) {
          // Answered on the accepting thread, so without waiting for the client's request to drain.
          send(client, new Refusal(503, "too_many_connections", "the server relays " + MAX_CONNECTIONS
              + " connections at once; try again later"));
        } catch (IOException e) {
          LOG.log(System.Logger.Level.DEBUG, "refusing a connection failed", e);
        }
        continue;
      }
      open.add(client);
      try {
        threads.execute(() -> serve(client));
      } catch (RuntimeException e) {
        // Closing: the pool takes no more work.
        open.remove(client);
        quietlyClose(client);
        connections.release();
      }
    }
  }

  private void serve(Socket client) {
    Socket upstream = null;
    try {
      client.setSoTimeout(HEAD_TIMEOUT_MILLIS);
      // A head and a body written separately would otherwise wait for the client's delayed ACK.
      client.setTcpNoDelay(true);
      InputStream in = new BufferedInputStream(client.getInputStream());
      byte[] head;
      try {
        head = head(in, maxHeaders);
      } catch (Refusal refusal) {
        answer(client, refusal);
        return;
      }
      if (head == null) {
        return;
      }
      client.setSoTimeout(0);
      upstream = new Socket();
      upstream.setTcpNoDelay(true);
      open.add(upstream);
      upstream.connect(backend);
      OutputStream toServer = upstream.getOutputStream();
      toServer.write(head);
      toServer.flush();
      Socket server = upstream;
      threads.execute(() -> relayBody(in, server));
      relayResponse(new BufferedInputStream(upstream.getInputStream()), client.getOutputStream());
    } catch (SocketTimeoutException e) {
      LOG.log(System.Logger.Level.DEBUG, "a client sent no complete request head in time");
    } catch (IOException | RuntimeException e) {
      // One side went away, or the gate is closing: nothing to answer.
      LOG.log(System.Logger.Level.DEBUG, "relaying a connection ended", e);
    } finally {
      if (upstream != null) {
        open.remove(upstream);
        quietlyClose(upstream);
      }
      open.remove(client);
      quietlyClose(client);
      connections.release();
    }
  }

  /**
   * Copies the server's response to the client, telling the client in its head that the
   * connection closes after it (the server does not say so itself), so that no client sends a
   * second request the gate would not check. Interim responses (100 Continue) pass unchanged.
   */
  private static void relayResponse(InputStream fromServer, OutputStream toClient) throws IOException {
    try {
      while (true) {
        String status = line(fromServer, null);
        if (status == null) {
          return;
        }
        boolean interim = status.startsWith("HTTP/1.1 1");
        StringBuilder head = new StringBuilder(status).append("\r\n");
        for (String header = line(fromServer, null); header != null && !header.isEmpty();
            header = line(fromServer, null)) {
          if (!header.regionMatches(true, 0, "Connection:", 0, 11)) {
            head.append(header).append("\r\n");
          }
        }
        if (!interim) {
          head.append("Connection: close\r\n");
        }
        toClient.write(head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
        toClient.flush();
        if (!interim) {
          fromServer.transferTo(toClient);
          return;
        }
      }
    } catch (Refusal e) {
      throw new IllegalStateException("the server's response head has no size limit", e);
    }
  }

  /** Copies the rest of the request (its body) to the server; a client's end of input is passed on. */
  private static void relayBody(InputStream fromClient, Socket server) {
    try {
      fromClient.transferTo(server.getOutputStream());
      server.shutdownOutput();
    } catch (IOException e) {
      // The connection ended; serve() closes both sides.
    }
  }

  /**
   * Reads and checks a request head; returns it as it goes to the server, with
   * {@code Connection: close}, or null if the client sent nothing.
   */
  private static byte[] head(InputStream in, int maxHeaders) throws IOException, Refusal {
    int[] budget = {MAX_HEAD};
    String line = line(in, budget);
    while (line != null && line.isEmpty()) {
      // Clients may send an empty line before a request; servers ignore it.
      line = line(in, budget);
    }
    if (line == null) {
      return null;
    }
    requestLine(line);
    StringBuilder out = new StringBuilder(line).append("\r\n");
    boolean contentLength = false;
    boolean transferEncoding = false;
    int headers = 0;
    for (String header = line(in, budget); ; header = line(in, budget)) {
      if (header == null) {
        throw new Refusal(400, "bad_request", "the request head ended before its empty line");
      }
      if (header.isEmpty()) {
        break;
      }
      if (++headers > maxHeaders) {
        throw new Refusal(431, "too_many_headers", "a request may have at most " + maxHeaders + " header lines");
      }
      int colon = header.indexOf(':');
      if (colon <= 0 || !TOKEN.matcher(header.substring(0, colon)).matches() || hasControl(header)) {
        throw new Refusal(400, "bad_header", "a header line is not 'Name: value' with a name of letters, digits "
            + "or !#$%&'*+.^_`|~- and a value without control characters");
      }
      String name = header.substring(0, colon).toLowerCase(Locale.ROOT);
      String value = header.substring(colon + 1).strip();
      switch (name) {
        case "connection", "keep-alive", "proxy-connection" -> {
          continue;
        }
        case "content-length" -> {
          // Even an equal second one: the JDK server answers it with an HTML page.
          if (!DIGITS.matcher(value).matches() || contentLength) {
            throw new Refusal(400, "bad_content_length", "Content-Length must be one whole number of bytes, "
                + "given once");
          }
          contentLength = true;
        }
        case "transfer-encoding" -> {
          if (!value.equalsIgnoreCase("chunked") || transferEncoding) {
            throw new Refusal(400, "bad_transfer_encoding", "a body's length must be given by Content-Length; "
                + "Transfer-Encoding is not served");
          }
          transferEncoding = true;
        }
        default -> {
          // passed on as it is
        }
      }
      out.append(header).append("\r\n");
    }
    if (transferEncoding) {
      // Both framings at once is how requests are smuggled past a proxy (RFC 9112, section 6.3).
      if (contentLength) {
        throw new Refusal(400, "bad_transfer_encoding", "a request has Content-Length or Transfer-Encoding, "
            + "not both; send Content-Length");
      }
      throw new Refusal(411, "length_required", "a chunked body is not served; send the body with a "
          + "Content-Length");
    }
    out.append("Connection: close\r\n\r\n");
    return out.toString().getBytes(StandardCharsets.ISO_8859_1);
  }

  /**
   * Checks {@code METHOD /target HTTP/1.x}, with a target {@link URI} parses as a path and query,
   * as the JDK server will.
   */
  private static void requestLine(String line) throws Refusal {
    String[] parts = line.split(" ", -1);
    if (parts.length != 3 || !METHOD.matcher(parts[0]).matches()
        || !(parts[2].equals("HTTP/1.1") || parts[2].equals("HTTP/1.0"))) {
      throw new Refusal(400, "bad_request_line", "the request line must be METHOD /path HTTP/1.1");
    }
    String target = parts[1];
    // The JDK server reads "//accounts" as the authority "accounts" with an empty path, finds no
    // handler for it and answers with its HTML page; absolute targets (http://host/...) it takes
    // apart alike. Only origin-form targets are served.
    if (!target.startsWith("/") || target.startsWith("//")) {
      throw new Refusal(400, "malformed_uri", "the request target must be a path starting with a single /, "
          + "such as /accounts, with an optional query");
    }
    try {
      if (new URI(target).getRawAuthority() != null) {
        throw new URISyntaxException(target, "has an authority");
      }
    } catch (URISyntaxException e) {
      throw new Refusal(400, "malformed_uri", "the request's path or query is not a valid URI: a malformed "
          + "%-escape (write % as %25) or a character that must be %-escaped");
    }
  }

  /**
   * A line without its CR LF, read as ISO-8859-1; null at the end of input before any byte.
   *
   * @param budget bytes the head may still take, lowered as they are read; null for the server's
   *     own response heads, which are trusted
   */
  private static String line(InputStream in, int[] budget) throws IOException, Refusal {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    for (int b = in.read(); ; b = in.read()) {
      if (b < 0) {
        return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
      }
      if (budget != null && --budget[0] < 0) {
        throw new Refusal(431, "header_too_large", "the request line and headers are over " + MAX_HEAD + " bytes");
      }
      if (b == '\n') {
        byte[] bytes = line.toByteArray();
        int length = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        return new String(bytes, 0, length, StandardCharsets.ISO_8859_1);
      }
      line.write(b);
    }
  }

  private static boolean hasControl(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if ((c < 0x20 && c != '\t') || c == 0x7f) {
        return true;
      }
    }
    return false;
  }

  /**
   * Answers with the API's error shape, then reads what the client still sends for a moment before
   * the caller closes the connection.
   */
  private static void answer(Socket client, Refusal refusal) throws IOException {
    send(client, refusal);
    // Closing a socket with unread input resets the connection, and a reset may destroy the
    // answer before the client reads it: finish sending, then read what the client still sends.
    client.shutdownOutput();
    client.setSoTimeout(LINGER_MILLIS);
    try {
      byte[] drain = new byte[8192];
      long left = MAX_LINGER_BYTES;
      for (int n = client.getInputStream().read(drain); n > 0 && left > 0; n = client.getInputStream().read(drain)) {
        left -= n;
      }
    } catch (IOException e) {
      // Timed out or reset: the answer was sent; nothing more to do.
    }
  }

  /** Writes the API's error shape; messages are fixed texts, never the client's bytes. */
  private static void send(Socket client, Refusal refusal) throws IOException {
    String body = "{\"error\":\"" + refusal.code + "\",\"message\":\"" + refusal.getMessage() + "\"}";
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    String head = "HTTP/1.1 " + refusal.status + " " + reason(refusal.status) + "\r\n"
        + "Content-Type: application/json; charset=utf-8\r\n"
        + "Cache-Control: no-store\r\n"
        + "Content-Length: " + bytes.length + "\r\n"
        + "Connection: close\r\n\r\n";
    ByteArrayOutputStream response = new ByteArrayOutputStream();
    response.writeBytes(head.getBytes(StandardCharsets.ISO_8859_1));
    response.writeBytes(bytes);
    OutputStream out = client.getOutputStream();
    out.write(response.toByteArray());
    out.flush();
  }

  private static String reason(int status) {
    return switch (status) {
      case 400 -> "Bad Request";
      case 411 -> "Length Required";
      case 431 -> "Request Header Fields Too Large";
      default -> "Service Unavailable";
    };
  }

  private static void quietlyClose(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      LOG.log(System.Logger.Level.DEBUG, "closing a socket failed", e);
    }
  }

  /** A request head the gate answers itself. */
  private static final class Refusal extends Exception {
    private static final long serialVersionUID = 1L;

    final int status;
    final String code;

    Refusal(int status, String code, String message) {
      super(message, null, false, false);
      this.status = status;
      this.code = code;
    }
  }
}
