package dev.annals.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ConnectException;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class RedactionTest {

  @ParameterizedTest
  @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
      // scheme://user:pass@host keeps the user
      "amqp://guest:s3cret@127.0.0.1:5672 | amqp://guest:***@127.0.0.1:5672",
      "amqp://guest:s3cret@rabbit.local/vhost-1 | amqp://guest:***@rabbit.local/vhost-1",
      "nats://bob:p:a:ss@nats.local:4222 | nats://bob:***@nats.local:4222",
      "nats://bob:p@s3cret@nats.local:4222 | nats://bob:***@nats.local:4222",
      "kafka://u:s3cret@broker:9092/topic | kafka://u:***@broker:9092/topic",
      "https://hook:s3cret@example.org/in?x=1 | https://hook:***@example.org/in?x=1",
      // scheme://token@host: a bare user information may be a token, so it goes whole
      "nats://s3cret@nats.local:4222 | nats://***@nats.local:4222",
      "jdbc:postgresql://s3cret@db/bank | jdbc:postgresql://***@db/bank",
      // Kafka bootstrap.servers and sasl.jaas.config
      "SASL_SSL://app:s3cret@b1:9093,SASL_SSL://app:s3cret@b2:9093 | SASL_SSL://app:***@b1:9093,SASL_SSL://app:***@b2:9093",
      "`sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"app\" password=\"s3 cr;et\";`"
          + " | `sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"app\" password=\"***\";`",
      // JDBC
      "jdbc:postgresql://app:s3cret@db:5432/bank | jdbc:postgresql://app:***@db:5432/bank",
      "jdbc:postgresql://db:5432/bank?user=app&password=s3cret&ssl=true | jdbc:postgresql://db:5432/bank?user=app&password=***&ssl=true",
      "jdbc:postgresql://db/bank?password=s3cret | jdbc:postgresql://db/bank?password=***",
      "jdbc:sqlserver://db;user=app;password=s3cret;encrypt=true | jdbc:sqlserver://db;user=app;password=***;encrypt=true",
      "jdbc:postgresql://db/bank?sslpassword=k3y&PASSWORD=s3cret | jdbc:postgresql://db/bank?sslpassword=***&PASSWORD=***",
      // credential-like query parameters
      "https://api.example.org/x?api_key=s3cret&token=s3cret | https://api.example.org/x?api_key=***&token=***",
      "https://h/x?pwd=s3cret&secret=s3cret&access_token=s3cret&a=1 | https://h/x?pwd=***&secret=***&access_token=***&a=1",
      "https://h/cb?client_secret=s3cret#top | https://h/cb?client_secret=***#top",
      "`{\"user\":\"app\",\"password\":\"s3cret\"}` | `{\"user\":\"app\",\"password\":\"***\"}`",
      // URLs that do not parse
      "cannot connect to not a url:password=s3cret now | cannot connect to not a url:password=*** now",
      "bad URL 'amqp://guest:s3cret@[::1:5672': unclosed bracket | bad URL 'amqp://guest:***@[::1:5672': unclosed bracket",
      "bad URL 'amqp:/guest:s3cret@host' | bad URL 'amqp:/guest:***@host'",
      "bad URL 'amqp:guest:s3cret@host' | bad URL 'amqp:***@host'",
      "Illegal character in authority at index 9: amqp://gu est:s3cret@host | Illegal character in authority at index 9: amqp://gu est:***@host",
      // a password or token holding an unencoded '/', as base64 does
      "postgresql://user:s3cret/ab@host/db | postgresql://user:***@host/db",
      "amqp://user:s3cret+def/ghi==@host | amqp://user:***@host",
      "nats://s3cret/en@host:4222 | nats://***@host:4222",
      "tls://s3cret/en@host:4222 | tls://***@host:4222",
      "jdbc:postgresql://app:s3cret/a@b@db:5432/bank?ssl=true | jdbc:postgresql://app:***@db:5432/bank?ssl=true",
      "https://s3cret@example.org/x/@bob | https://***@example.org/x/@bob",
      "https://s3cret@host:8080/x/@bob | https://***@bob",
      // the documented limits: a port before a path holding '@' cannot be told from a password
      "http://host:8080/path@x | http://host:***@x",
      "wrong password: try again | wrong password: *** again",
      "bad URL 'amqp:/user:s3cret/ab@host' | bad URL 'amqp:/user:***@host'",
      "SASL_SSL://app:s3cret/a@b1:9093,SASL_SSL://app:s3cret/b@b2:9093 | SASL_SSL://app:***@b1:9093,SASL_SSL://app:***@b2:9093",
      // names ending in key, and other credential names
      "secret_key=s3cret | secret_key=***",
      "SECRET_KEY=s3cret | SECRET_KEY=***",
      "aws.secretKey=s3cret other=1 | aws.secretKey=*** other=1",
      "private_key=s3cret | private_key=***",
      "https://h/x?apiKey=s3cret&access-key=s3cret&x=1 | https://h/x?apiKey=***&access-key=***&x=1",
      "client.secret=s3cret passwd=s3cret pass=s3cret db2.password=s3cret | client.secret=*** passwd=*** pass=*** db2.password=***",
      "credentials=s3cret ssl.key.passphrase=s3cret | credentials=*** ssl.key.passphrase=***",
      "`{\"secret_key\":\"s3cret\"}` | `{\"secret_key\":\"***\"}`",
      // a quoted value holding an escaped quote
      "`password=\"a\\\"s3cret c\";` | `password=\"***\";`",
      "`password='a\\'s3cret c';` | `password='***';`",
      // JSON values that are not strings, or cut short
      "`{\"password\":123456}` | `{\"password\":\"***\"}`",
      "`{\"password\": -1.5e3, \"token\": true, \"secret\":null}` | `{\"password\": \"***\", \"token\": \"***\", \"secret\":\"***\"}`",
      "`error: {\"password\":\"s3cre` | `error: {\"password\":\"***\"`",
      // name: value, and Authorization headers
      "password: s3cret | password: ***",
      "`db:\n  password: s3cret\n  user: app` | `db:\n  password: ***\n  user: app`",
      "X-Api-Key: s3cret | X-Api-Key: ***",
      "`Authorization: Bearer s3cret.jwt-x_y` | `Authorization: Bearer ***`",
      "`authorization: basic s3cretYWJj+/== (from 10.0.0.1)` | `authorization: basic *** (from 10.0.0.1)`",
      "`{Authorization=Bearer s3cret, Accept=json}` | `{Authorization=Bearer ***, Accept=json}`",
      "`{\"Authorization\": \"Bearer s3cret\"}` | `{\"Authorization\": \"***\"}`",
      "`Proxy-Authorization: Digest username=\"app\", response=\"s3cret\"` | `Proxy-Authorization: ***`",
  })
  void hides_every_form_of_credential(String text, String redacted) {
    assertThat(Redaction.redact(text)).isEqualTo(redacted).doesNotContain("s3cret").doesNotContain("s3 cr");
    assertThat(Redaction.redact(redacted)).as("idempotent").isEqualTo(redacted);
  }

  @Test
  void text_without_credentials_passes_unchanged() {
    String text = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres and amqp://127.0.0.1:5672 (12:30) "
        + "at dev.annals.core.Foo.bar(Foo.java:12) bob@example.org kafka 127.0.0.1:9092,127.0.0.1:9093 "
        + "https://example.org/@bob http://host/path@x?a=1 key=value monkey=1 bypass=on tests pass: 12 "
        + "password policy: strict; the Authorization header is missing";
    assertThat(Redaction.redact(text)).isEqualTo(text);
    assertThat(Redaction.redact(null)).isNull();
  }

  @Test
  void a_throwable_copy_for_logs_prints_no_credential_but_keeps_class_trace_and_cause() {
    ConnectException cause = new ConnectException("refused by amqp://guest:s3cret@rabbit:5672");
    IllegalStateException e = new IllegalStateException("publishing to nats://s3cret@nats:4222 failed", cause);
    e.addSuppressed(new RuntimeException("jdbc:postgresql://db/bank?password=s3cret"));

    Throwable copy = Redaction.redacted(e);
    StringWriter printed = new StringWriter();
    copy.printStackTrace(new PrintWriter(printed));

    assertThat(printed.toString())
        .doesNotContain("s3cret")
        .contains("java.lang.IllegalStateException: publishing to nats://***@nats:4222 failed")
        .contains("Caused by: java.net.ConnectException: refused by amqp://guest:***@rabbit:5672")
        .contains("Suppressed: java.lang.RuntimeException: jdbc:postgresql://db/bank?password=***")
        .contains("RedactionTest.a_throwable_copy_for_logs");
    assertThat(Redaction.describe(e)).isEqualTo("java.lang.IllegalStateException: publishing to nats://***@nats:4222 failed");
    assertThat(Redaction.redacted(null)).isNull();
  }
}
