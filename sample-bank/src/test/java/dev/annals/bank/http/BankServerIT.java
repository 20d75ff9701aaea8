package dev.annals.bank.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.annals.bank.Bank;
import dev.annals.bank.BankStorage;
import dev.annals.bank.views.BalancesProjection;
import dev.annals.bank.views.StatementsProjection;
import dev.annals.bank.views.TransferStatusProjection;
import dev.annals.core.BookClosing;
import dev.annals.core.CommandContext;
import dev.annals.postgres.archive.ArchiveSink;
import dev.annals.postgres.archive.StreamArchiver;
import dev.annals.testkit.Await;
import dev.annals.testkit.PostgresTestDatabase;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP API against the real database. One server for the class (the test database's schema is
 * per class); each test opens accounts of its own.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class BankServerIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  /** How long to wait for something asynchronous (a projector, a feed) before failing. */
  private static final Duration PATIENCE = Duration.ofSeconds(60);

  private static final ObjectMapper JSON = new ObjectMapper();

  private static BankStorage storage;
  private static Bank bank;
  private static BankServer server;
  private static HttpClient http;

  @BeforeAll
  static void start() {
    storage = BankStorage.postgres(db.jdbcUrl(), db.schema(), false);
    bank = Bank.start(storage.postgres().orElseThrow(), "bank-server-it");
    server = BankServer.start(bank, new InetSocketAddress("127.0.0.1", 0));
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(PATIENCE).build();
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

  // ---- commands -----------------------------------------------------------------------

  @Test
  void opening_an_account_answers_201_with_its_location_and_state() {
    Reply reply = post("/accounts", "{\"id\": \"open-1\", \"owner\": \"alice\", \"currency\": \"EUR\"}");

    assertThat(reply.status).as(reply.text).isEqualTo(201);
    assertThat(reply.header("Location")).isEqualTo("/accounts/open-1");
    assertThat(reply.json.path("id").asText()).isEqualTo("open-1");
    assertThat(reply.json.path("version").asLong()).isEqualTo(1);
    assertThat(reply.json.path("status").asText()).isEqualTo("OPEN");
    assertThat(reply.json.path("owner").asText()).isEqualTo("alice");
    assertThat(reply.json.path("balance").path("amount").asText()).isEqualTo("0.00");
    assertThat(reply.json.path("replayed").asBoolean()).isFalse();
    assertThat(reply.json.path("events").get(0).path("type").asText()).isEqualTo("AccountOpened");

    Reply read = get("/accounts/open-1");
    assertThat(read.status).isEqualTo(200);
    assertThat(read.header("ETag")).isEqualTo("\"1\"");
    assertThat(read.json.path("owner").asText()).isEqualTo("alice");
  }

  @Test
  void deposits_and_withdrawals_change_the_balance_and_the_version() {
    open("move-1", "bob", "EUR");

    Reply deposit = post("/accounts/move-1/deposits", "{\"amount\": \"100.50\", \"currency\": \"EUR\"}");
    Reply withdrawal = post("/accounts/move-1/withdrawals", "{\"amount\": 40, \"currency\": \"EUR\"}");

    assertThat(deposit.status).as(deposit.text).isEqualTo(200);
    assertThat(deposit.json.path("balance").path("amount").asText()).isEqualTo("100.50");
    assertThat(withdrawal.status).as(withdrawal.text).isEqualTo(200);
    assertThat(withdrawal.json.path("version").asLong()).isEqualTo(3);
    assertThat(withdrawal.json.path("balance").path("amount").asText()).isEqualTo("60.50");
    assertThat(withdrawal.json.path("events").get(0).path("payload").path("amount").path("amount").asText())
        .isEqualTo("40.00");
  }

  @Test
  void a_resend_with_the_same_idempotency_key_has_one_effect_and_says_it_was_replayed() {
    open("resend-1", "carol", "EUR");
    Map<String, String> key = Map.of("Idempotency-Key", "deposit-resend-1");

    Reply first = post("/accounts/resend-1/deposits", "{\"amount\": \"25\", \"currency\": \"EUR\"}", key);
    Reply again = post("/accounts/resend-1/deposits", "{\"amount\": \"25\", \"currency\": \"EUR\"}", key);

    assertThat(first.json.path("replayed").asBoolean()).as(first.text).isFalse();
    assertThat(again.status).as(again.text).isEqualTo(200);
    assertThat(again.json.path("replayed").asBoolean()).isTrue();
    assertThat(again.json.path("version").asLong()).isEqualTo(2);
    assertThat(again.json.path("balance").path("amount").asText()).isEqualTo("25.00");
    assertThat(get("/accounts/resend-1/history").json.path("events")).as("one deposit stored").hasSize(2);
  }

  @Test
  void opening_without_an_id_under_an_idempotency_key_opens_one_account_however_often_it_is_sent() {
    Map<String, String> key = Map.of("Idempotency-Key", "open-without-id-1");
    String body = "{\"owner\": \"dave\", \"currency\": \"USD\"}";

    Reply first = post("/accounts", body, key);
    Reply again = post("/accounts", body, key);

    assertThat(first.status).as(first.text).isEqualTo(201);
    assertThat(again.header("Location")).isEqualTo(first.header("Location"));
    assertThat(again.json.path("replayed").asBoolean()).isTrue();
    assertThat(get(first.header("Location")).json.path("version").asLong()).isEqualTo(1);
  }

  @Test
  void if_match_with_the_current_version_is_accepted_and_with_a_stale_one_answers_409() {
    open("match-1", "erin", "EUR");

    Reply current = post("/accounts/match-1/deposits", "{\"amount\": \"5\", \"currency\": \"EUR\"}",
        Map.of("If-Match", "\"1\""));
    Reply stale = post("/accounts/match-1/deposits", "{\"amount\": \"5\", \"currency\": \"EUR\"}",
        Map.of("If-Match", "\"1\""));

    assertThat(current.status).as(current.text).isEqualTo(200);
    assertThat(stale.status).as(stale.text).isEqualTo(409);
    assertThat(stale.json.path("error").asText()).isEqualTo("version_conflict");
    assertThat(stale.json.path("expectedVersion").asLong()).isEqualTo(1);
    assertThat(stale.json.path("actualVersion").asLong()).isEqualTo(2);
    assertThat(stale.json.path("message").asText()).contains("match-1", "version 2");
    assertThat(get("/accounts/match-1").json.path("version").asLong()).as("nothing written").isEqualTo(2);
  }

  @Test
  void freezing_blocks_deposits_with_409_until_the_account_is_unfrozen() {
    open("freeze-1", "frank", "EUR");

    Reply frozen = post("/accounts/freeze-1/freeze", "{\"reason\": \"card lost\"}");
    Reply refused = post("/accounts/freeze-1/deposits", "{\"amount\": \"5\", \"currency\": \"EUR\"}");
    Reply unfrozen = post("/accounts/freeze-1/unfreeze", "");
    Reply accepted = post("/accounts/freeze-1/deposits", "{\"amount\": \"5\", \"currency\": \"EUR\"}");

    assertThat(frozen.json.path("status").asText()).as(frozen.text).isEqualTo("FROZEN");
    assertThat(refused.status).as(refused.text).isEqualTo(409);
    assertThat(refused.json.path("error").asText()).isEqualTo("account_frozen");
    assertThat(unfrozen.json.path("status").asText()).as(unfrozen.text).isEqualTo("OPEN");
    assertThat(accepted.status).as(accepted.text).isEqualTo(200);
  }

  @Test
  void closing_needs_a_zero_balance() {
    open("close-1", "grace", "EUR");
    post("/accounts/close-1/deposits", "{\"amount\": \"1\", \"currency\": \"EUR\"}");

    Reply refused = post("/accounts/close-1/close", "");
    post("/accounts/close-1/withdrawals", "{\"amount\": \"1\", \"currency\": \"EUR\"}");
    Reply closed = post("/accounts/close-1/close", "");

    assertThat(refused.status).as(refused.text).isEqualTo(422);
    assertThat(refused.json.path("error").asText()).isEqualTo("balance_not_zero");
    assertThat(closed.json.path("status").asText()).as(closed.text).isEqualTo("CLOSED");
  }

  @Test
  void a_transfer_is_accepted_with_202_and_its_status_becomes_completed() {
    open("pay-from", "heidi", "EUR");
    open("pay-to", "ivan", "EUR");
    post("/accounts/pay-from/deposits", "{\"amount\": \"50\", \"currency\": \"EUR\"}");

    Reply accepted = post("/transfers",
        "{\"id\": \"t-1\", \"from\": \"pay-from\", \"to\": \"pay-to\", \"amount\": \"20\", \"currency\": \"EUR\"}");

    assertThat(accepted.status).as(accepted.text).isEqualTo(202);
    assertThat(accepted.header("Location")).isEqualTo("/transfers/t-1");
    assertThat(get("/transfers/t-1").status).as("answered before the read model caught up").isEqualTo(200);
    assertThat(bank.awaitSettled(PATIENCE)).as("transfer settled").isTrue();
    Reply status = get("/transfers/t-1");
    assertThat(status.json.path("status").asText()).as(status.text).isEqualTo("COMPLETED");
    assertThat(get("/accounts/pay-to").json.path("balance").path("amount").asText()).isEqualTo("20.00");

    assertError(post("/transfers",
        "{\"id\": \"t-1\", \"from\": \"pay-to\", \"to\": \"pay-from\", \"amount\": \"1\", \"currency\": \"EUR\"}"),
        409, "transfer_id_taken");
  }

  @Test
  void a_transfer_requested_without_an_id_is_found_by_its_idempotency_key() {
    open("keyed-from", "kim", "EUR");
    open("keyed-to", "lee", "EUR");
    post("/accounts/keyed-from/deposits", "{\"amount\": \"50\", \"currency\": \"EUR\"}");

    Reply accepted = post("/transfers",
        "{\"from\": \"keyed-from\", \"to\": \"keyed-to\", \"amount\": \"5\", \"currency\": \"EUR\"}",
        Map.of("Idempotency-Key", "pay-key-1"));
    assertThat(accepted.status).as(accepted.text).isEqualTo(202);
    String id = accepted.json.path("transferId").asText();
    assertThat(accepted.header("Location")).isEqualTo("/transfers/" + id);
    assertThat(accepted.json.path("idempotencyKey").asText()).isEqualTo("pay-key-1");

    Reply byKey = get("/transfers/pay-key-1");
    assertThat(byKey.status).as(byKey.text).isEqualTo(200);
    assertThat(byKey.json.path("transferId").asText()).isEqualTo(id);
    assertThat(byKey.json.path("idempotencyKey").asText()).isEqualTo("pay-key-1");
    assertThat(get("/transfers/" + id).json.path("transferId").asText()).isEqualTo(id);
    assertError(get("/transfers/pay-key-2"), 404, "transfer_not_found");
  }

  // ---- reads --------------------------------------------------------------------------

  @Test
  void the_account_list_shows_balances_from_the_read_model() {
    open("list-1", "judy", "EUR");
    post("/accounts/list-1/deposits", "{\"amount\": \"7.25\", \"currency\": \"EUR\"}");
    assertThat(bank.projections().awaitCaughtUp(BalancesProjection.NAME, PATIENCE)).isTrue();

    Reply list = get("/accounts");

    assertThat(list.status).isEqualTo(200);
    JsonNode row = find(list.json.path("accounts"), "account", "list-1");
    assertThat(row.path("owner").asText()).as(list.text).isEqualTo("judy");
    assertThat(row.path("balance").path("amount").asText()).isEqualTo("7.25");
  }

  @Test
  void the_statement_lists_each_movement_with_the_balance_after_it() {
    open("stmt-1", "ken", "EUR");
    post("/accounts/stmt-1/deposits", "{\"amount\": \"10\", \"currency\": \"EUR\"}");
    post("/accounts/stmt-1/withdrawals", "{\"amount\": \"3\", \"currency\": \"EUR\"}");
    assertThat(bank.projections().awaitCaughtUp(StatementsProjection.NAME, PATIENCE)).isTrue();

    Reply statement = get("/accounts/stmt-1/statement");

    JsonNode lines = statement.json.path("lines");
    assertThat(lines).as(statement.text).hasSize(3);
    assertThat(lines.get(2).path("kind").asText()).isEqualTo("withdrawal");
    assertThat(lines.get(2).path("balance").path("amount").asText()).isEqualTo("7.00");
  }

  @Test
  void history_and_as_of_show_the_account_at_any_version_position_or_time() {
    open("asof-1", "leo", "EUR");
    post("/accounts/asof-1/deposits", "{\"amount\": \"10\", \"currency\": \"EUR\"}");
    post("/accounts/asof-1/deposits", "{\"amount\": \"20\", \"currency\": \"EUR\"}");

    Reply history = get("/accounts/asof-1/history");
    JsonNode events = history.json.path("events");
    assertThat(events).as(history.text).hasSize(3);
    assertThat(events.get(1).path("type").asText()).isEqualTo("MoneyDeposited");
    assertThat(events.get(1).path("actor").asText()).isEqualTo("http-api");
    long secondPosition = events.get(1).path("position").asLong();
    Instant secondRecorded = Instant.parse(events.get(1).path("recordedAt").asText());
    assertThat(events.get(2).path("position").asLong()).isGreaterThan(secondPosition);

    Reply byVersion = get("/accounts/asof-1/as-of?version=2");
    Reply byPosition = get("/accounts/asof-1/as-of?position=" + secondPosition);
    Reply byTime = get("/accounts/asof-1/as-of?time=" + secondRecorded);
    Reply before = get("/accounts/asof-1/as-of?version=0");

    for (Reply r : List.of(byVersion, byPosition, byTime)) {
      assertThat(r.status).as(r.text).isEqualTo(200);
      assertThat(r.json.path("version").asLong()).as(r.text).isEqualTo(2);
      assertThat(r.json.path("balance").path("amount").asText()).isEqualTo("10.00");
      assertThat(r.json.path("lastEvent").path("position").asLong()).isEqualTo(secondPosition);
    }
    assertThat(before.json.path("status").asText()).as(before.text).isEqualTo("NONE");
  }

  @Test
  void projector_status_lists_every_read_model() {
    Reply status = get("/projectors");

    assertThat(status.status).isEqualTo(200);
    List<String> names = new ArrayList<>();
    status.json.path("projectors").forEach(p -> names.add(p.path("partition").path("projector").asText()));
    assertThat(names).as(status.text).contains(BalancesProjection.NAME, StatementsProjection.NAME,
        TransferStatusProjection.NAME);
  }

  @Test
  void projector_status_shows_a_stored_error_without_its_password() {
    // A row as an older version stored it, password and all: the status redacts on the way out.
    storage.postgres().orElseThrow().jdbi().useHandle(h -> h.createUpdate("UPDATE " + db.schema()
            + ".projection_checkpoints SET last_error = :error, last_error_at = now() WHERE projector = :name")
        .bind("error", "cannot reach amqp://mailer:s3cret-pw@rabbit:5672/ (password=s3cret-pw)")
        .bind("name", StatementsProjection.NAME).execute());

    Reply status = get("/projectors");

    assertThat(status.status).isEqualTo(200);
    assertThat(status.text).contains("amqp://mailer:***@rabbit:5672/", "password=***").doesNotContain("s3cret-pw");
  }

  @Test
  void the_web_page_and_its_script_are_served() {
    Reply page = get("/");
    Reply script = get("/app.js");

    assertThat(page.status).isEqualTo(200);
    assertThat(page.header("Content-Type")).startsWith("text/html");
    assertThat(page.text).contains("<input type=\"range\" id=\"as-of\"");
    assertThat(script.header("Content-Type")).startsWith("text/javascript");
    assertThat(script.text).contains("new EventSource('/events')");
  }

  @Test
  void after_a_closed_year_an_account_reads_its_current_year_and_an_archived_one_answers_410(
      @TempDir java.nio.file.Path dir) {
    open("books-1", "carol", "EUR");
    assertThat(post("/accounts/books-1/deposits", "{\"amount\": \"30.00\", \"currency\": \"EUR\"}").status)
        .isEqualTo(200);
    CommandContext year = new CommandContext("books-1-2026", "books-1-2026", "clerk", Map.of());
    BookClosing.Closed closed = bank.closeYear("books-1", 2026, year);
    StreamArchiver archiver = StreamArchiver.of(db.dataSource(), db.schema(), ArchiveSink.directory(dir));
    archiver.archive(closed.closing().streamId());

    Reply now = get("/accounts/books-1");
    assertThat(now.status).as(now.text).isEqualTo(200);
    assertThat(now.json.path("balance").path("amount").asText()).isEqualTo("30.00");
    Reply withdrawal = post("/accounts/books-1/withdrawals", "{\"amount\": \"30.00\", \"currency\": \"EUR\"}");
    assertThat(withdrawal.status).as(withdrawal.text).isEqualTo(200);
    assertThat(post("/accounts/books-1/close", "").status).isEqualTo(200);
    // The whole account archived: its stream has left the table, and the API says so with a 4xx.
    archiver.archive(dev.annals.core.StreamId.of("account", bank.currentStream("books-1")));
    // As a node that has not cached the account sees it.
    bank.accounts().evict(bank.currentStream("books-1"));
    Reply archived = get("/accounts/books-1");
    assertThat(archived.status).as(archived.text).isEqualTo(410);
    assertThat(archived.json.path("error").asText()).isEqualTo("stream_archived");
    assertThat(archived.text).doesNotContain(dir.toString());
  }

  // ---- errors -------------------------------------------------------------------------

  @Test
  void malformed_json_answers_400_naming_the_problem() {
    Reply reply = post("/accounts", "{\"owner\": ");

    assertError(reply, 400, "malformed_json");
  }

  @Test
  void an_unknown_currency_answers_400_naming_it() {
    Reply reply = post("/accounts", "{\"id\": \"bad-cur\", \"owner\": \"x\", \"currency\": \"XYZ\"}");

    assertError(reply, 400, "unknown_currency");
    assertThat(reply.json.path("message").asText()).contains("'XYZ'");
  }

  @Test
  void an_amount_with_too_many_decimals_or_no_number_answers_400() {
    open("amount-1", "mia", "EUR");

    assertError(post("/accounts/amount-1/deposits", "{\"amount\": \"1.234\", \"currency\": \"EUR\"}"), 400,
        "bad_amount");
    assertError(post("/accounts/amount-1/deposits", "{\"amount\": \"ten\", \"currency\": \"EUR\"}"), 400,
        "bad_amount");
    assertError(post("/accounts/amount-1/deposits", "{\"amount\": \"1\"}"), 400, "missing_field");
    assertError(post("/accounts/amount-1/deposits", "{\"amout\": \"1\", \"currency\": \"EUR\"}"), 400,
        "unknown_field");
  }

  @Test
  void a_body_over_64_kib_answers_413() {
    String owner = "x".repeat(70_000);

    assertError(post("/accounts", "{\"id\": \"big-1\", \"owner\": \"" + owner + "\", \"currency\": \"EUR\"}"),
        413, "body_too_large");
  }

  @Test
  void an_invalid_account_id_answers_400() {
    assertError(get("/accounts/has%20space"), 400, "bad_account_id");
  }

  @Test
  void an_unknown_account_answers_404() {
    assertError(get("/accounts/nobody"), 404, "account_not_found");
    assertError(post("/accounts/nobody/deposits", "{\"amount\": \"1\", \"currency\": \"EUR\"}"), 404,
        "account_not_found");
    assertError(get("/accounts/nobody/history"), 404, "account_not_found");
    assertError(get("/transfers/nothing"), 404, "transfer_not_found");
    assertError(get("/nowhere"), 404, "not_found");
  }

  @Test
  void a_wrong_method_answers_405_with_the_allowed_ones() {
    Reply reply = send(HttpRequest.newBuilder(uri("/accounts/x/deposits")).GET());

    assertError(reply, 405, "method_not_allowed");
    assertThat(reply.header("Allow")).isEqualTo("POST");
  }

  @Test
  void opening_an_account_twice_answers_409() {
    open("twice-1", "nina", "EUR");

    assertError(post("/accounts", "{\"id\": \"twice-1\", \"owner\": \"oscar\", \"currency\": \"EUR\"}"), 409,
        "already_opened");
  }

  @Test
  void the_banks_rules_refuse_with_422_and_the_rule_in_the_error_code() {
    open("rules-1", "paul", "EUR");

    Reply funds = post("/accounts/rules-1/withdrawals", "{\"amount\": \"1000\", \"currency\": \"EUR\"}");
    Reply currency = post("/accounts/rules-1/deposits", "{\"amount\": \"1\", \"currency\": \"USD\"}");
    Reply negative = post("/accounts/rules-1/deposits", "{\"amount\": \"-1\", \"currency\": \"EUR\"}");

    assertError(funds, 422, "insufficient_funds");
    assertThat(funds.json.path("message").asText()).contains("1000.00 EUR");
    assertError(currency, 422, "wrong_currency");
    assertError(negative, 422, "invalid_amount");
  }

  @Test
  void a_bad_as_of_query_answers_400() {
    open("asof-bad", "quinn", "EUR");

    assertError(get("/accounts/asof-bad/as-of"), 400, "bad_as_of");
    assertError(get("/accounts/asof-bad/as-of?version=5"), 400, "bad_version");
    assertError(get("/accounts/asof-bad/as-of?time=yesterday"), 400, "bad_time");
  }

  private void assertError(Reply reply, int status, String code) {
    assertThat(reply.status).as(reply.text).isEqualTo(status);
    // RFC 9457 problem details, with the API's code and message kept as members of their own.
    assertThat(reply.header("Content-Type")).startsWith("application/problem+json");
    assertThat(reply.json.path("error").asText()).as(reply.text).isEqualTo(code);
    assertThat(reply.json.path("message").asText()).as(reply.text).isNotBlank();
    assertThat(reply.json.path("type").asText()).as(reply.text).isEqualTo("urn:annals:bank:problem:" + code);
    assertThat(reply.json.path("status").asInt()).as(reply.text).isEqualTo(status);
    assertThat(reply.json.path("title").asText()).as(reply.text).isNotBlank();
    assertThat(reply.json.path("detail").asText()).as(reply.text).isEqualTo(reply.json.path("message").asText());
  }

  // ---- event feeds --------------------------------------------------------------------

  @Test
  void an_accounts_feed_sends_its_history_then_new_events_as_they_happen() throws Exception {
    open("feed-1", "rita", "EUR");

    try (Sse feed = Sse.open(uri("/accounts/feed-1/events"), null)) {
      Sse.Event opened = feed.next();
      // es-web's CloudEvents: the default SSE event name, the stream in the subject.
      assertThat(opened.event).isNull();
      assertThat(opened.data.path("type").asText()).isEqualTo("AccountOpened");
      assertThat(opened.data.path("subject").asText()).isEqualTo("account-feed-1");
      assertThat(opened.data.path("source").asText()).isEqualTo("urn:annals:sample-bank");

      post("/accounts/feed-1/deposits", "{\"amount\": \"12\", \"currency\": \"EUR\"}");
      Sse.Event deposited = feed.next();

      assertThat(deposited.data.path("type").asText()).isEqualTo("MoneyDeposited");
      assertThat(deposited.data.path("streamversion").asLong()).isEqualTo(2);
      assertThat(deposited.id).isEqualTo(deposited.data.path("position").asLong());
      assertThat(deposited.id).isGreaterThan(opened.id);
    }
  }

  @Test
  void an_accounts_feed_resumes_after_the_last_event_id() throws Exception {
    open("feed-2", "sam", "EUR");
    post("/accounts/feed-2/deposits", "{\"amount\": \"1\", \"currency\": \"EUR\"}");
    long firstDeposit = get("/accounts/feed-2/history").json.path("events").get(1).path("position").asLong();
    post("/accounts/feed-2/deposits", "{\"amount\": \"2\", \"currency\": \"EUR\"}");

    try (Sse feed = Sse.open(uri("/accounts/feed-2/events"), firstDeposit)) {
      Sse.Event next = feed.next();

      assertThat(next.data.path("streamversion").asLong()).as("only what came after").isEqualTo(3);
      assertThat(next.data.path("data").path("amount").path("amount").decimalValue()).isEqualByComparingTo("2");
    }
  }

  @Test
  void the_feed_of_every_account_sends_new_events_of_any_account() throws Exception {
    open("feed-3", "tom", "EUR");
    open("feed-4", "uma", "EUR");
    // A feed without a position starts after what readers can see; the openings must be there.
    awaitVisibleToReaders();

    try (Sse feed = Sse.open(uri("/events"), null)) {
      post("/accounts/feed-3/deposits", "{\"amount\": \"3\", \"currency\": \"EUR\"}");
      post("/accounts/feed-4/deposits", "{\"amount\": \"4\", \"currency\": \"EUR\"}");

      List<String> accounts = new ArrayList<>();
      while (accounts.size() < 2) {
        Sse.Event e = feed.next();
        if (e.data.path("subject").asText().startsWith("account-feed-")) {
          accounts.add(e.data.path("subject").asText() + " " + e.data.path("type").asText());
        }
      }
      assertThat(accounts).containsExactly("account-feed-3 MoneyDeposited", "account-feed-4 MoneyDeposited");
    }
  }

  @Test
  void a_silent_feed_sends_heartbeat_comments_and_stays_open() throws Exception {
    open("beat-1", "vera", "EUR");
    try (BankServer beating = BankServer.start(bank, new InetSocketAddress("127.0.0.1", 0), Duration.ofMillis(100));
        Sse feed = Sse.open(beating.uri().resolve("/events"), null)) {
      assertThat(feed.nextComment()).as("sent when the feed opens").isEqualTo("following");
      assertThat(feed.nextComment()).isEqualTo("heartbeat");
      assertThat(feed.nextComment()).isEqualTo("heartbeat");

      post("/accounts/beat-1/deposits", "{\"amount\": \"1\", \"currency\": \"EUR\"}");

      assertThat(feed.next().data.path("subject").asText()).isEqualTo("account-beat-1");
    }
  }

  @Test
  void the_feed_of_every_account_answers_a_long_poll_and_a_websocket_follower() throws Exception {
    open("poll-1", "wim", "EUR");
    long opened = get("/accounts/poll-1/history").json.path("events").get(0).path("position").asLong();
    post("/accounts/poll-1/deposits", "{\"amount\": \"5\", \"currency\": \"EUR\"}");

    // Long polls, each resuming at the previous answer's next, until the deposit is among them.
    List<String> polled = new ArrayList<>();
    long after = opened;
    Instant deadline = Instant.now().plus(PATIENCE);
    while (!polled.contains("MoneyDeposited") && Instant.now().isBefore(deadline)) {
      Reply poll = get("/events?after=" + after + "&wait=10s&limit=50");
      assertThat(poll.status).as(poll.text).isEqualTo(200);
      for (JsonNode e : poll.json.path("events")) {
        if (e.path("subject").asText().equals("account-poll-1")) {
          polled.add(e.path("type").asText());
        }
      }
      after = poll.json.path("next").asLong();
    }
    assertThat(polled).containsExactly("MoneyDeposited");

    // A WebSocket from the opening on: the deposit, then a withdrawal made while it is open.
    BlockingQueue<JsonNode> messages = new LinkedBlockingQueue<>();
    StringBuilder partial = new StringBuilder();
    java.net.http.WebSocket socket = http.newWebSocketBuilder().buildAsync(
        URI.create(uri("/events?after=" + opened).toString().replaceFirst("^http", "ws")),
        new java.net.http.WebSocket.Listener() {
          @Override
          public java.util.concurrent.CompletionStage<?> onText(java.net.http.WebSocket ws, CharSequence data,
              boolean last) {
            partial.append(data);
            if (last) {
              try {
                messages.add(JSON.readTree(partial.toString()));
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
              partial.setLength(0);
            }
            ws.request(1);
            return null;
          }
        }).get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
    try {
      assertThat(nextOf(messages, "account-poll-1").path("type").asText()).isEqualTo("MoneyDeposited");
      post("/accounts/poll-1/withdrawals", "{\"amount\": \"2\", \"currency\": \"EUR\"}");
      JsonNode withdrawn = nextOf(messages, "account-poll-1");
      assertThat(withdrawn.path("type").asText()).isEqualTo("MoneyWithdrawn");
      assertThat(withdrawn.path("streamversion").asLong()).isEqualTo(3);
    } finally {
      socket.abort();
    }
  }

  /** The next message about {@code subject}, waiting up to {@link #PATIENCE} in all. */
  private static JsonNode nextOf(BlockingQueue<JsonNode> messages, String subject) throws InterruptedException {
    Instant deadline = Instant.now().plus(PATIENCE);
    while (Instant.now().isBefore(deadline)) {
      JsonNode m = messages.poll(Duration.between(Instant.now(), deadline).toMillis(), TimeUnit.MILLISECONDS);
      if (m != null && m.path("subject").asText().equals(subject)) {
        return m;
      }
    }
    throw new AssertionError("no message about " + subject + " within " + PATIENCE);
  }

  @Test
  void the_feed_of_every_account_refuses_to_resume_after_a_position_with_no_event() {
    Reply reply = get("/events?after=999999999");
    assertThat(reply.status).isEqualTo(400);
    assertThat(reply.json.path("error").asText()).isEqualTo("bad_follow_request");
    assertThat(reply.json.path("type").asText()).isEqualTo("urn:annals:bank:problem:bad_follow_request");
  }

  // ---- helpers ------------------------------------------------------------------------

  /**
   * Waits until every event appended so far is below the readers' horizon: a transaction open
   * elsewhere on the cluster (a projector's batch, another test) may hold it back for a while.
   */
  private static void awaitVisibleToReaders() {
    long head = bank.store().headPosition();
    Await.until("events up to position " + head + " visible to readers", Duration.ofSeconds(60),
        () -> bank.store().logReader().head().safeHeadPosition() >= head);
  }

  private static void open(String id, String owner, String currency) {
    Reply reply = post("/accounts", "{\"id\": \"" + id + "\", \"owner\": \"" + owner + "\", \"currency\": \""
        + currency + "\"}");
    assertThat(reply.status).as(reply.text).isEqualTo(201);
  }

  private static JsonNode find(JsonNode array, String field, String value) {
    for (JsonNode n : array) {
      if (n.path(field).asText().equals(value)) {
        return n;
      }
    }
    throw new AssertionError("no element with " + field + " = " + value + " in " + array);
  }

  private static URI uri(String path) {
    return server.uri().resolve(path);
  }

  private static Reply get(String path) {
    return send(HttpRequest.newBuilder(uri(path)).GET());
  }

  private static Reply post(String path, String body) {
    return post(path, body, Map.of());
  }

  private static Reply post(String path, String body, Map<String, String> headers) {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri(path))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    headers.forEach(request::header);
    return send(request);
  }

  private static Reply send(HttpRequest.Builder request) {
    try {
      HttpResponse<String> response = http.send(request.timeout(PATIENCE).build(),
          HttpResponse.BodyHandlers.ofString());
      return new Reply(response);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** A response with its body as text and, when it is JSON, parsed. */
  private static final class Reply {
    final int status;
    final String text;
    final JsonNode json;
    final HttpResponse<String> response;

    Reply(HttpResponse<String> response) {
      this.response = response;
      this.status = response.statusCode();
      this.text = response.body();
      JsonNode parsed;
      try {
        parsed = response.headers().firstValue("Content-Type").orElse("").matches("application/(problem\\+)?json.*")
            ? JSON.readTree(text) : JSON.missingNode();
      } catch (IOException e) {
        throw new AssertionError("response is not JSON: " + text, e);
      }
      this.json = parsed;
    }

    String header(String name) {
      return response.headers().firstValue(name).orElse(null);
    }
  }

  /** A minimal Server-Sent Events client: a thread parses messages into a queue. */
  private static final class Sse implements AutoCloseable {
    record Event(long id, String event, JsonNode data) {}

    private final InputStream body;
    private final BlockingQueue<Object> messages = new LinkedBlockingQueue<>();
    private final BlockingQueue<String> comments = new LinkedBlockingQueue<>();
    private final Thread reader;

    private Sse(InputStream body) {
      this.body = body;
      this.reader = new Thread(this::read, "sse-test-reader");
      reader.setDaemon(true);
      reader.start();
    }

    static Sse open(URI uri, Long lastEventId) throws IOException, InterruptedException {
      HttpRequest.Builder request = HttpRequest.newBuilder(uri).header("Accept", "text/event-stream");
      if (lastEventId != null) {
        request.header("Last-Event-ID", String.valueOf(lastEventId));
      }
      HttpResponse<InputStream> response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
          t -> assertThat(t).startsWith("text/event-stream"));
      return new Sse(response.body());
    }

    /** The next message, waiting up to {@link #PATIENCE}. */
    Event next() throws InterruptedException {
      Object message = messages.poll(PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
      if (message == null) {
        throw new AssertionError("no event within " + PATIENCE);
      }
      if (message instanceof Throwable t) {
        throw new AssertionError("the feed failed", t);
      }
      return (Event) message;
    }

    /** The next comment line's text, waiting up to {@link #PATIENCE}. */
    String nextComment() throws InterruptedException {
      String comment = comments.poll(PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
      if (comment == null) {
        throw new AssertionError("no comment within " + PATIENCE);
      }
      return comment;
    }

    /** A field's value: after the colon and one optional space, as the SSE format has it. */
    private static String field(String line) {
      String value = line.substring(line.indexOf(':') + 1);
      return value.startsWith(" ") ? value.substring(1) : value;
    }

    private void read() {
      try (BufferedReader lines = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
        Long id = null;
        String event = null;
        StringBuilder data = new StringBuilder();
        for (String line = lines.readLine(); line != null; line = lines.readLine()) {
          if (line.isEmpty()) {
            if (data.length() > 0) {
              messages.add(new Event(id, event, JSON.readTree(data.toString())));
            }
            id = null;
            event = null;
            data.setLength(0);
          } else if (line.startsWith("id:")) {
            id = Long.parseLong(field(line));
          } else if (line.startsWith("event:")) {
            event = field(line);
          } else if (line.startsWith("data:")) {
            data.append(field(line));
          } else if (line.startsWith(":")) {
            comments.add(line.substring(1).trim());
          }
        }
      } catch (IOException | RuntimeException e) {
        messages.add(e);
      }
    }

    @Override
    public void close() throws IOException {
      body.close();
    }
  }
}
