-- Annals projections, schema version 1.
-- ${schema} is the event store's schema. Flyway and Liquibase substitute it as a placeholder;
-- the built-in installer (ProjectionSchema) does the same under an advisory lock.

-- One row per projector version and partition: where it is in the log, who works on it.
-- The cursor is the gap-safe (transaction id, position) pair of the last event it processed.
CREATE TABLE ${schema}.projection_checkpoints (
    projector         text             NOT NULL,
    projector_version integer          NOT NULL CHECK (projector_version >= 1),
    partition_index   integer          NOT NULL CHECK (partition_index >= 0),
    partition_count   integer          NOT NULL CHECK (partition_count >= 1),
    cursor_xid        bigint           NOT NULL DEFAULT 0,
    cursor_position   bigint           NOT NULL DEFAULT 0,
    -- Events at or before this cursor were processed once already (before a reset, or by the
    -- version being replaced): handlers see them as replays.
    replay_xid        bigint           NOT NULL DEFAULT 0,
    replay_position   bigint           NOT NULL DEFAULT 0,
    state             text             NOT NULL CHECK (state IN ('RUNNING', 'CATCHING_UP',
                                           'REBUILDING', 'PAUSED', 'FAILED', 'RETIRED')),
    owner_node        text,
    lease_until       timestamptz,
    last_error        text,
    last_error_at     timestamptz,
    events_per_second double precision NOT NULL DEFAULT 0,
    processed_events  bigint           NOT NULL DEFAULT 0,
    updated_at        timestamptz      NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (projector, projector_version, partition_index),
    CHECK (partition_index < partition_count)
);

-- Events a projector could not process, and events held back behind them.
CREATE TABLE ${schema}.projection_dead_letters (
    id                bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    projector         text        NOT NULL,
    projector_version integer     NOT NULL,
    partition_index   integer     NOT NULL,
    event_position    bigint      NOT NULL,
    event_xid         bigint      NOT NULL,
    event_id          uuid        NOT NULL,
    stream_id         text        NOT NULL,
    stream_version    bigint      NOT NULL,
    event_type        text        NOT NULL,
    error             text        NOT NULL,
    stack_trace       text        NOT NULL,
    attempts          integer     NOT NULL,
    parked_at         timestamptz NOT NULL DEFAULT clock_timestamp(),
    status            text        NOT NULL CHECK (status IN ('PARKED', 'BLOCKED', 'HALTED',
                                      'RESOLVED', 'DISCARDED')),
    resolved_at       timestamptz,
    CONSTRAINT projection_dead_letters_event UNIQUE (projector, projector_version, event_id)
);

-- Every batch asks whether any of its streams is blocked by an open dead letter.
CREATE INDEX projection_dead_letters_open ON ${schema}.projection_dead_letters
    (projector, projector_version, stream_id, stream_version) WHERE status IN ('PARKED', 'BLOCKED');

-- Which version of each projector serves reads (the views point at its tables).
CREATE TABLE ${schema}.projection_versions (
    projector      text        PRIMARY KEY,
    active_version integer     NOT NULL CHECK (active_version >= 1),
    switched_at    timestamptz NOT NULL DEFAULT clock_timestamp()
);
