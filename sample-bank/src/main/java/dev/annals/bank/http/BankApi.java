// Over 400 lines: every route of the sample's HTTP API in one handler, until it moves onto Spring Boot.
package dev.annals.bank.http;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.annals.bank.Bank;
import dev.annals.bank.domain.Account;
import dev.annals.bank.domain.AccountCommand.Close;
import dev.annals.bank.domain.AccountCommand.Deposit;
import dev.annals.bank.domain.AccountCommand.Freeze;
import dev.annals.bank.domain.AccountCommand.Open;
import dev.annals.bank.domain.AccountCommand.Unfreeze;
import dev.annals.bank.domain.AccountCommand.Withdraw;
import dev.annals.bank.domain.AccountCommand;
import dev.annals.bank.domain.AccountEvent;
import dev.annals.bank.domain.AccountState;
import dev.annals.bank.domain.Money;
import dev.annals.bank.domain.Transfer;
import dev.annals.bank.domain.TransferEvent;
import dev.annals.bank.domain.TransferState;
import dev.annals.bank.views.TransferStatusProjection;
import dev.annals.core.AggregateHistory;
import dev.annals.core.AggregateState;
import dev.annals.core.AsOf;
import dev.annals.core.CommandContext;
import dev.annals.core.CommandResult;
import dev.annals.core.ConcurrencyConflictException;
import dev.annals.core.DomainException;
import dev.annals.core.ExpectedVersion;
import dev.annals.core.RecordedEvent;
import dev.annals.core.StoreUnavailableException;
import dev.annals.core.internal.Redaction;
import dev.annals.projections.ProjectionStatus;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Currency;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The sample bank's HTTP API: routes requests to the {@link Bank}, turns its answers and errors
 * into JSON, and hands event feeds to {@link EventFeed}. The endpoints are listed in
 * {@code docs/http-api.md}.
 *
 * <p>Errors are {@code {"error": code, "message": text}} with a status that says whose move it
 * is: 400 the request is malformed, 404 no such account or transfer, 405 wrong method, 409 the
 * account's state or version conflicts with the request (it exists already, is closed or frozen,
 * is not frozen, or is not at the {@code If-Match} version), 422 the bank's rules refuse the
 * request as it stands (amount, currency, funds, a non-zero balance), 503 the database is
 * unreachable. The code of a refusal is its exception's name in snake case
 * ({@code insufficient_funds}), so clients can tell refusals apart without reading the text.
 *
 * <p>Thread-safe: the server calls {@link #handle} from many threads.
 */
final class BankApi implements HttpHandler {

  private static final System.Logger LOG = System.getLogger(BankApi.class.getName());

  /** Largest request body read; commands are a few dozen bytes. */
  private static final int MAX_BODY = 64 * 1024;
  private static final Pattern KEY = Pattern.compile("[\\x21-\\x7e]{1,200}");
  private static final String ACTOR = "http-api";
  private static final Set<Class<?>> STATE_CONFLICTS = Set.of(Account.AlreadyOpened.class,
      Account.NotOpen.class, Account.AccountFrozen.class, Account.NotFrozen.class, Transfer.TransferIdTaken.class);

  private final Bank bank;
  private final EventFeed feed;
  private final ObjectMapper json;

  BankApi(Bank bank, EventFeed feed, ObjectMapper json) {
    this.bank = bank;
    this.feed = feed;
    this.json = json;
  }

  /**
   * The API's JSON mapper: ISO-8601 instants, exact decimals, and money as
   * {@code {"amount": "12.50", "currency": "EUR"}} with the amount as a string, so that no client
   * turns it into a binary fraction.
   */
  static ObjectMapper mapper() {
    SimpleModule money = new SimpleModule("money");
    money.addSerializer(Money.class, new StdSerializer<>(Money.class) {
      private static final long serialVersionUID = 1L;

      @Override
      public void serialize(Money value, JsonGenerator gen, SerializerProvider provider) throws IOException {
        gen.writeStartObject();
        gen.writeStringField("amount", value.amount().toPlainString());
        gen.writeStringField("currency", value.currency().getCurrencyCode());
        gen.writeEndObject();
      }
    });
    return JsonMapper.builder()
        .addModule(new JavaTimeModule())
        .addModule(money)
        .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
        .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
        .build();
  }

  /** An event as the API shows it, in histories and feeds. */
  static ObjectNode eventJson(ObjectMapper json, RecordedEvent event) {
    ObjectNode node = json.createObjectNode();
    node.put("position", event.position());
    node.put("version", event.version());
    node.put("type", event.type());
    node.put("recordedAt", event.recordedAt().toString());
    node.put("actor", event.metadata().actor());
    node.put("correlationId", event.metadata().correlationId());
    node.put("causationId", event.metadata().causationId());
    node.set("payload", json.valueToTree(event.payload()));
    return node;
  }

  /** A request the API refuses, with the status and JSON error it answers with. */
  static final class ApiException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    final int status;
    final String code;
    final transient Map<String, Object> details;

    ApiException(int status, String code, String message) {
      this(status, code, message, Map.of());
    }

    ApiException(int status, String code, String message, Map<String, Object> details) {
      super(message);
      this.status = status;
      this.code = code;
      this.details = details;
    }
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      try {
        route(exchange);
      } catch (ApiException e) {
        sendError(exchange, e);
      } catch (StoreUnavailableException e) {
        exchange.getResponseHeaders().set("Retry-After", "5");
        sendError(exchange, new ApiException(503, "store_unavailable", "the database cannot be reached: "
            + firstLine(e.getMessage()) + "; try again later"));
      } catch (ConcurrencyConflictException e) {
        // Every retry of the repository met a concurrent writer; the client may simply send again.
        Map<String, Object> details = new LinkedHashMap<>();
        if (e.expected() instanceof ExpectedVersion.Exactly exactly) {
          details.put("expectedVersion", exactly.version());
        }
        details.put("actualVersion", e.actualVersion());
        sendError(exchange, new ApiException(409, "concurrency_conflict", e.getMessage(), details));
      } catch (DomainException e) {
        sendError(exchange, refusal(e));
      } catch (IOException e) {
        // The client went away; there is nobody to answer.
        LOG.log(System.Logger.Level.DEBUG, "client connection lost", e);
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.ERROR, "request " + exchange.getRequestMethod() + " "
            + exchange.getRequestURI() + " failed", Redaction.redacted(e));
        sendError(exchange, new ApiException(500, "internal_error", "the server failed: "
            + firstLine(e.toString()) + "; the server log has the details"));
      }
    }
  }

  private void route(HttpExchange exchange) throws IOException {
    String method = exchange.getRequestMethod();
    List<String> path = segments(exchange.getRequestURI().getRawPath());
    Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
    if (path.isEmpty() || (path.size() == 1 && (path.get(0).equals("app.js") || path.get(0).equals("app.css")))) {
      allow(method, "GET");
      sendAsset(exchange, path.isEmpty() ? "index.html" : path.get(0));
      return;
    }
    String root = path.get(0);
    if (root.equals("accounts")) {
      accounts(exchange, method, path, query);
    } else if (root.equals("transfers") && path.size() <= 2) {
      if (path.size() == 1) {
        allow(method, "POST");
        startTransfer(exchange);
      } else {
        allow(method, "GET");
        transferStatus(exchange, path.get(1));
      }
    } else if (root.equals("events") && path.size() == 1) {
      allow(method, "GET");
      feed.serve(exchange, new EventFeed.Request(null, after(exchange, query)));
    } else if (root.equals("projectors") && path.size() == 1) {
      allow(method, "GET");
      List<ProjectionStatus> status = bank.projections().status();
      ObjectNode body = json.createObjectNode();
      body.set("projectors", json.readTree(ProjectionStatus.toJson(status)));
      send(exchange, 200, body);
    } else {
      throw notFound(exchange);
    }
  }

  private void accounts(HttpExchange exchange, String method, List<String> path, Map<String, String> query)
      throws IOException {
    if (path.size() == 1) {
      allow(method, "GET", "POST");
      if (method.equals("POST")) {
        open(exchange);
      } else {
        ObjectNode body = json.createObjectNode();
        body.set("accounts", json.valueToTree(bank.balances()));
        send(exchange, 200, body);
      }
      return;
    }
    String id = accountId(path.get(1));
    if (path.size() == 2) {
      allow(method, "GET");
      AggregateState<AccountState> state = existing(id);
      exchange.getResponseHeaders().set("ETag", "\"" + state.version() + "\"");
      send(exchange, 200, stateJson(id, state.version(), state.state()));
      return;
    }
    if (path.size() > 3) {
      throw notFound(exchange);
    }
    switch (path.get(2)) {
      case "deposits" -> {
        allow(method, "POST");
        command(exchange, id, new Deposit(money(body(exchange, "amount", "currency"))));
      }
      case "withdrawals" -> {
        allow(method, "POST");
        command(exchange, id, new Withdraw(money(body(exchange, "amount", "currency"))));
      }
      case "freeze" -> {
        allow(method, "POST");
        command(exchange, id, new Freeze(optionalText(body(exchange, "reason"), "reason")));
      }
      case "unfreeze" -> {
        allow(method, "POST");
        body(exchange);
        command(exchange, id, new Unfreeze());
      }
      case "close" -> {
        allow(method, "POST");
        body(exchange);
        command(exchange, id, new Close());
      }
      case "statement" -> {
        allow(method, "GET");
        existing(id);
        ObjectNode body = json.createObjectNode();
        body.put("id", id);
        body.set("lines", json.valueToTree(bank.statement(id)));
        send(exchange, 200, body);
      }
      case "history" -> {
        allow(method, "GET");
        AggregateHistory<AccountState> history = bank.accounts().history(id, AsOf.version(Long.MAX_VALUE));
        if (!history.state().exists()) {
          throw accountNotFound(id);
        }
        ObjectNode body = stateJson(id, history.state().version(), history.state().state());
        body.set("events", eventsJson(history.events()));
        send(exchange, 200, body);
      }
      case "as-of" -> {
        allow(method, "GET");
        asOf(exchange, id, query);
      }
      case "events" -> {
        allow(method, "GET");
        existing(id);
        feed.serve(exchange, new EventFeed.Request(id, after(exchange, query)));
      }
      default -> throw notFound(exchange);
    }
  }

  private void open(HttpExchange exchange) throws IOException {
    JsonNode body = body(exchange, "id", "owner", "currency");
    Optional<String> key = idempotencyKey(exchange);
    // Without an id a resend must still reach the same account, so the id comes from the key.
    String id = optionalText(body, "id");
    if (id == null) {
      id = key.map(k -> UUID.nameUUIDFromBytes(("account|" + k).getBytes(StandardCharsets.UTF_8)))
          .orElseGet(UUID::randomUUID).toString();
    }
    accountId(id);
    String owner = requiredText(body, "owner");
    Currency currency = currency(requiredText(body, "currency"));
    CommandResult<AccountState, AccountEvent> result = handle(id, new Open(owner, currency), context(key),
        ifMatch(exchange, id));
    exchange.getResponseHeaders().set("Location", "/accounts/" + id);
    send(exchange, 201, resultJson(id, result));
  }

  private void command(HttpExchange exchange, String id, AccountCommand command) throws IOException {
    Optional<String> key = idempotencyKey(exchange);
    OptionalLong expected = ifMatch(exchange, id);
    CommandResult<AccountState, AccountEvent> result;
    try {
      result = handle(id, command, context(key), expected);
    } catch (DomainException e) {
      // "No account has been opened here" is a missing resource, not a refusal.
      if (!bank.accounts().load(id).exists()) {
        throw accountNotFound(id);
      }
      throw e;
    }
    send(exchange, 200, resultJson(id, result));
  }

  private void startTransfer(HttpExchange exchange) throws IOException {
    JsonNode body = body(exchange, "id", "from", "to", "amount", "currency");
    Optional<String> key = idempotencyKey(exchange);
    String id = optionalText(body, "id");
    if (id == null) {
      id = key.map(k -> UUID.nameUUIDFromBytes(("transfer|" + k).getBytes(StandardCharsets.UTF_8)))
          .orElseGet(UUID::randomUUID).toString();
    }
    transferId(id);
    String from = accountId(requiredText(body, "from"));
    String to = accountId(requiredText(body, "to"));
    Money amount = money(body);
    existing(from);
    existing(to);
    CommandResult<TransferState, TransferEvent> result = bank.transfer(id, from, to, amount, context(key));
    exchange.getResponseHeaders().set("Location", "/transfers/" + id);
    ObjectNode response = transferJson(id, result.state());
    response.put("replayed", result.replayed());
    send(exchange, 202, response);
  }

  /**
   * A transfer from the {@code transfers} read model; one requested a moment ago that the read
   * model has not caught up with is answered from its own events, so a client can follow the
   * {@code Location} of {@code POST /transfers} at once.
   */
  private void transferStatus(HttpExchange exchange, String id) throws IOException {
    transferId(id);
    Optional<TransferStatusProjection.View> view = bank.transferStatus(id);
    if (view.isPresent()) {
      send(exchange, 200, json.valueToTree(view.get()));
      return;
    }
    AggregateState<TransferState> state = bank.transfers().load(id);
    if (!state.exists()) {
      throw new ApiException(404, "transfer_not_found", "no transfer '" + id + "' has been requested; "
          + "request one with POST /transfers");
    }
    send(exchange, 200, transferJson(id, state.state()));
  }

  private ObjectNode transferJson(String id, TransferState state) {
    ObjectNode node = json.createObjectNode();
    node.put("transferId", id);
    node.put("source", state.source());
    node.put("target", state.target());
    node.set("amount", json.valueToTree(state.amount()));
    node.put("status", state.status().name());
    node.put("reason", state.reason());
    return node;
  }

  private void asOf(HttpExchange exchange, String id, Map<String, String> query) throws IOException {
    Set<String> given = new TreeSet<>(query.keySet());
    given.retainAll(Set.of("version", "position", "time"));
    if (given.size() != 1) {
      throw new ApiException(400, "bad_as_of", "as-of needs exactly one of ?version=V, ?position=P or "
          + "?time=ISO-8601, got " + (given.isEmpty() ? "none" : String.join(" and ", given)));
    }
    long current = existing(id).version();
    ObjectNode at = json.createObjectNode();
    AsOf point;
    if (given.contains("version")) {
      long version = wholeNumber(query.get("version"), "version");
      if (version > current) {
        throw new ApiException(400, "bad_version", "account '" + id + "' has versions 0 to " + current
            + ", not " + version);
      }
      point = AsOf.version(version);
      at.put("version", version);
    } else if (given.contains("position")) {
      long position = wholeNumber(query.get("position"), "position");
      // The account's last event at or before that log position; within a stream, position grows with version.
      long version = 0;
      for (RecordedEvent e : bank.accounts().history(id, AsOf.version(current)).events()) {
        if (e.position() <= position) {
          version = e.version();
        }
      }
      point = AsOf.version(version);
      at.put("position", position);
    } else {
      Instant time = time(query.get("time"));
      point = AsOf.time(time);
      at.put("time", time.toString());
    }
    AggregateHistory<AccountState> history = bank.accounts().history(id, point);
    ObjectNode body = stateJson(id, history.state().version(), history.state().state());
    body.set("asOf", at);
    List<RecordedEvent> events = history.events();
    body.set("lastEvent", events.isEmpty() ? null : eventJson(json, events.get(events.size() - 1)));
    send(exchange, 200, body);
  }

  // ---- commands' context, versions, existence -------------------------------------------

  private static Optional<String> idempotencyKey(HttpExchange exchange) {
    String key = exchange.getRequestHeaders().getFirst("Idempotency-Key");
    if (key == null) {
      return Optional.empty();
    }
    if (!KEY.matcher(key).matches()) {
      throw new ApiException(400, "bad_idempotency_key", "Idempotency-Key must be 1 to 200 visible ASCII "
          + "characters without spaces, was '" + printable(key) + "'");
    }
    return Optional.of(key);
  }

  /** The key becomes the command id, from which the repository derives the event ids: a resend writes nothing. */
  private static CommandContext context(Optional<String> key) {
    return key.map(CommandContext::of).orElseGet(CommandContext::random).withActor(ACTOR);
  }

  /**
   * The version {@code If-Match} names, if any. The command is then decided only at that version
   * and appended with exactly it ({@link Bank#handle(String, AccountCommand, CommandContext, long)}),
   * so a writer that slips in between is caught too: 409, nothing written.
   */
  private static OptionalLong ifMatch(HttpExchange exchange, String id) {
    String header = exchange.getRequestHeaders().getFirst("If-Match");
    if (header == null) {
      return OptionalLong.empty();
    }
    String text = header.trim();
    if (text.startsWith("\"") && text.endsWith("\"") && text.length() >= 2) {
      text = text.substring(1, text.length() - 1);
    }
    long expected;
    try {
      expected = Long.parseLong(text);
    } catch (NumberFormatException e) {
      expected = -1;
    }
    if (expected < 0) {
      throw new ApiException(400, "bad_if_match", "If-Match must be an account version such as \"3\" "
          + "(the ETag of GET /accounts/" + id + "), was '" + printable(header) + "'");
    }
    return OptionalLong.of(expected);
  }

  /** Handles the command, at the If-Match version when there is one. */
  private CommandResult<AccountState, AccountEvent> handle(String id, AccountCommand command, CommandContext context,
      OptionalLong expected) {
    if (expected.isEmpty()) {
      return bank.handle(id, command, context);
    }
    try {
      return bank.handle(id, command, context, ExpectedVersion.exactly(expected.getAsLong()));
    } catch (ConcurrencyConflictException e) {
      Map<String, Object> details = new LinkedHashMap<>();
      details.put("expectedVersion", expected.getAsLong());
      details.put("actualVersion", e.actualVersion());
      throw new ApiException(409, "version_conflict", "account '" + id + "' is at version " + e.actualVersion()
          + ", not " + expected.getAsLong() + " as If-Match expects; read it again and decide again", details);
    }
  }

  private AggregateState<AccountState> existing(String id) {
    AggregateState<AccountState> state = bank.accounts().load(id);
    if (!state.exists()) {
      throw accountNotFound(id);
    }
    return state;
  }

  private static ApiException accountNotFound(String id) {
    return new ApiException(404, "account_not_found", "no account '" + id + "' has been opened; open it "
        + "with POST /accounts");
  }

  private static ApiException notFound(HttpExchange exchange) {
    return new ApiException(404, "not_found", "no resource at " + exchange.getRequestURI().getPath()
        + "; docs/http-api.md lists the endpoints");
  }

  private static ApiException refusal(DomainException e) {
    int status = STATE_CONFLICTS.contains(e.getClass()) ? 409 : 422;
    String name = e.getClass() == DomainException.class ? "refused"
        : e.getClass().getSimpleName().replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
    return new ApiException(status, name, e.getMessage());
  }

  // ---- parsing ---------------------------------------------------------------------------

  private static void allow(String method, String... allowed) {
    for (String a : allowed) {
      if (a.equals(method)) {
        return;
      }
    }
    throw new ApiException(405, "method_not_allowed", "method " + method + " is not allowed here; use "
        + String.join(" or ", allowed), Map.of("allow", String.join(", ", allowed)));
  }

  /** Reads the body as a JSON object with no other fields than {@code fields}; no body reads as {}. */
  private JsonNode body(HttpExchange exchange, String... fields) throws IOException {
    byte[] bytes;
    try (InputStream in = exchange.getRequestBody()) {
      bytes = in.readNBytes(MAX_BODY + 1);
    }
    if (bytes.length > MAX_BODY) {
      throw new ApiException(413, "body_too_large", "the request body is over " + MAX_BODY + " bytes");
    }
    if (new String(bytes, StandardCharsets.UTF_8).isBlank()) {
      return json.createObjectNode();
    }
    JsonNode node;
    try {
      node = json.readTree(bytes);
    } catch (JsonProcessingException e) {
      throw new ApiException(400, "malformed_json", "the body is not valid JSON: "
          + firstLine(e.getOriginalMessage()) + " (line " + e.getLocation().getLineNr() + ", column "
          + e.getLocation().getColumnNr() + ")");
    }
    if (!node.isObject()) {
      throw new ApiException(400, "malformed_json", "the body must be a JSON object, was a "
          + node.getNodeType().name().toLowerCase(Locale.ROOT));
    }
    List<String> known = List.of(fields);
    for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!known.contains(name)) {
        throw new ApiException(400, "unknown_field", "unknown field '" + printable(name) + "' in the body; "
            + (known.isEmpty() ? "this request takes no fields" : "expected " + String.join(", ", known)));
      }
    }
    return node;
  }

  private static String requiredText(JsonNode body, String field) {
    String value = optionalText(body, field);
    if (value == null) {
      throw new ApiException(400, "missing_field", "field '" + field + "' is required");
    }
    return value;
  }

  private static String optionalText(JsonNode body, String field) {
    JsonNode node = body.get(field);
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isTextual()) {
      throw new ApiException(400, "bad_field", "field '" + field + "' must be a string, was " + node);
    }
    return node.asText();
  }

  private static Money money(JsonNode body) {
    JsonNode amount = body.get("amount");
    if (amount == null || amount.isNull()) {
      throw new ApiException(400, "missing_field", "field 'amount' is required, such as \"12.50\"");
    }
    BigDecimal value;
    if (amount.isNumber()) {
      value = amount.decimalValue();
    } else if (amount.isTextual()) {
      try {
        value = new BigDecimal(amount.asText().trim());
      } catch (NumberFormatException e) {
        throw new ApiException(400, "bad_amount", "amount '" + printable(amount.asText())
            + "' is not a decimal number such as \"12.50\"");
      }
    } else {
      throw new ApiException(400, "bad_amount", "amount must be a decimal number or a string such as "
          + "\"12.50\", was " + amount);
    }
    Currency currency = currency(requiredText(body, "currency"));
    try {
      return new Money(value, currency);
    } catch (IllegalArgumentException e) {
      throw new ApiException(400, "bad_amount", e.getMessage());
    }
  }

  private static Currency currency(String code) {
    try {
      if (code.equals(code.toUpperCase(Locale.ROOT))) {
        return Currency.getInstance(code);
      }
    } catch (IllegalArgumentException e) {
      // reported below
    }
    throw new ApiException(400, "unknown_currency", "unknown currency '" + printable(code)
        + "': use an ISO 4217 code such as EUR, USD or JPY");
  }

  private static String accountId(String id) {
    try {
      Account.TYPE.streamId(id);
      return id;
    } catch (IllegalArgumentException e) {
      throw new ApiException(400, "bad_account_id", "bad account id: " + e.getMessage());
    }
  }

  private static void transferId(String id) {
    try {
      Transfer.TYPE.streamId(id);
    } catch (IllegalArgumentException e) {
      throw new ApiException(400, "bad_transfer_id", "bad transfer id: " + e.getMessage());
    }
  }

  private static long wholeNumber(String text, String name) {
    try {
      long value = Long.parseLong(text);
      if (value >= 0) {
        return value;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new ApiException(400, "bad_" + name, name + " must be a whole number, 0 or more, was '"
        + printable(text) + "'");
  }

  private static Instant time(String text) {
    try {
      return Instant.parse(text);
    } catch (DateTimeParseException e) {
      try {
        return OffsetDateTime.parse(text).toInstant();
      } catch (DateTimeParseException e2) {
        throw new ApiException(400, "bad_time", "time '" + printable(text) + "' is not ISO-8601 with an "
            + "offset, such as 2025-01-31T12:00:00Z");
      }
    }
  }

  /** The position a feed resumes after: {@code Last-Event-ID} (set by reconnecting browsers) or {@code ?after=}. */
  private static Long after(HttpExchange exchange, Map<String, String> query) {
    String header = exchange.getRequestHeaders().getFirst("Last-Event-ID");
    if (header != null && !header.isBlank()) {
      return wholeNumber(header.trim(), "last_event_id");
    }
    String after = query.get("after");
    return after == null ? null : wholeNumber(after, "after");
  }

  private static List<String> segments(String rawPath) {
    List<String> out = new ArrayList<>();
    for (String s : rawPath.split("/")) {
      if (!s.isEmpty()) {
        out.add(URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8));
      }
    }
    return out;
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> out = new LinkedHashMap<>();
    if (raw == null || raw.isEmpty()) {
      return out;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      if (out.putIfAbsent(name, value) != null) {
        throw new ApiException(400, "repeated_parameter", "query parameter '" + printable(name)
            + "' is given more than once");
      }
    }
    return out;
  }

  // ---- responses -------------------------------------------------------------------------

  private ObjectNode stateJson(String id, long version, AccountState state) {
    ObjectNode node = json.createObjectNode();
    node.put("id", id);
    node.put("version", version);
    node.setAll((ObjectNode) json.valueToTree(state));
    return node;
  }

  private ObjectNode resultJson(String id, CommandResult<AccountState, AccountEvent> result) {
    ObjectNode node = stateJson(id, result.version(), result.state());
    node.put("replayed", result.replayed());
    ArrayNode events = node.putArray("events");
    for (AccountEvent e : result.events()) {
      events.addObject().put("type", bank.store().registry().typeName(e.getClass()))
          .set("payload", json.valueToTree(e));
    }
    return node;
  }

  private ArrayNode eventsJson(List<RecordedEvent> events) {
    ArrayNode array = json.createArrayNode();
    events.forEach(e -> array.add(eventJson(json, e)));
    return array;
  }

  private void send(HttpExchange exchange, int status, JsonNode body) throws IOException {
    byte[] bytes = json.writeValueAsBytes(body);
    exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  private void sendError(HttpExchange exchange, ApiException e) throws IOException {
    if (exchange.getResponseCode() != -1) {
      // The response (a feed) has started; the status can no longer change.
      return;
    }
    ObjectNode body = json.createObjectNode();
    body.put("error", e.code);
    // Messages may quote a connection URL or a handler's error: never a password in a reply.
    body.put("message", Redaction.redact(e.getMessage()));
    e.details.forEach((k, v) -> body.set(k, json.valueToTree(v)));
    if (e.status == 405) {
      exchange.getResponseHeaders().set("Allow", String.valueOf(e.details.get("allow")));
    }
    send(exchange, e.status, body);
  }

  private static void sendAsset(HttpExchange exchange, String name) throws IOException {
    byte[] bytes;
    try (InputStream in = BankApi.class.getResourceAsStream("/web/" + name)) {
      if (in == null) {
        throw new IllegalStateException("web asset /web/" + name + " is missing from the classpath");
      }
      bytes = in.readAllBytes();
    }
    String type = name.endsWith(".html") ? "text/html" : name.endsWith(".js") ? "text/javascript" : "text/css";
    exchange.getResponseHeaders().set("Content-Type", type + "; charset=utf-8");
    exchange.sendResponseHeaders(200, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static String firstLine(String message) {
    return String.valueOf(message).lines().findFirst().orElse("");
  }

  /** {@code value} cut to 60 characters with control characters escaped, for messages. */
  private static String printable(String value) {
    String shown = value.length() > 60 ? value.substring(0, 60) + "..." : value;
    StringBuilder out = new StringBuilder();
    shown.codePoints().forEach(cp -> {
      if (Character.isISOControl(cp)) {
        out.append(String.format(Locale.ROOT, "\\u%04x", cp));
      } else {
        out.appendCodePoint(cp);
      }
    });
    return out.toString();
  }
}
