package dev.annals.messaging.kafka;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/** The checks of settings that {@link KafkaSink} and {@link KafkaInboxConsumer} share. */
final class KafkaSettings {

  private KafkaSettings() {}

  /**
   * Kafka's {@code bootstrap.servers}, stripped.
   *
   * @throws IllegalArgumentException if it is blank
   */
  static String bootstrapServers(String servers) {
    Objects.requireNonNull(servers, "bootstrapServers must not be null");
    if (servers.isBlank()) {
      throw new IllegalArgumentException("bootstrapServers must not be blank; use host:port[,host:port...]");
    }
    return servers.strip();
  }

  /**
   * {@code value}, which names a client setting called {@code name}.
   *
   * @throws IllegalArgumentException if it is blank
   */
  static String nonBlank(String value, String name) {
    Objects.requireNonNull(value, name + " must not be null");
    if (value.isBlank()) {
      throw new IllegalArgumentException(name + " must not be blank");
    }
    return value;
  }

  /**
   * A timeout that Kafka takes in milliseconds as an int, and that is at least one second.
   *
   * @param rule how the message states the rule after the name, such as {@code "must be at least 1s"}
   * @throws IllegalArgumentException if it is shorter or too long
   */
  static Duration timeout(Duration timeout, String name, String rule) {
    Objects.requireNonNull(timeout, name + " must not be null");
    if (timeout.compareTo(Duration.ofSeconds(1)) < 0 || timeout.toMillis() > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(name + " " + rule + ", was " + timeout);
    }
    return timeout;
  }

  /**
   * Refuses a client property that {@code owner} sets itself.
   *
   * @param kind how the message names it, such as {@code "producer property"}
   * @param owned the properties the owner decides, each with the reason
   * @throws IllegalArgumentException naming the property, the owner and the reason
   */
  static void refuseOwned(String name, Object value, Map<String, String> owned, String kind, String owner) {
    Objects.requireNonNull(name, "property name must not be null");
    Objects.requireNonNull(value, "value of property " + name + " must not be null");
    String why = owned.get(name);
    if (why != null) {
      throw new IllegalArgumentException(kind + " " + name + " is set by " + owner + ": " + why);
    }
  }
}
