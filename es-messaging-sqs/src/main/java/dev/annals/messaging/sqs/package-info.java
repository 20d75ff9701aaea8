/**
 * The Amazon SQS binding of Annals messaging: {@link dev.annals.messaging.sqs.SqsSink} publishes
 * the event log as CloudEvents to a FIFO or standard queue (a
 * {@link dev.annals.messaging.MessageSink} for a {@link dev.annals.messaging.Publisher}), and
 * {@link dev.annals.messaging.sqs.SqsConsumer} consumes a queue through the idempotent
 * {@link dev.annals.messaging.inbox.Inbox}, moving poison messages to the queue's dead-letter
 * queue (its redrive policy).
 *
 * <p>See docs/messaging.md, section Amazon SQS. Nothing here accepts null unless its
 * documentation says so.
 */
package dev.annals.messaging.sqs;
