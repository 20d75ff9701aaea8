package dev.annals.messaging.inbox;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * A message a consumer could not handle, kept with the error in the inbox's dead-letter table.
 *
 * @param id its id in the table
 * @param consumer the consumer that failed on it
 * @param messageId the message's id, null if it could not be read at all
 * @param headers its transport headers, as received
 * @param body its body, as received
 * @param error the error's class and message
 * @param attempts how often it was tried
 * @param failedAt when it was given up on
 */
public record InboxDeadLetter(long id, String consumer, String messageId, Map<String, String> headers,
    byte[] body, String error, int attempts, Instant failedAt) {

  public InboxDeadLetter {
    Objects.requireNonNull(consumer, "consumer");
    headers = Map.copyOf(headers);
    Objects.requireNonNull(body, "body");
    Objects.requireNonNull(error, "error");
    Objects.requireNonNull(failedAt, "failedAt");
  }
}
