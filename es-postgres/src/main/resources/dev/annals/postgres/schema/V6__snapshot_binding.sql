-- Annals event store, schema version 6: snapshots bound to their stream's hash chain.
--
-- A snapshot row now carries the link hash of its stream's event at its version, and, when the
-- application configures a signing key, an HMAC-SHA256 over stream, version, schema version,
-- link hash and state (computed by the client; the key never reaches the database). A load
-- refuses a snapshot whose link hash is not the stream's link at that version, or whose
-- signature is missing or wrong, and replays the events instead.
--
-- Snapshots written before carry no binding and cannot be told from forged ones, so they are
-- removed: snapshots are an optimisation, and the next ones are written as streams grow (or on
-- demand with AggregateRepository.snapshot).
TRUNCATE ${schema}.snapshots;

ALTER TABLE ${schema}.snapshots
    ADD COLUMN link_hash bytea NOT NULL CHECK (octet_length(link_hash) = 32),
    ADD COLUMN signature bytea CHECK (octet_length(signature) = 32);
