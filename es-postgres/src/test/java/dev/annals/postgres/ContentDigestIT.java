package dev.annals.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.annals.core.EventRegistry;
import dev.annals.core.ExpectedVersion;
import dev.annals.core.Metadata;
import dev.annals.core.NewEvent;
import dev.annals.core.StreamId;
import dev.annals.testkit.PostgresTestDatabase;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The content digest must not change when PostgreSQL stores JSON as jsonb and gives it back. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ContentDigestIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  static final List<String> AWKWARD = List.of(
      "{}", "[]", "{\"a\":[]}", "{\"b\":1,\"a\":2,\"aa\":3,\"B\":4,\"é\":5,\"\\u00e9\":6}",
      "{\"n\":[0,-0,1,-1,12.50,12.5,1.0E10,1e-2,1.50e1,100e-1,-0.0,0.000010,1E+2]}",
      "{\"big\":123456789012345678901234567890,\"dec\":3.14159265358979323846264338327950288}",
      "{\"s\":\"tab\\t nl\\n quote\\\" backslash\\\\ slash\\/ ctrl\\u0001 emoji 😀 han 漢\"}",
      "{\"nested\":{\"z\":{\"y\":[{\"b\":true,\"a\":false},null]},\"a\":\"\"}}",
      "{ \"spaced\" :  [ 1 , 2 ]  ,\"t\":true}");

  private static String throughJsonb(Connection c, String json) throws Exception {
    try (PreparedStatement ps = c.prepareStatement("SELECT CAST(? AS jsonb)::text")) {
      ps.setString(1, json);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getString(1);
      }
    }
  }

  @Test
  void awkward_json_has_the_same_canonical_form_before_and_after_jsonb() throws Exception {
    try (Connection c = db.connect()) {
      for (String json : AWKWARD) {
        String stored = throughJsonb(c, json);
        assertThat(ContentDigest.canonical(stored)).as("%s stored as %s", json, stored)
            .isEqualTo(ContentDigest.canonical(json));
      }
    }
  }

  @Test
  void random_documents_have_the_same_canonical_form_before_and_after_jsonb() throws Exception {
    Random random = new Random(42);
    try (Connection c = db.connect()) {
      for (int i = 0; i < 500; i++) {
        String json = randomValue(random, 0, true);
        assertThat(ContentDigest.canonical(throughJsonb(c, json))).as(json)
            .isEqualTo(ContentDigest.canonical(json));
      }
    }
  }

  @Test
  void events_with_awkward_payloads_verify_intact() {
    record Doc(Map<String, Object> body, BigDecimal amount, String text) {}
    EventRegistry registry = EventRegistry.builder().register(Doc.class, "Doc").build();
    try (PostgresEventStore store = PostgresEventStore.builder(registry).jdbcUrl(db.jdbcUrl()).poolSize(2)
        .schema(db.newSchema()).installSchema(true).notifyInterval(Duration.ZERO).build()) {
      Random random = new Random(7);
      List<NewEvent> events = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        Map<String, Object> body = Map.of("z", random.nextDouble() * 1e12, "a", List.of(i, -i, "ü\n\"x\""),
            "m", Map.of("k" + i, random.nextLong()));
        events.add(NewEvent.of(new Doc(body, new BigDecimal(random.nextInt(100000)).movePointLeft(random.nextInt(6)),
            "😀 " + i), Metadata.empty().withActor("ñ\t" + i).with("k", "v\u0001")));
      }
      store.append(StreamId.of("doc", "1"), ExpectedVersion.noStream(), events.subList(0, 1));
      store.append(StreamId.of("doc", "1"), ExpectedVersion.exactly(1), events.subList(1, 50));
      IntegrityVerifier.Report report = store.integrityVerifier().verify(IntegrityVerifier.Scope.all());
      assertThat(report.violations()).isEmpty();
      assertThat(report.eventsChecked()).isEqualTo(50);
    }
  }

  private static String randomValue(Random r, int depth, boolean object) {
    int kind = object ? 0 : r.nextInt(depth > 3 ? 5 : 7);
    switch (kind) {
      case 0: {
        StringBuilder b = new StringBuilder("{");
        int n = r.nextInt(5);
        for (int i = 0; i < n; i++) {
          if (i > 0) {
            b.append(r.nextBoolean() ? "," : " , ");
          }
          b.append('"').append(randomKey(r)).append("\":").append(randomValue(r, depth + 1, false));
        }
        return b.append('}').toString();
      }
      case 1: {
        StringBuilder b = new StringBuilder("[");
        int n = r.nextInt(4);
        for (int i = 0; i < n; i++) {
          b.append(i > 0 ? "," : "").append(randomValue(r, depth + 1, false));
        }
        return b.append(']').toString();
      }
      case 2:
        return Long.toString(r.nextLong() >> r.nextInt(60));
      case 3: {
        String mantissa = (r.nextBoolean() ? "-" : "") + r.nextInt(100000) + "." + r.nextInt(1000);
        return r.nextBoolean() ? mantissa : mantissa + (r.nextBoolean() ? "e" : "E") + (r.nextInt(20) - 10);
      }
      case 4:
        return '"' + randomString(r) + '"';
      case 5:
        return r.nextBoolean() ? "true" : "false";
      default:
        return "null";
    }
  }

  private static String randomKey(Random r) {
    String[] keys = {"a", "b", "aa", "B", "é", "\\u00e9x", "k1", "k10", "k2", "", "z z"};
    return keys[r.nextInt(keys.length)] + (r.nextInt(4) == 0 ? r.nextInt(100) : "");
  }

  private static String randomString(Random r) {
    String[] parts = {"plain", "\\n", "\\t", "\\\"", "\\\\", "\\u0007", "ü", "😀", "\\ud83d\\ude00", " ", "/", "\\/"};
    StringBuilder b = new StringBuilder();
    for (int i = r.nextInt(5); i > 0; i--) {
      b.append(parts[r.nextInt(parts.length)]);
    }
    return b.toString();
  }
}
