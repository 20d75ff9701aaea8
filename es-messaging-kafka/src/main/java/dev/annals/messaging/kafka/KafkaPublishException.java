package dev.annals.messaging.kafka;

import dev.annals.core.AnnalsException;

/**
 * Kafka did not acknowledge a batch within the delivery timeout (the broker is down or
 * unreachable, a topic is missing, the client is not authorized). Some messages of the batch may
 * have been written; the publisher sends the whole batch again, and consumers drop the copies by
 * CloudEvent id.
 */
public final class KafkaPublishException extends AnnalsException {

  private static final long serialVersionUID = 1L;

  KafkaPublishException(String message, Throwable cause) {
    super(message, cause);
  }

  /** Always true: the same batch may be accepted once the broker is back. */
  @Override
  public boolean isRetryable() {
    return true;
  }
}
