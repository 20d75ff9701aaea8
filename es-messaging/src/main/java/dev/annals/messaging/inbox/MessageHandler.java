package dev.annals.messaging.inbox;

import io.cloudevents.CloudEvent;
import org.jdbi.v3.core.Handle;

/**
 * What a consumer does with one incoming CloudEvent: update a read model, record a command's
 * outcome. It runs in the {@link Inbox} transaction that also records the message id, so its
 * database work and the record commit together or not at all, and a redelivered message never
 * reaches it a second time.
 *
 * <p>Called from the consumer's thread, one message at a time per consumer.
 */
@FunctionalInterface
public interface MessageHandler {

  /**
   * Handles one message.
   *
   * @param event the incoming CloudEvent
   * @param handle the inbox transaction's handle; do all database work of the effect on it
   * @throws Exception to refuse the message: the transaction rolls back; the consumer tries
   *     again and, after its last try, moves the message to the dead letters with the error
   */
  void handle(CloudEvent event, Handle handle) throws Exception;
}
