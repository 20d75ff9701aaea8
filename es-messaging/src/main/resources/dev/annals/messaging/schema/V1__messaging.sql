-- Annals messaging, schema version 1.
-- ${schema} is the target schema. Flyway and Liquibase substitute it as a placeholder; the
-- built-in installer (MessagingSchema) does the same under an advisory lock.

-- The inbox: one row per message a consumer has taken effect of. The row is written in the
-- transaction of the effect, so a redelivered message finds it and has no second effect.
CREATE TABLE ${schema}.inbox (
    consumer     text        NOT NULL,
    message_id   text        NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (consumer, message_id)
);
CREATE INDEX inbox_received_at ON ${schema}.inbox (received_at);

-- Messages a consumer could not handle (undecodable, or its handler kept failing), for
-- brokers without a dead-letter destination of their own.
CREATE TABLE ${schema}.inbox_dead_letters (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    consumer     text        NOT NULL,
    message_id   text,
    headers      jsonb       NOT NULL DEFAULT '{}'::jsonb,
    body         bytea       NOT NULL,
    error        text        NOT NULL,
    attempts     integer     NOT NULL,
    failed_at    timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX inbox_dead_letters_consumer ON ${schema}.inbox_dead_letters (consumer, id);

-- Webhook subscriptions: where to POST which event types, signed with which secret.
CREATE TABLE ${schema}.webhook_subscriptions (
    id             uuid        PRIMARY KEY,
    url            text        NOT NULL,
    event_types    text[]      NOT NULL,
    secret         text        NOT NULL,
    state          text        NOT NULL CHECK (state IN ('ACTIVE', 'PARKED')),
    created_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- Failure bookkeeping: set on the first failure in a row, cleared on a success.
    failing_since  timestamptz,
    failures       integer     NOT NULL DEFAULT 0,
    last_error     text,
    last_attempt_at timestamptz,
    next_attempt_at timestamptz NOT NULL DEFAULT '-infinity',
    delivered      bigint      NOT NULL DEFAULT 0,
    -- Which node delivers to it now, until when (database clock).
    lease_owner    text,
    lease_until    timestamptz
);

-- What is still to be delivered, per subscription, in log order. Written by the webhook
-- projector in the transaction that moves its checkpoint; deleted once the subscriber
-- answered 2xx.
CREATE TABLE ${schema}.webhook_deliveries (
    seq             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subscription_id uuid        NOT NULL REFERENCES ${schema}.webhook_subscriptions (id) ON DELETE CASCADE,
    event_id        uuid        NOT NULL,
    event_type      text        NOT NULL,
    position        bigint      NOT NULL,
    body            text        NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    UNIQUE (subscription_id, event_id)
);
CREATE INDEX webhook_deliveries_next ON ${schema}.webhook_deliveries (subscription_id, seq);
