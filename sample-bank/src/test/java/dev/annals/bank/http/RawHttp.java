package dev.annals.bank.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 over a plain socket, for requests {@code java.net.http.HttpClient} will not send:
 * malformed %-escapes, invalid UTF-8, any bytes at all. Each request gets its own connection,
 * closed after the response.
 */
final class RawHttp {

  /** Longest response read; a longer one fails the test. */
  static final int MAX_RESPONSE = 64 * 1024;

  private RawHttp() {}

  /** A response: status, headers by lower-case name, body as bytes and as UTF-8 text. */
  record Response(int status, Map<String, String> headers, byte[] body, int size) {
    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }

    String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  /** Sends {@code method target} with {@code headers} (lines without CRLF) and {@code body}. */
  static Response send(URI server, String method, String target, Map<String, String> headers, byte[] body) {
    StringBuilder head = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\n")
        .append("Host: ").append(server.getHost()).append(':').append(server.getPort()).append("\r\n")
        .append("Connection: close\r\n");
    headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
    if (body.length > 0 || method.equals("POST")) {
      head.append("Content-Length: ").append(body.length).append("\r\n");
    }
    head.append("\r\n");
    ByteArrayOutputStream request = new ByteArrayOutputStream();
    request.writeBytes(head.toString().getBytes(StandardCharsets.ISO_8859_1));
    request.writeBytes(body);
    return exchange(server, request.toByteArray());
  }

  /**
   * Writes {@code request} as it is and reads the response until it is complete (by its
   * {@code Content-Length} or its last chunk) or the server closes the connection: Tomcat keeps a
   * connection open after a response it did not have to close it for.
   */
  static Response exchange(URI server, byte[] request) {
    try (Socket socket = new Socket(server.getHost(), server.getPort())) {
      socket.setSoTimeout(60_000);
      socket.getOutputStream().write(request);
      socket.getOutputStream().flush();
      byte[] all = readUpTo(socket.getInputStream(), MAX_RESPONSE + 1);
      return parse(all);
    } catch (IOException e) {
      throw new UncheckedIOException("no response to " + new String(request, 0, Math.min(80, request.length),
          StandardCharsets.ISO_8859_1), e);
    }
  }

  private static byte[] readUpTo(InputStream in, int max) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buffer = new byte[8192];
    for (int n = in.read(buffer); n >= 0 && out.size() < max; n = in.read(buffer)) {
      out.write(buffer, 0, n);
      if (complete(out.toByteArray())) {
        break;
      }
    }
    return out.toByteArray();
  }

  /** Whether {@code all} holds a whole final response: its head, then its body by length or chunks. */
  private static boolean complete(byte[] all) {
    String text = new String(all, StandardCharsets.ISO_8859_1);
    int end = text.indexOf("\r\n\r\n");
    if (end < 0 || text.startsWith("HTTP/1.1 1")) {
      return false;
    }
    String head = text.substring(0, end).toLowerCase(Locale.ROOT);
    java.util.regex.Matcher length = java.util.regex.Pattern.compile("\r\ncontent-length: *(\\d+)").matcher(head);
    if (length.find()) {
      return all.length - (end + 4) >= Long.parseLong(length.group(1));
    }
    if (head.contains("\r\ntransfer-encoding: chunked")) {
      return text.endsWith("\r\n0\r\n\r\n");
    }
    return false;
  }

  private static Response parse(byte[] all) {
    String text = new String(all, StandardCharsets.ISO_8859_1);
    if (!text.startsWith("HTTP/")) {
      // An HTTP/0.9 answer (to a request line without a version): the body alone, status 0.
      return new Response(0, Map.of(), all, all.length);
    }
    int end = text.indexOf("\r\n\r\n");
    if (end < 0) {
      throw new AssertionError("no complete response head in " + all.length + " bytes: "
          + text.substring(0, Math.min(200, text.length())));
    }
    String[] lines = text.substring(0, end).split("\r\n");
    int status = Integer.parseInt(lines[0].split(" ")[1]);
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
    }
    byte[] raw = Arrays.copyOfRange(all, end + 4, all.length);
    byte[] body = "chunked".equalsIgnoreCase(headers.get("transfer-encoding")) ? dechunk(raw) : raw;
    return new Response(status, headers, body, all.length);
  }

  private static byte[] dechunk(byte[] raw) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int at = 0;
    while (at < raw.length) {
      int lineEnd = indexOfCrlf(raw, at);
      String size = new String(raw, at, lineEnd - at, StandardCharsets.ISO_8859_1).split(";")[0].trim();
      int n = Integer.parseInt(size, 16);
      if (n == 0) {
        break;
      }
      out.write(raw, lineEnd + 2, n);
      at = lineEnd + 2 + n + 2;
    }
    return out.toByteArray();
  }

  private static int indexOfCrlf(byte[] raw, int from) {
    for (int i = from; i + 1 < raw.length; i++) {
      if (raw[i] == '\r' && raw[i + 1] == '\n') {
        return i;
      }
    }
    throw new AssertionError("truncated chunked body");
  }
}
