package dev.annals.postgres;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.annals.core.AnnalsException;
import dev.annals.testkit.ContractEvents;
import java.time.Duration;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

/** Errors that name the JDBC URL never show its password. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class CredentialsInErrorsIT {

  @Test
  void a_url_of_another_kind_is_refused_without_echoing_its_password() {
    assertThatThrownBy(() -> PostgresEventStore.builder(ContractEvents.registry())
        .jdbcUrl("postgresql://app:s3cret-pw@db.example/bank"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("was postgresql://app:***@db.example/bank")
        .hasMessageNotContaining("s3cret-pw");
  }

  @Test
  void a_server_that_does_not_answer_is_named_without_the_password() {
    // Port 1 on the loopback interface: nothing listens, the connection is refused at once.
    assertThatThrownBy(() -> PostgresEventStore.builder(ContractEvents.registry())
        .jdbcUrl("jdbc:postgresql://app:s3cret-pw@127.0.0.1:1/test?user=app&password=s3cret-pw")
        .connectionTimeout(Duration.ofSeconds(2)).schema("nowhere").build())
        .isInstanceOf(AnnalsException.class)
        .hasMessageContaining("password=***")
        .hasMessageNotContaining("s3cret-pw");
  }
}
