-- Annals event store: what the application role ${role} may do in schema ${schema}.
--
-- Run by the owner of the event store's tables (the role that ran the V*.sql migrations), after
-- them and again after every upgrade; PostgresSchema.grantApplicationRole runs it. Not a
-- migration: ${role} is the application's role, which the operator creates (see
-- docs/postgres.md). Idempotent: it first takes back what it grants, so it leaves exactly this.
--
-- The application appends and reads; it never owns the log, so it cannot ALTER TABLE ...
-- DISABLE TRIGGER, DROP or TRUNCATE it, and has no UPDATE or DELETE on it. It inserts rows
-- itself (the single-event append is one statement, see AppendSql), but only into the columns
-- an append writes: position and transaction_id always take their defaults.

DO $$
BEGIN
    IF NOT pg_has_role(current_user,
            (SELECT relowner FROM pg_class WHERE oid = '${schema}.events'::regclass), 'USAGE') THEN
        RAISE EXCEPTION 'only the owner of ${schema}.events can grant access to it, not %', current_user
            USING ERRCODE = 'insufficient_privilege';
    END IF;
END
$$;

-- Nobody else may create objects in the schema (functions there could shadow built-ins).
REVOKE CREATE ON SCHEMA ${schema} FROM PUBLIC;
GRANT USAGE ON SCHEMA ${schema} TO ${role};

REVOKE ALL ON TABLE ${schema}.events, ${schema}.streams, ${schema}.snapshots,
    ${schema}.schema_version FROM PUBLIC, ${role};
GRANT SELECT ON TABLE ${schema}.events, ${schema}.streams, ${schema}.snapshots,
    ${schema}.schema_version TO ${role};
GRANT INSERT (stream_id, category, version, event_id, type, schema_version, payload, metadata,
    recorded_at, hash) ON TABLE ${schema}.events TO ${role};
GRANT INSERT (stream_id, category, version, head_hash, last_xid),
    UPDATE (version, head_hash, last_xid) ON TABLE ${schema}.streams TO ${role};
-- Snapshots are a cache, replaced in place (INSERT ... ON CONFLICT DO UPDATE), deleted only
-- through discard_snapshots (V9).
GRANT INSERT, UPDATE ON TABLE ${schema}.snapshots TO ${role};
-- The horizon fence: appenders and readers read it, the advancer in every store moves it.
REVOKE ALL ON TABLE ${schema}.log_horizon FROM PUBLIC, ${role};
GRANT SELECT, UPDATE ON TABLE ${schema}.log_horizon TO ${role};
REVOKE ALL ON SEQUENCE ${schema}.append_fence FROM PUBLIC, ${role};
GRANT SELECT, UPDATE ON SEQUENCE ${schema}.append_fence TO ${role};
-- Subject keys (V9): the application makes keys for new subjects and reads them; it changes a
-- key row only through forget_subject, so it can neither forge nor swap a stored key.
REVOKE ALL ON TABLE ${schema}.subject_keys FROM PUBLIC, ${role};
GRANT SELECT, INSERT (subject, data_key, wrapped) ON TABLE ${schema}.subject_keys TO ${role};

-- Functions are executable by PUBLIC unless revoked.
REVOKE ALL ON FUNCTION
    ${schema}.append_group(integer[], bigint[], text[], text[], uuid[], text[], integer[], jsonb[], jsonb[], bytea[]),
    ${schema}.append_events(text, text, bigint, uuid[], text[], integer[], jsonb[], jsonb[], bytea[]),
    ${schema}.append_event(text, text, bigint, uuid, text, integer, jsonb, jsonb, bytea),
    ${schema}.chain_hash(bytea, bytea, bigint, timestamptz),
    ${schema}.rebase_transaction_ids(),
    ${schema}.reject_event_change(),
    ${schema}.forget_subject(text),
    ${schema}.discard_snapshots(text)
    FROM PUBLIC, ${role};
GRANT EXECUTE ON FUNCTION
    ${schema}.append_group(integer[], bigint[], text[], text[], uuid[], text[], integer[], jsonb[], jsonb[], bytea[]),
    ${schema}.append_events(text, text, bigint, uuid[], text[], integer[], jsonb[], jsonb[], bytea[]),
    ${schema}.append_event(text, text, bigint, uuid, text, integer, jsonb, jsonb, bytea),
    ${schema}.chain_hash(bytea, bytea, bigint, timestamptz),
    ${schema}.forget_subject(text),
    ${schema}.discard_snapshots(text)
    TO ${role};

-- Archived streams (V10): the application reads the tombstones, so that loading an archived
-- stream names its archive; archiving and restoring are the owner's alone.
REVOKE ALL ON TABLE ${schema}.archived_streams FROM PUBLIC, ${role};
GRANT SELECT ON TABLE ${schema}.archived_streams TO ${role};
REVOKE ALL ON FUNCTION
    ${schema}.archive_stream(text, bigint, bytea, bytea, text),
    ${schema}.restore_events(text, text, uuid[], text[], integer[], jsonb[], jsonb[], timestamptz[], bytea[]),
    ${schema}.reject_archived_append()
    FROM PUBLIC, ${role};
