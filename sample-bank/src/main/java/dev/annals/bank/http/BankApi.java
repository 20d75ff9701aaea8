// Over 400 lines: every endpoint of the sample's HTTP API and the parsing of what they take.
package dev.annals.bank.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
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
import dev.annals.core.EventStore;
import dev.annals.core.RecordedEvent;
import dev.annals.core.StoreUnavailableException;
import dev.annals.core.StreamId;
import dev.annals.core.internal.Redaction;
import dev.annals.projections.ProjectionStatus;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Currency;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Pattern;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.Collection;
import org.springframework.http.CacheControl;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;
/**
 * The sample bank's HTTP API on Spring MVC: one handler method per endpoint, turning the
 * {@link Bank}'s answers into JSON; the live event feeds are es-web's ({@link BankFeeds}). The
 * endpoints are listed in {@code docs/http-api.md}.
 *
 * <p>Errors are thrown as {@link ApiException} (or the bank's own exceptions) and answered by
 * {@link ApiErrors} as RFC 9457 problem details, with a status that says whose move it is: 400
 * the request is malformed, 404 no such account or transfer, 405 wrong method, 409 the account's
 * state or version conflicts with the request (it exists already, is closed or frozen, is not
 * frozen, or is not at the {@code If-Match} version), 422 the bank's rules refuse the request as
 * it stands (amount, currency, funds, a non-zero balance), 503 the database is unreachable. The
 * code of a refusal is its exception's name in snake case ({@code insufficient_funds}), so
 * clients can tell refusals apart without reading the text. Messages show at most a short,
 * escaped excerpt of what the client sent.
 *
 * <p>Bodies are read and written with the bank's own Jackson 2 mapper ({@link #mapper()}), not
 * Spring's converters: the body is read only up to its limit, a repeated field is an error, and
 * money is written as the bank writes it everywhere else.
 *
 * <p>Thread-safe: Spring calls it from many threads.
 */
@RestController
final class BankApi {

  /** Largest request body read; commands are a few dozen bytes. */
  private static final int MAX_BODY = 64 * 1024;
  /** Deepest nesting of a body; commands are flat objects. */
  private static final int MAX_DEPTH = 32;
  /** Longest number in a body, in characters; amounts are bounded further by {@link Money#parse}. */
  private static final int MAX_NUMBER_LENGTH = 100;
  /** Metadata key of a command's request fingerprint, which a resend under the same key must match. */
  static final String REQUEST_HASH = "requestHash";
  private static final Pattern KEY = Pattern.compile("[\\x21-\\x7e]{1,200}");
  private static final String ACTOR = "http-api";
  /** Events read at once when looking for a key's first request. */
  private static final int PAGE = 200;
  private static final Set<Class<?>> STATE_CONFLICTS = Set.of(Account.AlreadyOpened.class,
      Account.NotOpen.class, Account.AccountFrozen.class, Account.NotFrozen.class, Transfer.TransferIdTaken.class);

  private final Bank bank;
  private final ObjectMapper json;

  private static final MediaType JSON_UTF8 = MediaType.parseMediaType("application/json;charset=utf-8");

  BankApi(Bank bank, ObjectMapper json) {
    this.bank = bank;
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
    // Requests are read with this mapper too: a repeated field is an error rather than "last one
    // wins", and depth and number length are bounded so that no body costs more than its size.
    JsonFactory factory = JsonFactory.builder()
        .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
        .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH)
            .maxNumberLength(MAX_NUMBER_LENGTH).build())
        .build();
    return JsonMapper.builder(factory)
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

  // ---- endpoints -------------------------------------------------------------------------

  @GetMapping("/")
  ResponseEntity<byte[]> page() throws IOException {
    return asset("index.html");
  }

  @GetMapping("/app.js")
  ResponseEntity<byte[]> script() throws IOException {
    return asset("app.js");
  }

  @GetMapping("/app.css")
  ResponseEntity<byte[]> styles() throws IOException {
    return asset("app.css");
  }

  @GetMapping("/accounts")
  ResponseEntity<byte[]> balances() throws IOException {
    ObjectNode body = json.createObjectNode();
    body.set("accounts", json.valueToTree(bank.balances()));
    return send(200, body);
  }

  @PostMapping("/accounts")
  ResponseEntity<byte[]> openAccount(HttpServletRequest request) throws IOException {
    return open(request);
  }

  @GetMapping("/accounts/{id}")
  ResponseEntity<byte[]> account(@PathVariable String id) throws IOException {
    accountId(id);
    AggregateState<AccountState> state = existing(id);
    return send(200, stateJson(id, state.version(), state.state()), "ETag", "\"" + state.version() + "\"");
  }

  @PostMapping("/accounts/{id}/deposits")
  ResponseEntity<byte[]> deposit(@PathVariable String id, HttpServletRequest request) throws IOException {
    accountId(id);
    JsonNode body = body(request, "amount", "currency");
    return command(request, id, new Deposit(money(body)), body);
  }

  @PostMapping("/accounts/{id}/withdrawals")
  ResponseEntity<byte[]> withdraw(@PathVariable String id, HttpServletRequest request) throws IOException {
    accountId(id);
    JsonNode body = body(request, "amount", "currency");
    return command(request, id, new Withdraw(money(body)), body);
  }

  @PostMapping("/accounts/{id}/freeze")
  ResponseEntity<byte[]> freeze(@PathVariable String id, HttpServletRequest request) throws IOException {
    accountId(id);
    JsonNode body = body(request, "reason");
    return command(request, id, new Freeze(optionalText(body, "reason")), body);
  }

  @PostMapping("/accounts/{id}/unfreeze")
  ResponseEntity<byte[]> unfreeze(@PathVariable String id, HttpServletRequest request) throws IOException {
    accountId(id);
    return command(request, id, new Unfreeze(), body(request));
  }

  @PostMapping("/accounts/{id}/close")
  ResponseEntity<byte[]> close(@PathVariable String id, HttpServletRequest request) throws IOException {
    accountId(id);
    return command(request, id, new Close(), body(request));
  }

  @GetMapping("/accounts/{id}/statement")
  ResponseEntity<byte[]> statement(@PathVariable String id) throws IOException {
    accountId(id);
    existing(id);
    ObjectNode body = json.createObjectNode();
    body.put("id", id);
    body.set("lines", json.valueToTree(bank.statement(id)));
    return send(200, body);
  }

  @GetMapping("/accounts/{id}/history")
  ResponseEntity<byte[]> history(@PathVariable String id) throws IOException {
    accountId(id);
    AggregateHistory<AccountState> history = bank.accounts().history(bank.currentStream(id), AsOf.version(Long.MAX_VALUE));
    if (!history.state().exists()) {
      throw accountNotFound(id);
    }
    ObjectNode body = stateJson(id, history.state().version(), history.state().state());
    body.set("events", eventsJson(history.events()));
    return send(200, body);
  }

  @GetMapping("/accounts/{id}/as-of")
  ResponseEntity<byte[]> asOf(@PathVariable String id, HttpServletRequest request) throws IOException {
    accountId(id);
    return asOf(id, query(request.getQueryString()));
  }

  @PostMapping("/transfers")
  ResponseEntity<byte[]> transfer(HttpServletRequest request) throws IOException {
    return startTransfer(request);
  }

  @GetMapping("/transfers/{id}")
  ResponseEntity<byte[]> transferStatusOf(@PathVariable String id) throws IOException {
    return transferStatus(id);
  }

  @GetMapping("/projectors")
  ResponseEntity<byte[]> projectors() throws IOException {
    List<ProjectionStatus> status = bank.projections().status();
    ObjectNode body = json.createObjectNode();
    body.set("projectors", json.readTree(ProjectionStatus.toJson(status)));
    return send(200, body);
  }

  private ResponseEntity<byte[]> open(HttpServletRequest exchange) throws IOException {
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
    String fingerprint = fingerprint(exchange, body);
    CommandResult<AccountState, AccountEvent> result = handle(id, new Open(owner, currency),
        context(key, fingerprint), ifMatch(exchange, id));
    sameRequest(key, fingerprint, result);
    return send(201, resultJson(id, result), "Location", "/accounts/" + id);
  }

  private ResponseEntity<byte[]> command(HttpServletRequest exchange, String id, AccountCommand command,
      JsonNode body) throws IOException {
    Optional<String> key = idempotencyKey(exchange);
    OptionalLong expected = ifMatch(exchange, id);
    String fingerprint = fingerprint(exchange, body);
    CommandResult<AccountState, AccountEvent> result;
    try {
      result = handle(id, command, context(key, fingerprint), expected);
    } catch (DomainException e) {
      // "No account has been opened here" is a missing resource, not a refusal.
      if (!bank.accounts().load(bank.currentStream(id)).exists()) {
        throw accountNotFound(id);
      }
      throw e;
    }
    sameRequest(key, fingerprint, result);
    return send(200, resultJson(id, result));
  }

  private ResponseEntity<byte[]> startTransfer(HttpServletRequest exchange) throws IOException {
    JsonNode body = body(exchange, "id", "from", "to", "amount", "currency");
    Optional<String> key = idempotencyKey(exchange);
    String id = optionalText(body, "id");
    if (id == null) {
      id = key.map(BankApi::keyedTransferId).orElseGet(() -> UUID.randomUUID().toString());
    }
    transferId(id);
    String from = accountId(requiredText(body, "from"));
    String to = accountId(requiredText(body, "to"));
    Money amount = money(body);
    existing(from);
    existing(to);
    String fingerprint = fingerprint(exchange, body);
    CommandResult<TransferState, TransferEvent> result = bank.transfer(id, from, to, amount,
        context(key, fingerprint));
    sameRequest(key, fingerprint, result);
    ObjectNode response = transferJson(id, result.state());
    key.ifPresent(k -> response.put("idempotencyKey", k));
    response.put("replayed", result.replayed());
    return send(202, response, "Location", "/transfers/" + id);
  }

  /**
   * The id of a transfer requested without one under Idempotency-Key {@code key}: derived from
   * the key, so that every resend reaches the same transfer.
   */
  private static String keyedTransferId(String key) {
    return UUID.nameUUIDFromBytes(("transfer|" + key).getBytes(StandardCharsets.UTF_8)).toString();
  }

  /**
   * A transfer from the {@code transfers} read model; one requested a moment ago that the read
   * model has not caught up with is answered from its own events, so a client can follow the
   * {@code Location} of {@code POST /transfers} at once. {@code idOrKey} is the transfer's id or,
   * for a transfer requested without an id, the Idempotency-Key it was requested under.
   */
  private ResponseEntity<byte[]> transferStatus(String idOrKey) throws IOException {
    boolean validId = validTransferId(idOrKey);
    boolean validKey = KEY.matcher(idOrKey).matches();
    if (!validId && !validKey) {
      transferId(idOrKey);
    }
    Optional<ObjectNode> found = validId ? transfer(idOrKey) : Optional.empty();
    if (found.isEmpty() && validKey) {
      found = transfer(keyedTransferId(idOrKey)).map(node -> node.put("idempotencyKey", idOrKey));
    }
    if (found.isEmpty()) {
      throw new ApiException(404, "transfer_not_found", "no transfer '" + idOrKey + "' has been requested, "
          + "by that id or under that Idempotency-Key; request one with POST /transfers");
    }
    return send(200, found.get());
  }

  private Optional<ObjectNode> transfer(String id) {
    Optional<TransferStatusProjection.View> view = bank.transferStatus(id);
    if (view.isPresent()) {
      return Optional.of((ObjectNode) json.valueToTree(view.get()));
    }
    AggregateState<TransferState> state = bank.transfers().load(id);
    return state.exists() ? Optional.of(transferJson(id, state.state())) : Optional.empty();
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

  private ResponseEntity<byte[]> asOf(String id, Map<String, String> query) throws IOException {
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
      for (RecordedEvent e : bank.accounts().history(bank.currentStream(id), AsOf.version(current)).events()) {
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
    AggregateHistory<AccountState> history = bank.accounts().history(bank.currentStream(id), point);
    ObjectNode body = stateJson(id, history.state().version(), history.state().state());
    body.set("asOf", at);
    List<RecordedEvent> events = history.events();
    body.set("lastEvent", events.isEmpty() ? null : eventJson(json, events.get(events.size() - 1)));
    return send(200, body);
  }

  // ---- commands' context, versions, existence -------------------------------------------

  private static Optional<String> idempotencyKey(HttpServletRequest exchange) {
    String key = exchange.getHeader("Idempotency-Key");
    if (key == null) {
      return Optional.empty();
    }
    if (!KEY.matcher(key).matches()) {
      throw new ApiException(400, "bad_idempotency_key", "Idempotency-Key must be 1 to 200 visible ASCII "
          + "characters without spaces, was '" + printable(key) + "'");
    }
    return Optional.of(key);
  }

  /**
   * The key becomes the command id, from which the repository derives the event ids: a resend
   * writes nothing. The request's fingerprint goes into the events' metadata, so that a later
   * request under the same key can be compared with this one, after a restart too.
   */
  private static CommandContext context(Optional<String> key, String fingerprint) {
    return key.map(k -> CommandContext.of(k).with(REQUEST_HASH, fingerprint)).orElseGet(CommandContext::random)
        .withActor(ACTOR);
  }

  /**
   * SHA-256 of what a resend must repeat: the method, the decoded path and the body with its
   * fields sorted, so that spacing and field order do not matter, but every value does.
   */
  private String fingerprint(HttpServletRequest exchange, JsonNode body) throws IOException {
    String canonical = exchange.getMethod() + " /" + String.join("/",
        segments(exchange.getRequestURI())) + "\n" + json.writeValueAsString(sorted(body));
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(canonical.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }

  private JsonNode sorted(JsonNode node) {
    if (node.isObject()) {
      Map<String, JsonNode> fields = new TreeMap<>();
      node.properties().forEach(e -> fields.put(e.getKey(), sorted(e.getValue())));
      ObjectNode out = json.createObjectNode();
      fields.forEach(out::set);
      return out;
    }
    if (node.isArray()) {
      ArrayNode out = json.createArrayNode();
      node.forEach(n -> out.add(sorted(n)));
      return out;
    }
    return node;
  }

  /**
   * Refuses a replay whose first request differs from this one: the same Idempotency-Key on another
   * body would otherwise be answered with the first request's outcome, as if it had been carried
   * out. Events stored before fingerprints were recorded carry none and are not compared.
   *
   * @throws ApiException 422 {@code idempotency_key_reused}
   */
  private void sameRequest(Optional<String> key, String fingerprint, CommandResult<?, ?> result) {
    if (key.isEmpty() || !result.replayed()) {
      return;
    }
    Optional<String> first = storedFingerprint(result.streamId(), key.get());
    if (first.isPresent() && !first.get().equals(fingerprint)) {
      throw new ApiException(422, "idempotency_key_reused", "Idempotency-Key '" + key.get() + "' was used "
          + "before with a different request; nothing was done. A key stands for one request: send that "
          + "request again to get its outcome, or use a new key", Map.of("idempotencyKey", key.get()));
    }
  }

  /** The fingerprint of the request that first used {@code key} on {@code stream}, newest events first. */
  private Optional<String> storedFingerprint(StreamId stream, String key) {
    long from = EventStore.END;
    while (true) {
      List<RecordedEvent> page = bank.store().readStreamBackward(stream, from, PAGE);
      for (RecordedEvent event : page) {
        if (key.equals(event.metadata().causationId())) {
          return Optional.ofNullable(event.metadata().extra().get(REQUEST_HASH));
        }
      }
      if (page.size() < PAGE || page.get(page.size() - 1).version() <= 1) {
        return Optional.empty();
      }
      from = page.get(page.size() - 1).version() - 1;
    }
  }

  /**
   * The version {@code If-Match} names, if any. The command is then decided only at that version
   * and appended with exactly it ({@link Bank#handle(String, AccountCommand, CommandContext, long)}),
   * so a writer that slips in between is caught too: 409, nothing written.
   */
  private static OptionalLong ifMatch(HttpServletRequest exchange, String id) {
    String header = exchange.getHeader("If-Match");
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

  /** The account's state in its current year's stream (see {@link Bank#currentStream}). */
  private AggregateState<AccountState> existing(String id) {
    AggregateState<AccountState> state = bank.accounts().load(bank.currentStream(id));
    if (!state.exists()) {
      throw accountNotFound(id);
    }
    return state;
  }

  private static ApiException accountNotFound(String id) {
    return new ApiException(404, "account_not_found", "no account '" + id + "' has been opened; open it "
        + "with POST /accounts");
  }

  /** The answer to a path no endpoint serves; {@code path} as the client sent it, %-escapes decoded. */
  static ApiException notFound(String path) {
    return new ApiException(404, "not_found", "no resource at " + printable(path)
        + "; docs/http-api.md lists the endpoints");
  }

  static ApiException refusal(DomainException e) {
    int status = STATE_CONFLICTS.contains(e.getClass()) ? 409 : 422;
    String name = e.getClass() == DomainException.class ? "refused"
        : e.getClass().getSimpleName().replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
    return new ApiException(status, name, e.getMessage());
  }

  // ---- parsing ---------------------------------------------------------------------------

  /** The answer to a method an endpoint does not take. */
  static ApiException methodNotAllowed(String method, Collection<String> allowed) {
    String allow = String.join(", ", allowed);
    return new ApiException(405, "method_not_allowed", "method " + printable(method) + " is not allowed here; use "
        + String.join(" or ", allowed), Map.of("allow", allow));
  }

  /**
   * Reads the body as a JSON object with no other fields than {@code fields}; no body reads as {}.
   * A body must be sent as {@code application/json} in UTF-8 (the only charset JSON has).
   */
  private JsonNode body(HttpServletRequest exchange, String... fields) throws IOException {
    byte[] bytes;
    try (InputStream in = exchange.getInputStream()) {
      bytes = in.readNBytes(MAX_BODY + 1);
    } catch (IOException e) {
      // Tomcat reads the body as it is asked for: a malformed chunk or an early end shows here.
      throw new ApiException(400, "bad_body", "the request body cannot be read: its chunked framing is "
          + "malformed, or it ended before its Content-Length");
    }
    if (bytes.length > MAX_BODY) {
      throw new ApiException(413, "body_too_large", "the request body is over " + MAX_BODY + " bytes");
    }
    if (new String(bytes, StandardCharsets.UTF_8).isBlank()) {
      return json.createObjectNode();
    }
    String type = exchange.getContentType();
    if (!isJson(type)) {
      throw new ApiException(415, "unsupported_media_type", "send the body as Content-Type: application/json, "
          + (type == null ? "not without a Content-Type" : "not '" + printable(type) + "'"));
    }
    JsonNode node;
    try {
      node = json.readTree(bytes);
    } catch (NumberFormatException e) {
      // Jackson reads a number as it parses; an exponent beyond the range of int fails there.
      throw new ApiException(400, "malformed_json", "the body holds a number out of range, such as an exponent "
          + "beyond 2147483647");
    } catch (StreamConstraintsException e) {
      throw new ApiException(400, "malformed_json", "the body is not a command: it nests deeper than "
          + MAX_DEPTH + " levels or holds a number longer than " + MAX_NUMBER_LENGTH + " characters");
    } catch (JsonProcessingException e) {
      String at = e.getLocation() == null ? ""
          : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
      throw new ApiException(400, "malformed_json", "the body is not valid JSON: "
          + printable(firstLine(e.getOriginalMessage()), 120) + at);
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

  /** {@code application/json}, with at most a UTF-8 charset for parameter. */
  private static boolean isJson(String contentType) {
    if (contentType == null) {
      return false;
    }
    String[] parts = contentType.split(";");
    if (!parts[0].strip().equalsIgnoreCase("application/json")) {
      return false;
    }
    for (int i = 1; i < parts.length; i++) {
      String parameter = parts[i].strip().toLowerCase(Locale.ROOT).replace("\"", "");
      if (!parameter.isEmpty() && !parameter.equals("charset=utf-8")) {
        return false;
      }
    }
    return true;
  }

  /**
   * A string field's value. Control characters (U+0000 above all, which PostgreSQL cannot store in
   * JSON) and halves of surrogate pairs (which are not text, and would be stored as '?') are refused.
   */
  private static String optionalText(JsonNode body, String field) {
    JsonNode node = body.get(field);
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isTextual()) {
      throw new ApiException(400, "bad_field", "field '" + field + "' must be a string, was "
          + (node.isContainerNode() ? "an " : "a ") + node.getNodeType().name().toLowerCase(Locale.ROOT));
    }
    String text = node.asText();
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isISOControl(c)) {
        throw new ApiException(400, "bad_field", "field '" + field + "' holds the control character "
            + String.format(Locale.ROOT, "U+%04X", (int) c) + " at index " + i + "; text fields take printable "
            + "characters only");
      }
      if (Character.isSurrogate(c) && !(Character.isHighSurrogate(c) && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1)))) {
        throw new ApiException(400, "bad_field", "field '" + field + "' holds half a surrogate pair ("
            + String.format(Locale.ROOT, "\\u%04x", (int) c) + ") at index " + i + "; that is not text");
      }
      if (Character.isHighSurrogate(c)) {
        i++;
      }
    }
    return text;
  }

  private static Money money(JsonNode body) {
    JsonNode amount = body.get("amount");
    if (amount == null || amount.isNull()) {
      throw new ApiException(400, "missing_field", "field 'amount' is required, such as \"12.50\"");
    }
    String text;
    if (amount.isNumber()) {
      // The number's own digits and exponent, never expanded: 1e1000000000 stays 13 characters.
      text = amount.decimalValue().toString();
    } else if (amount.isTextual()) {
      text = amount.asText();
    } else {
      throw new ApiException(400, "bad_amount", "amount must be a decimal number or a string such as "
          + "\"12.50\", was " + (amount.isContainerNode() ? "an " : "a ")
          + amount.getNodeType().name().toLowerCase(Locale.ROOT));
    }
    Currency currency = currency(requiredText(body, "currency"));
    try {
      return Money.parse(text, currency);
    } catch (IllegalArgumentException e) {
      throw new ApiException(400, "bad_amount", printable(e.getMessage(), 200) + "; amounts have at most "
          + Money.MAX_WHOLE_DIGITS + " digits before the point and the currency's decimals after it, up to "
          + Money.largest(currency));
    }
  }

  private static Currency currency(String code) {
    Currency currency = null;
    try {
      if (code.equals(code.toUpperCase(Locale.ROOT))) {
        currency = Currency.getInstance(code);
      }
    } catch (IllegalArgumentException e) {
      // reported below
    }
    if (currency == null) {
      throw new ApiException(400, "unknown_currency", "unknown currency '" + printable(code)
          + "': use an ISO 4217 code such as EUR, USD or JPY");
    }
    if (currency.getDefaultFractionDigits() < 0) {
      // Gold, test and "no currency" codes: Money cannot hold them.
      throw new ApiException(400, "unknown_currency", "currency " + code + " has no minor unit, so the bank "
          + "keeps no money in it: use a currency such as EUR, USD or JPY");
    }
    return currency;
  }

  private static String accountId(String id) {
    try {
      Account.TYPE.streamId(id);
      return id;
    } catch (IllegalArgumentException e) {
      throw new ApiException(400, "bad_account_id", "bad account id: " + e.getMessage());
    }
  }

  private static boolean validTransferId(String id) {
    try {
      Transfer.TYPE.streamId(id);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
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

  private static List<String> segments(String rawPath) {
    List<String> out = new ArrayList<>();
    for (String s : rawPath.split("/")) {
      if (!s.isEmpty()) {
        out.add(decode(s.replace("+", "%2B")));
      }
    }
    return out;
  }

  /** @throws ApiException for a malformed %-escape or a repeated parameter */
  static Map<String, String> query(String raw) {
    Map<String, String> out = new LinkedHashMap<>();
    if (raw == null || raw.isEmpty()) {
      return out;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      String name = decode(eq < 0 ? pair : pair.substring(0, eq));
      String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
      if (out.putIfAbsent(name, value) != null) {
        throw new ApiException(400, "repeated_parameter", "query parameter '" + printable(name)
            + "' is given more than once");
      }
    }
    return out;
  }

  /** A path segment or query part with its %-escapes decoded as UTF-8. */
  private static String decode(String raw) {
    try {
      return URLDecoder.decode(raw, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new ApiException(400, "malformed_uri", "'" + printable(raw) + "' in the URI has a malformed "
          + "%-escape; write % as %25");
    }
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

  private ResponseEntity<byte[]> send(int status, JsonNode body, String... headers) throws IOException {
    ResponseEntity.BodyBuilder response = ResponseEntity.status(status)
        .contentType(JSON_UTF8)
        .cacheControl(CacheControl.noStore());
    for (int i = 0; i < headers.length; i += 2) {
      response.header(headers[i], headers[i + 1]);
    }
    return response.body(json.writeValueAsBytes(body));
  }

  private static ResponseEntity<byte[]> asset(String name) throws IOException {
    byte[] bytes;
    try (InputStream in = BankApi.class.getResourceAsStream("/web/" + name)) {
      if (in == null) {
        throw new IllegalStateException("web asset /web/" + name + " is missing from the classpath");
      }
      bytes = in.readAllBytes();
    }
    String type = name.endsWith(".html") ? "text/html" : name.endsWith(".js") ? "text/javascript" : "text/css";
    return ResponseEntity.ok().contentType(MediaType.parseMediaType(type + ";charset=utf-8")).body(bytes);
  }

  static String firstLine(String message) {
    return String.valueOf(message).lines().findFirst().orElse("");
  }

  /** {@code value} cut to 60 characters, escaped as {@link #printable(String, int)} does, for messages. */
  private static String printable(String value) {
    return printable(value, 60);
  }

  /**
   * {@code value} cut to {@code max} characters, with control characters and halves of surrogate
   * pairs written as Java-style unicode escapes, so that a message can quote a client's input safely.
   */
  static String printable(String value, int max) {
    String shown = value.length() > max ? value.substring(0, max) + "..." : value;
    StringBuilder out = new StringBuilder();
    shown.codePoints().forEach(cp -> {
      if (Character.isISOControl(cp) || (cp >= Character.MIN_SURROGATE && cp <= Character.MAX_SURROGATE)) {
        out.append(String.format(Locale.ROOT, "\\u%04x", cp));
      } else {
        out.appendCodePoint(cp);
      }
    });
    return out.toString();
  }
}
