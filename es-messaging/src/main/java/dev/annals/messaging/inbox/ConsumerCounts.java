package dev.annals.messaging.inbox;

/**
 * What a consumer has done since it started.
 *
 * @param applied messages whose effect committed
 * @param duplicates redelivered messages the inbox recognised and skipped
 * @param deadLettered messages given up on and moved to the dead letters
 */
public record ConsumerCounts(long applied, long duplicates, long deadLettered) {}
