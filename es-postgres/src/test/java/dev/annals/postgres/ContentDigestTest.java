package dev.annals.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

/**
 * The canonical form, pinned: every stored event's digest was computed from it, and verification
 * recomputes it from the stored rows, so a change of a single character would make intact
 * events look altered.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ContentDigestTest {

  static final List<Map.Entry<String, String>> PINNED = List.of(
        Map.entry("{}",
            "{}"),
        Map.entry("[]",
            "[]"),
        Map.entry("{\"a\":[]}",
            "{\"a\":[]}"),
        Map.entry("{\"b\":1,\"a\":2,\"aa\":3,\"B\":4,\"\u00e9\":5,\"\\u00e9x\":6}",
            "{\"B\":4,\"a\":2,\"aa\":3,\"b\":1,\"\u00e9\":5,\"\u00e9x\":6}"),
        Map.entry("{\"n\":[0,-0,1,-1,12.50,12.5,1.0E10,1e-2,1.50e1,100e-1,-0.0,0.000010,1E+2]}",
            "{\"n\":[0,0,1,-1,12.5,12.5,10000000000,0.01,15,10,0,0.00001,100]}"),
        Map.entry("{\"big\":123456789012345678901234567890,\"dec\":3.14159265358979323846264338327950288}",
            "{\"big\":123456789012345678901234567890,\"dec\":3.14159265358979323846264338327950288}"),
        Map.entry("{\"s\":\"tab\\t nl\\n cr\\r bs\\b ff\\f quote\\\" backslash\\\\ slash\\/ ctrl\\u0001\\u001f del\\u007f ls\\u2028 emoji \ud83d\ude00 han \u6f22\"}",
            "{\"s\":\"tab\\t nl\\n cr\\r bs\\b ff\\f quote\\\" backslash\\\\ slash/ ctrl\\u0001\\u001F del\u007f ls\u2028 emoji \ud83d\ude00 han \u6f22\"}"),
        Map.entry("{\"nested\":{\"z\":{\"y\":[{\"b\":true,\"a\":false},null]},\"a\":\"\"}}",
            "{\"nested\":{\"a\":\"\",\"z\":{\"y\":[{\"a\":false,\"b\":true},null]}}}"),
        Map.entry("{ \"spaced\" :  [ 1 , 2 ]  ,\"t\":true}",
            "{\"spaced\":[1,2],\"t\":true}"),
        Map.entry("\"just a string\"",
            "\"just a string\""),
        Map.entry("42",
            "42"),
        Map.entry("null",
            "null"),
        Map.entry("[1,[2,[3,{}]]]",
            "[1,[2,[3,{}]]]"),
        Map.entry("{\"k\\\"ey\":\"v\",\"k\\\\ey\":1,\"\\u0000\":2}",
            "{\"\\u0000\":2,\"k\\\"ey\":\"v\",\"k\\\\ey\":1}"));

  @Test
  void the_canonical_form_of_awkward_json_is_exactly_what_it_has_always_been() {
    for (Map.Entry<String, String> pinned : PINNED) {
      assertThat(ContentDigest.canonical(pinned.getKey())).as(pinned.getKey()).isEqualTo(pinned.getValue());
    }
  }

  @Test
  void the_digest_of_an_event_is_exactly_what_it_has_always_been() {
    byte[] digest = ContentDigest.of("account-1", "0190a5d4-0000-7000-8000-000000000001", "Deposited", 1,
        "{\"currency\":\"EUR\",\"amount\":12.50}", "{}");
    assertThat(java.util.HexFormat.of().formatHex(digest)).isEqualTo("2b8e87186884a494fc0d3a8baa0c68b57152d9f311b6c7bae88f410155cec473");
  }
}
