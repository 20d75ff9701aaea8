-- Annals event store, schema version 10: archived streams (docs/archiving.md).
--
-- A stream can leave the events table for an archive file: archive_stream() records its head in
-- a tombstone and removes its events, restore_events() puts them back exactly. Appending to an
-- archived stream is refused. Version 9 is another change; the installer applies the scripts it
-- has in the order of their versions.

-- Archived streams (V10): one tombstone per stream whose events were written out to an archive
-- and removed from events. It keeps the archived head (version and link hash), the SHA-256 of
-- the archive file and where the file is, so the head stays verifiable and a load can say where
-- the events went. Written only by archive_stream(), removed only by restore_events().
CREATE TABLE ${schema}.archived_streams (
    stream_id   text        PRIMARY KEY,
    category    text        NOT NULL,
    version     bigint      NOT NULL CHECK (version >= 1),
    head_hash   bytea       NOT NULL CHECK (octet_length(head_hash) = 32),
    file_digest bytea       NOT NULL CHECK (octet_length(file_digest) = 32),
    location    text        NOT NULL,
    archived_at timestamptz NOT NULL,
    -- The login and the role it acted as (SET ROLE), for the audit trail.
    archived_by text        NOT NULL
);

-- Removes an archived stream's events (V10). The caller wrote them out first and passes the head
-- it wrote (version and link hash), which must still be the stream's head, and the file's
-- SHA-256 and location. In one transaction: the tombstone is written, the stream row marked
-- 'archived' (appends to it are then refused, see reject_archived_append), its snapshots and
-- events deleted. Not SECURITY DEFINER: only the owner of events, who may delete from it, can
-- run it; the application role has neither EXECUTE nor DELETE.
CREATE FUNCTION ${schema}.archive_stream(p_stream_id text, p_version bigint, p_head_hash bytea,
        p_file_digest bytea, p_location text)
    RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_version  bigint;
    v_head     bytea;
    v_category text;
    v_state    text;
    v_deleted  bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('annals.stream:' || p_stream_id, 0));
    SELECT s.version, s.head_hash, s.category, s.state INTO v_version, v_head, v_category, v_state
      FROM ${schema}.streams s WHERE s.stream_id = p_stream_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'stream % does not exist', p_stream_id USING ERRCODE = 'no_data_found';
    END IF;
    IF v_state = 'archived' THEN
        RAISE EXCEPTION 'stream % is archived already', p_stream_id USING ERRCODE = 'AN002';
    END IF;
    IF v_version <> p_version OR v_head <> p_head_hash THEN
        RAISE EXCEPTION 'stream % is at version %, not at the archived version %: it changed while it '
            'was written out', p_stream_id, v_version, p_version USING ERRCODE = 'AN003';
    END IF;
    INSERT INTO ${schema}.archived_streams (stream_id, category, version, head_hash, file_digest,
                                            location, archived_at, archived_by)
         VALUES (p_stream_id, v_category, p_version, p_head_hash, p_file_digest, p_location,
                 clock_timestamp(), session_user || ' as ' || current_user);
    UPDATE ${schema}.streams SET state = 'archived' WHERE stream_id = p_stream_id;
    DELETE FROM ${schema}.snapshots WHERE stream_id = p_stream_id;
    PERFORM set_config('annals.archiving', p_stream_id, true);
    DELETE FROM ${schema}.events WHERE stream_id = p_stream_id;
    GET DIAGNOSTICS v_deleted = ROW_COUNT;
    PERFORM set_config('annals.archiving', '', true);
    IF v_deleted <> p_version THEN
        RAISE EXCEPTION 'stream % at version % had % events', p_stream_id, p_version, v_deleted
            USING ERRCODE = 'AN003';
    END IF;
    RETURN v_deleted;
END
$$;

-- Puts a stream's events back exactly as they were written (V10): same versions, event ids,
-- recorded-at times and link hashes; new positions. For an archived stream the last hash must be
-- its tombstone's head, and the tombstone goes; otherwise the stream must not exist (an import).
-- The caller verified the chain (digests are computed by the client, see chain_hash). Only the
-- owner may run it.
CREATE FUNCTION ${schema}.restore_events(p_stream_id text, p_category text, p_event_ids uuid[],
        p_types text[], p_schema_versions integer[], p_payloads jsonb[], p_metadata jsonb[],
        p_recorded_at timestamptz[], p_hashes bytea[])
    RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_n       integer := cardinality(p_event_ids);
    v_state   text;
    v_version bigint;
    v_head    bytea;
    v_xid     xid8;
BEGIN
    -- As an append: the store's append lock shared, the fence checked (see append_events).
    PERFORM pg_advisory_xact_lock_shared(hashtextextended('annals.append:${schema}', 0));
    v_xid := pg_current_xact_id();
    IF v_xid < (SELECT CAST(CAST(f.last_value AS text) AS xid8) FROM ${schema}.append_fence f) THEN
        RAISE EXCEPTION 'transaction % is below the horizon fence: restore in a new transaction', v_xid
            USING ERRCODE = 'serialization_failure';
    END IF;
    IF v_n IS NULL OR v_n = 0 THEN
        RAISE EXCEPTION 'no events to restore for stream %', p_stream_id USING ERRCODE = 'AN004';
    END IF;
    SELECT s.state INTO v_state FROM ${schema}.streams s WHERE s.stream_id = p_stream_id FOR UPDATE;
    IF FOUND THEN
        IF v_state <> 'archived' THEN
            RAISE EXCEPTION 'stream % exists and is not archived: nothing restored', p_stream_id
                USING ERRCODE = 'AN004';
        END IF;
        SELECT a.version, a.head_hash INTO v_version, v_head
          FROM ${schema}.archived_streams a WHERE a.stream_id = p_stream_id;
        IF NOT FOUND OR v_version <> v_n OR v_head <> p_hashes[v_n] THEN
            RAISE EXCEPTION 'the events given for stream % do not end at its archived head (version %)',
                p_stream_id, v_version USING ERRCODE = 'AN004';
        END IF;
        DELETE FROM ${schema}.archived_streams WHERE stream_id = p_stream_id;
        UPDATE ${schema}.streams SET state = 'active', last_xid = v_xid WHERE stream_id = p_stream_id;
    ELSE
        INSERT INTO ${schema}.streams (stream_id, category, version, head_hash, last_xid)
             VALUES (p_stream_id, p_category, v_n, p_hashes[v_n], v_xid);
    END IF;
    INSERT INTO ${schema}.events (stream_id, category, version, event_id, type, schema_version,
                                  payload, metadata, recorded_at, hash)
    SELECT p_stream_id, p_category, i, p_event_ids[i], p_types[i], p_schema_versions[i],
           p_payloads[i], p_metadata[i], p_recorded_at[i], p_hashes[i]
      FROM generate_series(1, v_n) AS i
     ORDER BY i;
    RETURN v_n;
END
$$;

-- An archived stream's row stays, so that nothing reuses its id; every append path updates the
-- stream row, and this refuses the update (V10). Only restore_events changes the state back.
CREATE FUNCTION ${schema}.reject_archived_append() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'stream % is archived: appending to it is refused', OLD.stream_id
        USING ERRCODE = 'AN001',
              HINT = 'restore it from its archive first, or start a new stream';
END
$$;

CREATE TRIGGER streams_archived BEFORE UPDATE ON ${schema}.streams
    FOR EACH ROW WHEN (OLD.state = 'archived' AND NEW.state = 'archived')
    EXECUTE FUNCTION ${schema}.reject_archived_append();

-- Events are never changed or removed in place; only archive_stream() removes the events of the
-- stream it archives (V10).
CREATE OR REPLACE FUNCTION ${schema}.reject_event_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.stream_id = current_setting('annals.archiving', true) THEN
            RETURN OLD;
        END IF;
    END IF;
    RAISE EXCEPTION 'events are append-only: % on %.events is not allowed', TG_OP, TG_TABLE_SCHEMA
        USING ERRCODE = 'raise_exception',
              HINT = 'correct a mistake by appending a compensating event';
END
$$;
