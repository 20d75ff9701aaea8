package dev.annals.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class RedactionTest {

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "amqp://guest:s3cret@127.0.0.1:5672 | amqp://guest:***@127.0.0.1:5672",
      "nats://bob:p:a:ss@nats.local:4222 | nats://bob:***@nats.local:4222",
      "kafka://u:pw@broker:9092/topic | kafka://u:***@broker:9092/topic",
      "https://hook:s3cret@example.org/in?x=1 | https://hook:***@example.org/in?x=1",
      "jdbc:postgresql://app:s3cret@db:5432/bank | jdbc:postgresql://app:***@db:5432/bank",
      "jdbc:postgresql://db:5432/bank?user=app&password=s3cret&ssl=true | jdbc:postgresql://db:5432/bank?user=app&password=***&ssl=true",
      "jdbc:postgresql://db/bank?password=s3cret | jdbc:postgresql://db/bank?password=***",
      "jdbc:sqlserver://db;user=app;password=s3cret;encrypt=true | jdbc:sqlserver://db;user=app;password=***;encrypt=true",
      "jdbc:postgresql://db/bank?sslpassword=k3y&PASSWORD=s3cret | jdbc:postgresql://db/bank?sslpassword=***&PASSWORD=***",
      "https://api.example.org/x?api_key=abc&token=def | https://api.example.org/x?api_key=***&token=***",
      "cannot connect to not a url:password=s3cret now | cannot connect to not a url:password=*** now",
  })
  void hides_every_form_of_credential(String text, String redacted) {
    assertThat(Redaction.redact(text)).isEqualTo(redacted).doesNotContain("s3cret");
  }

  @Test
  void text_without_credentials_passes_unchanged() {
    String text = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres and amqp://127.0.0.1:5672 (12:30)";
    assertThat(Redaction.redact(text)).isEqualTo(text);
    assertThat(Redaction.redact(null)).isNull();
  }

  @Test
  void a_malformed_url_echoed_in_a_message_is_redacted_too() {
    assertThat(Redaction.redact("bad URL 'amqp://guest:s3cret@[::1:5672': unclosed bracket"))
        .doesNotContain("s3cret");
  }
}
