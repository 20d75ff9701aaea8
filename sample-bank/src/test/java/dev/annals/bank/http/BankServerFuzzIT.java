package dev.annals.bank.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.annals.bank.Bank;
import dev.annals.bank.BankStorage;
import dev.annals.testkit.PostgresTestDatabase;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Hundreds of malformed requests of every kind the API has been found to mishandle, made by a
 * seeded generator (set {@code -Dfuzz.seed=N} to repeat a run), sent to a running server: each
 * must be answered 4xx with the JSON error body, briefly and without a stack trace, nothing may
 * be stored, and the server must still serve a valid request afterwards.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class BankServerFuzzIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  private static final int PER_KIND = 100;
  /** No error answer is longer: messages quote at most short excerpts of the input. */
  private static final int MAX_REPLY = 2048;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long SEED = Long.getLong("fuzz.seed", 14L);

  private static BankStorage storage;
  private static Bank bank;
  private static BankServer server;

  @BeforeAll
  static void start() {
    storage = BankStorage.postgres(db.jdbcUrl(), db.schema(), false);
    bank = Bank.start(storage.postgres().orElseThrow(), "fuzz-it");
    server = BankServer.start(bank, new InetSocketAddress("127.0.0.1", 0));
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
    if (bank != null) {
      bank.close();
    }
    if (storage != null) {
      storage.close();
    }
  }

  /** One malformed request: its kind, how it is written on the wire, and what to call it in a failure. */
  private record Crafted(String kind, String method, String target, Map<String, String> headers, byte[] body) {
    static Crafted json(String kind, String method, String target, String body) {
      return new Crafted(kind, method, target, Map.of("Content-Type", "application/json"),
          body.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
      String text = new String(body, StandardCharsets.UTF_8);
      return kind + ": " + method + " " + target + " " + headers + " "
          + (text.length() > 120 ? text.substring(0, 120) + "..." : text);
    }
  }

  @Test
  void malformed_requests_of_every_kind_get_a_brief_4xx_json_error_and_change_nothing() {
    open("fz-a");
    open("fz-b");
    send(Crafted.json("setup", "POST", "/accounts/fz-a/deposits", "{\"amount\": \"100\", \"currency\": \"EUR\"}"), 200);
    Map<String, String> depositKey = Map.of("Content-Type", "application/json", "Idempotency-Key", "fz-deposit");
    Map<String, String> transferKey = Map.of("Content-Type", "application/json", "Idempotency-Key", "fz-transfer");
    send(new Crafted("setup", "POST", "/accounts/fz-a/deposits", depositKey,
        "{\"amount\": \"1\", \"currency\": \"EUR\"}".getBytes(StandardCharsets.UTF_8)), 200);
    send(new Crafted("setup", "POST", "/transfers", transferKey,
        "{\"from\": \"fz-a\", \"to\": \"fz-b\", \"amount\": \"1\", \"currency\": \"EUR\"}".getBytes(StandardCharsets.UTF_8)),
        202);
    Random random = new Random(SEED);
    Map<String, Function<Random, Crafted>> kinds = new LinkedHashMap<>();
    kinds.put("amount", BankServerFuzzIT::badAmount);
    kinds.put("control character", BankServerFuzzIT::controlCharacter);
    kinds.put("deep nesting", BankServerFuzzIT::deepNesting);
    kinds.put("percent escape", BankServerFuzzIT::badEscape);
    kinds.put("repeated field", BankServerFuzzIT::repeatedField);
    kinds.put("reused idempotency key", r -> reusedKey(r, depositKey, transferKey));
    kinds.put("content type", BankServerFuzzIT::wrongContentType);
    kinds.put("lone surrogate", BankServerFuzzIT::loneSurrogate);
    kinds.put("request head", BankServerFuzzIT::badHead);
    kinds.put("invalid utf-8", BankServerFuzzIT::invalidUtf8);
    kinds.put("request target", BankServerFuzzIT::badTarget);
    kinds.put("body framing", BankServerFuzzIT::badFraming);
    kinds.put("header count", BankServerFuzzIT::tooManyHeaders);
    // The transfer process writes the transfer's other events shortly after; let it finish first.
    assertThat(bank.awaitSettled(Duration.ofSeconds(60))).as("setup transfer settled").isTrue();
    long before = eventCount();

    Map<String, Integer> sent = new LinkedHashMap<>();
    kinds.forEach((kind, generator) -> {
      for (int i = 0; i < PER_KIND; i++) {
        Crafted request = generator.apply(random);
        RawHttp.Response reply = request.method().equals("RAW")
            ? RawHttp.exchange(server.uri(), request.body())
            : RawHttp.send(server.uri(), request.method(), request.target(), request.headers(), request.body());
        assertBriefJsonError(request, reply);
        sent.merge(kind, 1, Integer::sum);
      }
    });

    assertThat(sent.values()).as("requests per kind").allMatch(n -> n >= 100);
    assertThat(eventCount()).as("events stored by the malformed requests (seed %d)", SEED).isEqualTo(before);
    send(Crafted.json("valid", "POST", "/accounts/fz-a/deposits", "{\"amount\": \"2.50\", \"currency\": \"EUR\"}"), 200);
    send(new Crafted("valid", "GET", "/accounts/fz-a", Map.of(), new byte[0]), 200);
    assertThat(eventCount()).as("the valid deposit stored").isEqualTo(before + 1);
  }

  // ---- generators ---------------------------------------------------------------------

  private static Crafted badAmount(Random r) {
    String amount = switch (r.nextInt(6)) {
      case 0 -> "1e" + (r.nextBoolean() ? "-" : "") + (13 + r.nextInt(Integer.MAX_VALUE - 13));
      case 1 -> digits(r, 1) + "." + digits(r, 1 + r.nextInt(40)) + "e" + (12 + r.nextInt(50));
      case 2 -> digits(r, 13 + r.nextInt(100));
      case 3 -> digits(r, 1 + r.nextInt(5)) + "." + digits(r, 3 + r.nextInt(30)).replaceAll("0$", "1");
      case 4 -> pick(r, "ten", "1,5", "0x1F", "NaN", "Infinity", "-", "1e", ".", "1..2", "++1", "\u0661",
          "1e2147483648", "12 EUR", "");
      default -> "1e" + (r.nextBoolean() ? "+" : "") + (1_000_000 + r.nextInt(1_000_000_000));
    };
    boolean asNumber = r.nextBoolean() && amount.matches("[0-9.e+-]+") && amount.matches(".*[0-9]")
        && !amount.startsWith(".") && !amount.contains("..") && !amount.startsWith("+");
    String value = asNumber ? amount : "\"" + amount + "\"";
    String path = r.nextBoolean() ? "/accounts/fz-a/deposits" : "/accounts/fz-a/withdrawals";
    if (r.nextInt(4) == 0) {
      return Crafted.json("amount", "POST", "/transfers",
          "{\"from\": \"fz-a\", \"to\": \"fz-b\", \"amount\": " + value + ", \"currency\": \"EUR\"}");
    }
    return Crafted.json("amount", "POST", path, "{\"amount\": " + value + ", \"currency\": \"EUR\"}");
  }

  private static Crafted controlCharacter(Random r) {
    int[] controls = {0, 1, 7, 8, 10, 13, 27, 31, 127, 128, 133, 159};
    String escape = String.format(Locale.ROOT, "\\u%04x", controls[r.nextInt(controls.length)]);
    String text = insert(r, "some text", escape);
    return switch (r.nextInt(4)) {
      case 0 -> Crafted.json("control character", "POST", "/accounts",
          "{\"id\": \"fz-c" + r.nextInt(1000) + "\", \"owner\": \"" + text + "\", \"currency\": \"EUR\"}");
      case 1 -> Crafted.json("control character", "POST", "/accounts/fz-b/freeze", "{\"reason\": \"" + text + "\"}");
      case 2 -> Crafted.json("control character", "POST", "/accounts/fz-a/deposits",
          "{\"amount\": \"1\", \"currency\": \"" + insert(r, "EUR", escape) + "\"}");
      default -> Crafted.json("control character", "POST", "/accounts",
          "{\"id\": \"" + insert(r, "fz-d", escape) + "\", \"owner\": \"x\", \"currency\": \"EUR\"}");
    };
  }

  private static Crafted deepNesting(Random r) {
    boolean arrays = r.nextBoolean();
    int depth = 33 + r.nextInt(arrays ? 20_000 : 6_000);
    String nested = arrays ? "[".repeat(depth) + "]".repeat(depth) : "{\"a\":".repeat(depth) + "1" + "}".repeat(depth);
    String body = switch (r.nextInt(3)) {
      case 0 -> nested;
      case 1 -> "{\"owner\": " + nested + ", \"currency\": \"EUR\"}";
      default -> "{\"amount\": " + nested + ", \"currency\": \"EUR\"}";
    };
    String path = pick(r, "/accounts", "/accounts/fz-a/deposits", "/transfers", "/accounts/fz-b/freeze");
    return Crafted.json("deep nesting", "POST", path, body);
  }

  private static Crafted badEscape(Random r) {
    String escape = "%" + pick(r, "", "z", "zz", "G1", "1", "%", "-1", "x0", "0g", "\u00e9");
    String path = pick(r, "/accounts/", "/accounts/fz-a/", "/transfers/", "/nowhere/", "/", "/events/",
        "/accounts/fz-a/as-of?version=", "/events?after=", "/accounts/fz-a/as-of?");
    String target = path + (r.nextBoolean() ? "" : "ok") + escape + (r.nextBoolean() ? "" : "/more");
    String method = r.nextBoolean() ? "GET" : "POST";
    return new Crafted("percent escape", method, target, Map.of("Content-Type", "application/json"),
        "{}".getBytes(StandardCharsets.UTF_8));
  }

  private static Crafted repeatedField(Random r) {
    return switch (r.nextInt(3)) {
      case 0 -> Crafted.json("repeated field", "POST", "/accounts/fz-a/deposits",
          "{\"amount\": \"1\", \"currency\": \"EUR\", \"amount\": \"" + (1 + r.nextInt(1000)) + "\"}");
      case 1 -> Crafted.json("repeated field", "POST", "/accounts",
          "{\"id\": \"fz-r" + r.nextInt(1000) + "\", \"owner\": \"a\", \"owner\": \"b\", \"currency\": \"EUR\"}");
      default -> Crafted.json("repeated field", "POST", "/transfers", "{\"from\": \"fz-a\", \"to\": \"fz-b\", "
          + "\"to\": \"fz-a\", \"amount\": \"1\", \"currency\": \"EUR\"}");
    };
  }

  private static Crafted reusedKey(Random r, Map<String, String> depositKey, Map<String, String> transferKey) {
    String amount = (2 + r.nextInt(500)) + "." + r.nextInt(10);
    if (r.nextBoolean()) {
      String path = r.nextBoolean() ? "/accounts/fz-a/deposits" : "/accounts/fz-a/withdrawals";
      return new Crafted("reused idempotency key", "POST", path, depositKey,
          ("{\"amount\": \"" + amount + "\", \"currency\": \"EUR\"}").getBytes(StandardCharsets.UTF_8));
    }
    return new Crafted("reused idempotency key", "POST", "/transfers", transferKey,
        ("{\"from\": \"fz-a\", \"to\": \"fz-b\", \"amount\": \"" + amount + "\", \"currency\": \"EUR\"}")
            .getBytes(StandardCharsets.UTF_8));
  }

  private static Crafted wrongContentType(Random r) {
    String type = pick(r, "text/plain", "application/x-www-form-urlencoded", "application/xml",
        "multipart/form-data; boundary=x", "application/json; charset=latin1", "application/jsonx", "json",
        "application/json; charset=utf-16", "text/json", "application/json; q=1", null);
    Map<String, String> headers = type == null ? Map.of() : Map.of("Content-Type", type);
    String path = pick(r, "/accounts", "/accounts/fz-a/deposits", "/transfers", "/accounts/fz-b/freeze");
    return new Crafted("content type", "POST", path, headers,
        "{\"amount\": \"1\", \"currency\": \"EUR\"}".getBytes(StandardCharsets.UTF_8));
  }

  private static Crafted loneSurrogate(Random r) {
    int unit = r.nextBoolean() ? 0xD800 + r.nextInt(0x400) : 0xDC00 + r.nextInt(0x400);
    String escape = String.format(Locale.ROOT, "\\u%04x", unit);
    String text = insert(r, "owner", escape);
    return switch (r.nextInt(3)) {
      case 0 -> Crafted.json("lone surrogate", "POST", "/accounts",
          "{\"id\": \"fz-s" + r.nextInt(1000) + "\", \"owner\": \"" + text + "\", \"currency\": \"EUR\"}");
      case 1 -> Crafted.json("lone surrogate", "POST", "/accounts/fz-b/freeze", "{\"reason\": \"" + text + "\"}");
      default -> Crafted.json("lone surrogate", "POST", "/accounts", "{\"" + text + "\": \"x\"}");
    };
  }

  private static Crafted badHead(Random r) {
    String head = switch (r.nextInt(6)) {
      case 0 -> "GET /accounts HTTP/1.1\r\nContent-Length: " + pick(r, "abc", "-1", "1.5", "99999999999999999999", "")
          + "\r\n\r\n";
      case 1 -> "GET /accounts HTTP/1.1\r\n" + pick(r, "NoColon", "Bad Name: x", ": empty", "X: a\u0001b") + "\r\n\r\n";
      case 2 -> pick(r, "GET /accounts", "GET", "GET  /accounts HTTP/1.1", "GET /accounts HTTP/1.1 x",
          "get /accounts HTTP/1.1", "GET accounts HTTP/1.1", "GET /accounts HTTP/2") + "\r\n\r\n";
      case 3 -> "POST /accounts HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: " + (2 + r.nextInt(9)) + "\r\n\r\n";
      case 4 -> "GET /accounts HTTP/1.1\r\nX-Big: " + "y".repeat(BankWebApplication.MAX_HEAD + r.nextInt(5000)) + "\r\n\r\n";
      default -> "GET /" + pick(r, "a b", "<x>", "{}", "a|b", "\"q\"", "a\\b", "^") + " HTTP/1.1\r\n\r\n";
    };
    return new Crafted("request head", "RAW", "", Map.of(), head.getBytes(StandardCharsets.ISO_8859_1));
  }

  private static Crafted badTarget(Random r) {
    String target = switch (r.nextInt(3)) {
      case 0 -> "/".repeat(2 + r.nextInt(3)) + pick(r, "accounts", "accounts/fz-a", "transfers", "events", "",
          "fz-a@host:1/accounts", "host/accounts/fz-a?x=1");
      case 1 -> pick(r, "http", "HTTP", "https", "ftp") + "://" + pick(r, "x", "localhost", "127.0.0.1:1", "a@b")
          + pick(r, "/accounts", "/accounts/fz-a", "", "/transfers?x=1");
      default -> pick(r, "*", "accounts", "localhost:80", "?x=1", "#x", "%2F/accounts");
    };
    // Tomcat serves an absolute target as its path (RFC 9112), so a GET of one is a valid read:
    // absolute targets go with the methods their paths refuse.
    String method = target.contains("://") ? pick(r, "POST", "DELETE") : pick(r, "GET", "POST", "DELETE");
    return raw("request target", method + " " + target + " HTTP/1.1\r\nHost: x\r\n"
        + (method.equals("POST") ? "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}" : "\r\n"));
  }

  private static Crafted badFraming(Random r) {
    String body = "{\"amount\": \"1\", \"currency\": \"EUR\"}";
    String length = Integer.toString(body.length());
    String name = pick(r, "Content-Length", "content-length", "CONTENT-LENGTH", "Content-length");
    String encoding = pick(r, "Transfer-Encoding", "transfer-encoding", "TRANSFER-ENCODING");
    String size = Integer.toHexString(body.length());
    String headers;
    String sent = body;
    switch (r.nextInt(5)) {
      case 0 -> headers = "Content-Length: " + length + "\r\n" + pick(r, "X: y\r\n", "") + name + ": "
          + (r.nextBoolean() ? length : Integer.toString(1 + r.nextInt(99))) + "\r\n";
      case 1 -> headers = r.nextBoolean()
          ? name + ": " + length + "\r\n" + encoding + ": chunked\r\n"
          : encoding + ": chunked\r\n" + name + ": " + length + "\r\n";
      case 2 -> headers = encoding + ": " + pick(r, "gzip", "identity", "chunked, chunked", "gzip, chunked",
          "chunked;x=1", "compress", "") + "\r\n" + (r.nextBoolean() ? name + ": " + length + "\r\n" : "");
      case 3 -> headers = encoding + ": chunked\r\n" + encoding + ": chunked\r\n";
      default -> {
        headers = encoding + ": " + pick(r, "chunked", "Chunked", "CHUNKED") + "\r\n";
        // Tomcat reads a well-framed chunked body (a valid one is a valid deposit): malformed sizes only.
        sent = pick(r, "zz", "-1", "0x" + size, "ffffffffffffffffffff") + "\r\n" + body + "\r\n0\r\n"
            + pick(r, "", "X-Trailer: 1\r\n", "Content-Length: 5\r\n") + "\r\n";
      }
    }
    String path = pick(r, "/accounts/fz-a/deposits", "/accounts/fz-a/withdrawals");
    return raw("body framing", "POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + headers + "\r\n" + sent);
  }

  private static Crafted tooManyHeaders(Random r) {
    int count = BankWebApplication.MAX_HEADERS + 1 + r.nextInt(300);
    StringBuilder head = new StringBuilder(pick(r, "GET /accounts/fz-a", "POST /accounts/fz-a/deposits"))
        .append(" HTTP/1.1\r\nHost: x\r\n");
    for (int i = 1; i < count; i++) {
      // Repeated names too: the JDK server counts distinct names, the gate every line.
      head.append("X-").append(r.nextInt(4) == 0 ? "Same" : "H" + i).append(": v\r\n");
    }
    return raw("header count", head.append("Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
        .toString());
  }

  private static Crafted raw(String kind, String request) {
    return new Crafted(kind, "RAW", "", Map.of(), request.getBytes(StandardCharsets.ISO_8859_1));
  }

  private static Crafted invalidUtf8(Random r) {
    byte[][] bad = {{(byte) 0xff}, {(byte) 0xc0, (byte) 0x80}, {(byte) 0xed, (byte) 0xa0, (byte) 0x80},
        {(byte) 0xe2, (byte) 0x82}, {(byte) 0xf8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80},
        {(byte) 0x80}, {(byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80}};
    byte[] piece = bad[r.nextInt(bad.length)];
    if (r.nextInt(3) == 0) {
      // In the path, %-escaped: decoded bytes that are not UTF-8 name no account.
      StringBuilder escaped = new StringBuilder();
      for (byte b : piece) {
        escaped.append(String.format(Locale.ROOT, "%%%02X", b & 0xff));
      }
      return new Crafted("invalid utf-8", "GET", "/accounts/fz" + escaped, Map.of(), new byte[0]);
    }
    String field = pick(r, "owner", "id", "currency");
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.writeBytes(("{\"" + field + "\": \"ab").getBytes(StandardCharsets.UTF_8));
    body.writeBytes(piece);
    body.writeBytes("cd\"}".getBytes(StandardCharsets.UTF_8));
    return new Crafted("invalid utf-8", "POST", "/accounts", Map.of("Content-Type", "application/json"),
        body.toByteArray());
  }

  // ---- helpers ------------------------------------------------------------------------

  private static void assertBriefJsonError(Crafted request, RawHttp.Response reply) {
    String what = request + " (seed " + SEED + ") answered " + reply.status() + " " + reply.text();
    if (reply.status() == 0) {
      // HTTP/0.9 (a request line without a version): no status line, only the problem.
      assertThat(reply.text()).as(what).contains("\"status\":400", "\"error\":\"bad_request\"");
      return;
    }
    // Tomcat's 501 (unknown transfer coding) and 505 (another HTTP version) are answered 400.
    assertThat(reply.status()).as(what).isBetween(400, 499);
    assertThat(reply.size()).as(what).isLessThanOrEqualTo(MAX_REPLY);
    assertThat(reply.header("Content-Type")).as(what).startsWith("application/problem+json");
    JsonNode body;
    try {
      body = JSON.readTree(reply.body());
    } catch (IOException e) {
      throw new AssertionError("not JSON: " + what, e);
    }
    assertThat(body.path("error").isTextual()).as(what).isTrue();
    assertThat(body.path("error").asText()).as(what).matches("[a-z_]+");
    assertThat(body.path("message").asText()).as(what).isNotBlank();
    assertThat(reply.text()).as(what).doesNotContain("Exception", "\tat ", "<html", "<h1>");
  }

  private static void send(Crafted request, int status) {
    RawHttp.Response reply = RawHttp.send(server.uri(), request.method(), request.target(), request.headers(),
        request.body());
    assertThat(reply.status()).as(request + " answered " + reply.text()).isEqualTo(status);
  }

  private static void open(String id) {
    send(Crafted.json("setup", "POST", "/accounts", "{\"id\": \"" + id + "\", \"owner\": \"o\", \"currency\": \"EUR\"}"),
        201);
  }

  private static String digits(Random r, int n) {
    StringBuilder out = new StringBuilder();
    out.append((char) ('1' + r.nextInt(9)));
    for (int i = 1; i < n; i++) {
      out.append((char) ('0' + r.nextInt(10)));
    }
    return out.toString();
  }

  private static String insert(Random r, String text, String piece) {
    int at = r.nextInt(text.length() + 1);
    return text.substring(0, at) + piece + text.substring(at);
  }

  @SafeVarargs
  private static <T> T pick(Random r, T... choices) {
    return choices[r.nextInt(choices.length)];
  }

  private static long eventCount() {
    try (Connection c = db.connect(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*) FROM " + db.schema() + ".events")) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
