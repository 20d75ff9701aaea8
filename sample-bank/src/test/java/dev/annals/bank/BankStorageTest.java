package dev.annals.bank;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class BankStorageTest {

  /** Nothing listens on port 1 of the loopback interface, so connecting is refused at once. */
  private static final String NOWHERE = "jdbc:postgresql://127.0.0.1:1/test?user=postgres";

  @Test
  void a_url_in_the_environment_is_taken_as_it_is_and_marked_explicit() {
    String url = "jdbc:postgresql://db.example:5432/bank?user=bank";
    BankStorage.Choice choice = BankStorage.choose(Map.of(BankStorage.URL_VARIABLE, " " + url + " "), NOWHERE);

    assertThat(choice.jdbcUrl()).contains(url);
    assertThat(choice.explicit()).isTrue();
    assertThat(choice.reason()).contains("BANK_DB_URL");
  }

  @Test
  void without_a_url_or_a_local_server_the_choice_is_none_and_says_what_to_do() {
    BankStorage.Choice choice = BankStorage.choose(Map.of(BankStorage.URL_VARIABLE, "  "), NOWHERE);

    assertThat(choice.jdbcUrl()).isEmpty();
    assertThat(choice.explicit()).isFalse();
    assertThat(choice.reason())
        .startsWith("Set BANK_DB_URL to a JDBC URL")
        .contains("start PostgreSQL on 127.0.0.1:5432")
        .doesNotContain("\n");
  }

  @Test
  void the_probe_names_what_went_wrong() {
    assertThat(BankStorage.probe(NOWHERE)).hasValueSatisfying(p -> assertThat(p).isNotBlank());
    assertThat(BankStorage.probe("jdbc:mysql://localhost/test"))
        .contains("not a PostgreSQL JDBC URL, which starts with jdbc:postgresql:");
  }

  @Test
  void passwords_are_hidden_in_messages() {
    assertThat(BankStorage.redact("jdbc:postgresql://h/db?user=u&password=s3cret&ssl=true"))
        .isEqualTo("jdbc:postgresql://h/db?user=u&password=***&ssl=true");
  }

  @Test
  void the_snapshot_key_comes_from_the_environment_and_a_bad_one_is_refused_without_showing_it() {
    String key = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    assertThat(BankStorage.snapshotSigning(Map.of(BankStorage.SNAPSHOT_KEY_VARIABLE, key))).isNotNull();
    assertThat(BankStorage.snapshotSigning(Map.of())).as("a key of the process")
        .isSameAs(BankStorage.snapshotSigning(Map.of(BankStorage.SNAPSHOT_KEY_VARIABLE, " ")));

    assertThatThrownBy(() -> BankStorage.snapshotSigning(Map.of(BankStorage.SNAPSHOT_KEY_VARIABLE, "s3cret-s3cret")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("BANK_SNAPSHOT_KEY must be an even number of hex digits")
        .hasMessageNotContaining("s3cret");
    assertThatThrownBy(() -> BankStorage.snapshotSigning(Map.of(BankStorage.SNAPSHOT_KEY_VARIABLE, key.substring(2))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("BANK_SNAPSHOT_KEY: snapshot signing key must be 32 bytes or more, was 31 bytes; "
            + "give 64 or more hex digits");
  }
}
