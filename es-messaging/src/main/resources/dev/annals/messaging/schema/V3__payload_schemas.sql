-- Annals messaging, schema version 3: the Avro schemas of event payloads, per event type.
-- ${schema} is the target schema, as in version 1.

-- Every schema an event type was registered with, numbered from 1. A row is never changed or
-- removed: messages already sent name their writer's schema by type and version, and a new
-- version is accepted only if it reads the data of every version before it.
CREATE TABLE ${schema}.payload_schemas (
    event_type    text        NOT NULL,
    version       integer     NOT NULL CHECK (version > 0),
    schema_json   text        NOT NULL,
    -- Avro's CRC-64 fingerprint of the schema's parsing canonical form: registering the same
    -- schema again (reformatted, with other docs) finds its version instead of adding one.
    fingerprint   bigint      NOT NULL,
    registered_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_type, version),
    UNIQUE (event_type, fingerprint)
);
COMMENT ON TABLE ${schema}.payload_schemas IS
    'Avro schemas of event payloads per type and version; append-only, checked for compatibility';
