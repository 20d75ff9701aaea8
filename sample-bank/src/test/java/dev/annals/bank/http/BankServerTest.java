package dev.annals.bank.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class BankServerTest {

  @Test
  void without_options_the_server_listens_on_the_loopback_address_port_8080_and_serves_the_demos_schema() {
    BankServer.Options options = BankServer.Options.parse(new String[0]);

    assertThat(options.host).isEqualTo("127.0.0.1");
    assertThat(options.port).isEqualTo(8080);
    assertThat(options.schema).isEqualTo("bank_demo");
    assertThat(options.console).as("the console is opt-in").isFalse();
  }

  @Test
  void the_console_option_turns_the_console_on() {
    assertThat(BankServer.Options.parse(new String[] {"--console"}).console).isTrue();
  }

  @Test
  void options_set_port_host_and_schema() {
    BankServer.Options options = BankServer.Options.parse(
        new String[] {"--port", "0", "--host", "0.0.0.0", "--schema", "bank_two"});

    assertThat(options.port).isZero();
    assertThat(options.host).isEqualTo("0.0.0.0");
    assertThat(options.schema).isEqualTo("bank_two");
  }

  @Test
  void bad_options_are_refused_naming_the_bad_value() {
    assertThatThrownBy(() -> BankServer.Options.parse(new String[] {"--port", "http"}))
        .hasMessageContaining("bad port 'http'");
    assertThatThrownBy(() -> BankServer.Options.parse(new String[] {"--port", "70000"}))
        .hasMessageContaining("bad port '70000'");
    assertThatThrownBy(() -> BankServer.Options.parse(new String[] {"--schema", "no-dashes"}))
        .hasMessageContaining("bad schema name 'no-dashes'");
    assertThatThrownBy(() -> BankServer.Options.parse(new String[] {"--verbose"}))
        .hasMessageContaining("Unknown option: '--verbose'");
    assertThatThrownBy(() -> BankServer.Options.parse(new String[] {"--port"}))
        .hasMessageContaining("Missing required parameter for option '--port'");
  }

  @Test
  void the_first_line_names_the_database_without_its_password() {
    String line = BankServer.firstLine(java.net.URI.create("http://127.0.0.1:8080/"),
        "jdbc:postgresql://bank:s3cret-pw@db:5432/bank?sslpassword=s3cret-key", "bank_demo");

    assertThat(line).isEqualTo("Annals sample bank at http://127.0.0.1:8080/ "
        + "(jdbc:postgresql://bank:***@db:5432/bank?sslpassword=***, schema bank_demo); stop it with Ctrl-C");
  }
}
