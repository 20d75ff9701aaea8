package dev.annals.postgres;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP relay between the driver and PostgreSQL that reads the server's side of the wire
 * protocol: it counts ReadyForQuery messages (one ends every round trip) and keeps the column
 * names of every row description. Each message is counted before it is passed on, so when a
 * driver call returns, everything it received is counted. Plain connections only (the URL it
 * gives turns SSL and GSS encryption off).
 */
final class WireTap implements AutoCloseable {

  private final ServerSocket listener;
  private final String upstreamHost;
  private final int upstreamPort;
  private final String url;
  private final AtomicLong roundTrips = new AtomicLong();
  private final List<List<String>> rowDescriptions = new ArrayList<>();
  private final List<Socket> sockets = new ArrayList<>();

  /** A relay to the server of {@code jdbcUrl} ({@code jdbc:postgresql://host:port/db?...}). */
  WireTap(String jdbcUrl) throws IOException {
    URI server = URI.create(jdbcUrl.substring("jdbc:".length()));
    upstreamHost = server.getHost();
    upstreamPort = server.getPort() < 0 ? 5432 : server.getPort();
    listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    String query = server.getRawQuery() == null ? "" : server.getRawQuery() + "&";
    url = "jdbc:postgresql://127.0.0.1:" + listener.getLocalPort() + server.getRawPath() + "?" + query
        + "sslmode=disable&gssEncMode=disable";
    Thread accept = new Thread(this::accept, "wire-tap-accept");
    accept.setDaemon(true);
    accept.start();
  }

  /** The JDBC URL that connects through the tap. */
  String url() {
    return url;
  }

  /** ReadyForQuery messages the server sent so far: round trips completed. */
  long roundTrips() {
    return roundTrips.get();
  }

  /** The column names of every result the server described so far, in order. */
  List<List<String>> rowDescriptions() {
    synchronized (rowDescriptions) {
      return List.copyOf(rowDescriptions);
    }
  }

  @Override
  public void close() throws IOException {
    listener.close();
    synchronized (sockets) {
      for (Socket s : sockets) {
        s.close();
      }
    }
  }

  private void accept() {
    while (!listener.isClosed()) {
      try {
        Socket client = listener.accept();
        Socket server = new Socket(upstreamHost, upstreamPort);
        client.setTcpNoDelay(true);
        server.setTcpNoDelay(true);
        synchronized (sockets) {
          sockets.add(client);
          sockets.add(server);
        }
        pump("wire-tap-up", client.getInputStream(), server.getOutputStream(), null);
        pump("wire-tap-down", server.getInputStream(), client.getOutputStream(), new ServerMessages());
      } catch (IOException e) {
        return;
      }
    }
  }

  private static void pump(String name, InputStream in, OutputStream out, ServerMessages parser) {
    Thread t = new Thread(() -> {
      byte[] buffer = new byte[64 * 1024];
      try (in; out) {
        int n;
        while ((n = in.read(buffer)) > 0) {
          if (parser != null) {
            parser.accept(buffer, n);
          }
          out.write(buffer, 0, n);
          out.flush();
        }
      } catch (IOException e) {
        // The other side closed: the relay ends with it.
      }
    }, name);
    t.setDaemon(true);
    t.start();
  }

  /** Splits the server's byte stream into messages: a type byte, a length, a body. */
  private final class ServerMessages {
    private final byte[] header = new byte[5];
    private int headerRead;
    private byte[] body;
    private int bodyRead;

    void accept(byte[] bytes, int length) {
      int i = 0;
      while (i < length) {
        if (headerRead < 5) {
          header[headerRead++] = bytes[i++];
          if (headerRead == 5) {
            int size = ((header[1] & 0xff) << 24 | (header[2] & 0xff) << 16
                | (header[3] & 0xff) << 8 | (header[4] & 0xff)) - 4;
            body = new byte[size];
            bodyRead = 0;
            if (size == 0) {
              message();
            }
          }
        } else {
          int take = Math.min(length - i, body.length - bodyRead);
          System.arraycopy(bytes, i, body, bodyRead, take);
          bodyRead += take;
          i += take;
          if (bodyRead == body.length) {
            message();
          }
        }
      }
    }

    private void message() {
      char type = (char) header[0];
      if (type == 'Z') {
        roundTrips.incrementAndGet();
      } else if (type == 'T') {
        List<String> names = new ArrayList<>();
        int fields = (body[0] & 0xff) << 8 | (body[1] & 0xff);
        int p = 2;
        for (int f = 0; f < fields; f++) {
          int end = p;
          while (body[end] != 0) {
            end++;
          }
          names.add(new String(body, p, end - p, StandardCharsets.UTF_8));
          // The name's terminator, then table oid, column number, type oid, size, modifier, format.
          p = end + 1 + 4 + 2 + 4 + 2 + 4 + 2;
        }
        synchronized (rowDescriptions) {
          rowDescriptions.add(names);
        }
      }
      headerRead = 0;
    }
  }
}
