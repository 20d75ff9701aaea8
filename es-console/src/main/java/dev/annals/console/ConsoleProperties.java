package dev.annals.console;

import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code annals.console.*}: the embedded console, off unless {@code enabled}.
 *
 * @param enabled whether to start the console with the application
 * @param address the address to listen on; 127.0.0.1 unless told otherwise
 * @param port its own port, apart from the application's
 * @param users who may log in, each {@code name:role:{id}password}; without any, an operator
 *     with a generated password is printed once at start
 */
@ConfigurationProperties("annals.console")
public record ConsoleProperties(boolean enabled, String address, Integer port, List<String> users) {

  /** Fills in the defaults. */
  public ConsoleProperties {
    address = address == null ? "127.0.0.1" : address;
    port = port == null ? 8089 : port;
    users = users == null ? List.of() : List.copyOf(users);
  }
}
