package dev.annals.bank.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.annals.bank.Bank;
import dev.annals.bank.BankStorage;
import dev.annals.testkit.PostgresTestDatabase;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The HTTP API while PostgreSQL refuses the bank: 503 with a JSON body and Retry-After, never a
 * 500, and service again once it comes back. The outage is real on the wire: the bank logs in as
 * a role of its own, whose connections are killed and whose new ones are refused
 * (CONNECTION LIMIT 0, SQLSTATE 53300), then allowed again.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class BankServerOutageIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  /** How long the database and the bank's pool may take to act on a change of the role. */
  private static final Duration PATIENCE = Duration.ofSeconds(60);

  static void sql(String statement) throws Exception {
    try (Connection c = db.connect(); Statement st = c.createStatement()) {
      st.execute(statement);
    }
  }

  /**
   * Ends every session of {@code role} and waits until they are gone: pg_terminate_backend only
   * signals them, and a session still alive would serve the next request.
   */
  static void terminateSessions(String role) throws Exception {
    try (Connection c = db.connect(); Statement st = c.createStatement()) {
      List<Integer> pids = new ArrayList<>();
      try (ResultSet rs = st.executeQuery("SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity "
          + "WHERE usename = '" + role + "'")) {
        while (rs.next()) {
          pids.add(rs.getInt(1));
        }
      }
      if (pids.isEmpty()) {
        return;
      }
      String alive = "SELECT count(*) FROM pg_stat_activity WHERE pid IN (" + pids.stream().map(String::valueOf)
          .collect(Collectors.joining(", ")) + ")";
      long deadline = System.nanoTime() + PATIENCE.toNanos();
      while (true) {
        try (ResultSet rs = st.executeQuery(alive)) {
          rs.next();
          if (rs.getLong(1) == 0) {
            return;
          }
        }
        assertThat(System.nanoTime()).as("sessions of " + role + " still alive after " + PATIENCE)
            .isLessThan(deadline);
        Thread.sleep(50);
      }
    }
  }

  @Test
  void requests_get_503_while_the_database_refuses_and_succeed_again_after() throws Exception {
    String role = "bank_outage_" + UUID.randomUUID().toString().substring(0, 8);
    String schema = db.newSchema();
    sql("CREATE ROLE " + role + " LOGIN");
    sql("ALTER SCHEMA " + schema + " OWNER TO " + role);
    // The installer's CREATE SCHEMA IF NOT EXISTS asks for it even when the schema is there.
    sql("DO $$ BEGIN EXECUTE format('GRANT CREATE ON DATABASE %I TO " + role + "', current_database()); END $$");
    String url = db.jdbcUrl().replaceAll("([?&])user=[^&]*", "$1user=" + role);
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10)).build();
    try (BankStorage storage = BankStorage.postgres(url, schema, false);
        Bank bank = Bank.start(storage.store(), "outage");
        BankServer server = BankServer.start(bank, new InetSocketAddress("127.0.0.1", 0))) {
      HttpRequest list = HttpRequest.newBuilder(server.uri().resolve("/accounts")).build();
      assertThat(http.send(list, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);

      sql("ALTER ROLE " + role + " CONNECTION LIMIT 0");
      terminateSessions(role);
      HttpResponse<String> down = http.send(list, HttpResponse.BodyHandlers.ofString());
      assertThat(down.statusCode()).as(down.body()).isEqualTo(503);
      assertThat(down.headers().firstValue("Retry-After")).isPresent();
      JsonNode error = new ObjectMapper().readTree(down.body());
      assertThat(error.path("error").asText()).isEqualTo("store_unavailable");
      assertThat(error.path("message").asText()).contains("try again later");

      sql("ALTER ROLE " + role + " CONNECTION LIMIT -1");
      // The pool opens new connections on its own schedule: the service returns within seconds.
      long deadline = System.nanoTime() + PATIENCE.toNanos();
      HttpResponse<String> back = http.send(list, HttpResponse.BodyHandlers.ofString());
      while (back.statusCode() == 503 && System.nanoTime() < deadline) {
        Thread.sleep(200);
        back = http.send(list, HttpResponse.BodyHandlers.ofString());
      }
      assertThat(back.statusCode()).as(back.body()).isEqualTo(200);
    } finally {
      sql("ALTER ROLE " + role + " CONNECTION LIMIT -1");
      sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '" + role + "'");
      sql("ALTER SCHEMA " + schema + " OWNER TO CURRENT_USER");
      sql("REASSIGN OWNED BY " + role + " TO CURRENT_USER");
      sql("DROP OWNED BY " + role);
      sql("DROP ROLE " + role);
    }
  }
}
