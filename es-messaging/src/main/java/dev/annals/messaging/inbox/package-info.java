/**
 * The consuming side of messaging: the idempotent {@link dev.annals.messaging.inbox.Inbox}
 * applies each message once in effect, a {@link dev.annals.messaging.inbox.MessageHandler} is
 * that effect, and every broker consumer reports its
 * {@link dev.annals.messaging.inbox.ConsumerCounts}. The broker consumers themselves live in
 * the package of their transport.
 */
package dev.annals.messaging.inbox;
