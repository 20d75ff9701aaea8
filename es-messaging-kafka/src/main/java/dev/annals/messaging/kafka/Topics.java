package dev.annals.messaging.kafka;

import java.util.Objects;
import java.util.regex.Pattern;

/** Kafka's rule for topic names, checked before a name reaches the broker. */
final class Topics {

  static final String RULE = "1 to 249 characters from a-z, A-Z, 0-9, '.', '_' and '-', and not '.' or '..'";

  private static final Pattern LEGAL = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

  private Topics() {}

  /**
   * {@code topic}, checked.
   *
   * @param what how the message names it, such as {@code "topic"} or {@code "dead-letter topic"}
   * @throws IllegalArgumentException if it is not a valid topic name
   */
  static String require(String topic, String what) {
    Objects.requireNonNull(topic, what + " must not be null");
    if (!isValid(topic)) {
      throw new IllegalArgumentException(what + " '" + topic + "' is not a valid Kafka topic name: " + RULE);
    }
    return topic;
  }

  static boolean isValid(String topic) {
    return LEGAL.matcher(topic).matches() && !topic.equals(".") && !topic.equals("..");
  }
}
