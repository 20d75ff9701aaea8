package dev.annals.messaging.kafka;

import java.util.regex.Pattern;

/** Kafka's rule for topic names, checked before a name reaches the broker. */
final class Topics {

  static final String RULE = "1 to 249 characters from a-z, A-Z, 0-9, '.', '_' and '-', and not '.' or '..'";

  private static final Pattern LEGAL = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

  private Topics() {}

  static boolean isValid(String topic) {
    return LEGAL.matcher(topic).matches() && !topic.equals(".") && !topic.equals("..");
  }
}
