/**
 * Webhooks: {@link dev.annals.messaging.webhooks.Webhooks} stores subscriptions and delivers the
 * log to them as signed HTTP POSTs of CloudEvents, in order, with retries and parking;
 * {@link dev.annals.messaging.webhooks.WebhookSignature} signs and verifies the requests.
 */
package dev.annals.messaging.webhooks;
