-- Annals event store as it stands at schema version 10, in one file: every table, index,
-- function and trigger that the migrations V1..V10 leave behind, each in its latest form.
--
-- For reading only: installations run the migrations (PostgresSchema.install, or Flyway or
-- Liquibase with the V*.sql scripts beside this file), never this file. It is kept by hand;
-- CurrentSchemaIT installs it and the migrations side by side and fails when they differ, so a
-- new migration must update it. ${schema} is the target schema.

-- Written by the installer (SchemaScripts), not by a script: the scripts that ran.
CREATE TABLE ${schema}.schema_version (
    version      integer     PRIMARY KEY,
    script       text        NOT NULL,
    installed_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ${schema}.streams (
    stream_id  text        PRIMARY KEY,
    category   text        NOT NULL,
    version    bigint      NOT NULL CHECK (version >= 1),
    head_hash  bytea       NOT NULL,
    -- Transaction that last appended; an append from an older transaction would put the
    -- stream's events out of version order in the reader's (transaction id, position) order.
    last_xid   xid8        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    state      text        NOT NULL DEFAULT 'active'
) WITH (fillfactor = 80); -- room for HOT updates: every append rewrites its stream's row

CREATE TABLE ${schema}.events (
    position       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    transaction_id xid8        NOT NULL DEFAULT pg_current_xact_id(),
    stream_id      text        NOT NULL,
    category       text        NOT NULL,
    version        bigint      NOT NULL CHECK (version >= 1),
    event_id       uuid        NOT NULL,
    type           text        NOT NULL,
    schema_version integer     NOT NULL CHECK (schema_version >= 1),
    payload        jsonb       NOT NULL,
    metadata       jsonb       NOT NULL,
    recorded_at    timestamptz NOT NULL,
    -- Link of the stream's hash chain: see chain_hash() below.
    hash           bytea       NOT NULL,
    CONSTRAINT events_event_id_key UNIQUE (event_id),
    CONSTRAINT events_stream_version_key UNIQUE (stream_id, version)
);

-- The gap-safe reader's order (V1; V3 dropped the (category, position) index).
CREATE INDEX events_reader_order ON ${schema}.events (transaction_id, position);

CREATE TABLE ${schema}.snapshots (
    stream_id      text        NOT NULL,
    version        bigint      NOT NULL CHECK (version >= 1),
    schema_version integer     NOT NULL CHECK (schema_version >= 1),
    state          jsonb       NOT NULL,
    taken_at       timestamptz NOT NULL,
    -- The hash of the stream's event at this version (V6): a load refuses a snapshot whose link
    -- is not the stream's link at its version.
    link_hash      bytea       NOT NULL CHECK (octet_length(link_hash) = 32),
    -- HMAC-SHA256 of the application's signing key over stream, version, schema version, link
    -- hash and state (V6); null when no key is configured. Computed and checked by the client.
    signature      bytea       CHECK (octet_length(signature) = 32),
    PRIMARY KEY (stream_id, version)
);

-- The horizon fence (V8): readers may read below the fence as well as below the cluster's
-- oldest transaction, so a transaction that never appends cannot hold them back. Every append
-- takes the store's append lock (pg_advisory_xact_lock_shared on
-- hashtextextended('annals.append:<schema>', 0)) and is refused as a transaction order conflict
-- when its transaction id is below the fence. The advancer (PostgresEventStore) takes that lock
-- exclusively, so that no append is in flight, and moves both copies of the fence:
-- append_fence, a sequence that appenders read with the latest value whatever their isolation
-- level, and log_horizon, the row readers read in their own snapshot, which shows a fence only
-- once the appends below it have committed.
CREATE SEQUENCE ${schema}.append_fence MINVALUE 0 START WITH 0;

CREATE TABLE ${schema}.log_horizon (
    single      boolean     PRIMARY KEY DEFAULT true CHECK (single),
    fence       xid8        NOT NULL DEFAULT '0',
    advanced_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
INSERT INTO ${schema}.log_horizon DEFAULT VALUES;

-- Keys of personal-data subjects (V9): see PostgresSubjectKeys and docs/compliance.md.
CREATE TABLE ${schema}.subject_keys (
    subject      text        PRIMARY KEY,
    -- The subject's AES-256 data key: 32 bytes, or 60 when wrapped (AES-GCM under the
    -- application's master key, bound to the schema and the subject). Null once forgotten.
    data_key     bytea       CHECK (octet_length(data_key) IN (32, 60)),
    wrapped      boolean     NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    forgotten_at timestamptz,
    CONSTRAINT subject_keys_forgotten_without_key CHECK ((data_key IS NULL) = (forgotten_at IS NOT NULL))
);

-- Forgets a subject: destroys its key (or, for a subject never seen, records it as forgotten so
-- that no key is made for it later). The application role may not update or delete key rows;
-- this is its one way to change one. True when a live key was destroyed.
CREATE FUNCTION ${schema}.forget_subject(p_subject text) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    UPDATE ${schema}.subject_keys SET data_key = NULL, forgotten_at = clock_timestamp()
     WHERE subject = p_subject AND data_key IS NOT NULL;
    IF FOUND THEN
        RETURN true;
    END IF;
    INSERT INTO ${schema}.subject_keys (subject, data_key, wrapped, forgotten_at)
         VALUES (p_subject, NULL, false, clock_timestamp())
    ON CONFLICT (subject) DO NOTHING;
    -- A key made concurrently committed before the insert above gave way to it.
    UPDATE ${schema}.subject_keys SET data_key = NULL, forgotten_at = clock_timestamp()
     WHERE subject = p_subject AND data_key IS NOT NULL;
    RETURN FOUND;
END
$$;

-- Discards every snapshot of a stream, as when it holds a forgotten subject's data; the number
-- discarded. The application role may not delete snapshots otherwise.
CREATE FUNCTION ${schema}.discard_snapshots(p_stream_id text) RETURNS integer
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    WITH discarded AS (
        DELETE FROM ${schema}.snapshots WHERE stream_id = p_stream_id RETURNING 1
    )
    SELECT count(*)::integer FROM discarded
$$;

-- One link of a stream's hash chain:
--   sha256( previous hash (32 zero bytes for version 1) || content digest
--           || version as 8 bytes big-endian || recorded_at as 8 bytes (timestamptz_send) )
-- The content digest is SHA-256 over the event's canonical content (stream id, event id, type,
-- schema version, payload and metadata in a canonical JSON form); the client computes it, and
-- verification recomputes it from the stored rows, so a digest that does not match is found.
CREATE FUNCTION ${schema}.chain_hash(p_prev bytea, p_digest bytea, p_version bigint,
        p_recorded_at timestamptz)
    RETURNS bytea LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT sha256(coalesce(p_prev, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea)
        || p_digest || int8send(p_version) || timestamptz_send(p_recorded_at))
$$;

-- Appends a batch to one stream in one round trip (V5). The store sends it for every append
-- except one event at an exact version of an existing stream, which it writes with a single
-- statement (AppendSql: the same checks and hash-chain link as below, without the advisory lock).
-- p_expected: -1 any, -2 stream exists, 0 no stream, n exactly n.
-- status: 0 written; 1 version conflict (nothing written, actual_version set);
--         2 transaction order conflict (nothing written; retry in a new transaction).
-- The stream is locked and its version checked before any event row or identity value is taken,
-- so a losing writer fails fast, writes nothing and burns no position.
CREATE FUNCTION ${schema}.append_events(p_stream_id text, p_category text, p_expected bigint,
        p_event_ids uuid[], p_types text[], p_schema_versions integer[], p_payloads jsonb[],
        p_metadata jsonb[], p_digests bytea[],
        OUT status integer, OUT actual_version bigint, OUT first_version bigint,
        OUT first_position bigint, OUT last_position bigint)
    RETURNS record LANGUAGE plpgsql AS $$
DECLARE
    v_n        integer := cardinality(p_event_ids);
    v_xid      xid8;
    v_version  bigint;
    v_head     bytea;
    v_last_xid xid8;
    v_now      timestamptz;
    v_hashes   bytea[];
    v_prev     bytea;
BEGIN
    -- Queue on the stream with an advisory lock first: unlike a row lock it takes no transaction
    -- id, so our id is assigned only once the previous writer of this stream has finished and
    -- is therefore newer than its id. Waiting on the row lock alone would let a waiter's older
    -- id land after a younger writer's events (a transaction order conflict on every race).
    PERFORM pg_advisory_xact_lock(hashtextextended('annals.stream:' || p_stream_id, 0));
    -- The store's append lock, shared, held until commit: the horizon advancer takes it
    -- exclusively to know that no append is in flight when it moves the fence (V8).
    PERFORM pg_advisory_xact_lock_shared(hashtextextended('annals.append:${schema}', 0));
    -- The row lock as well: the single-event statement skips the advisory lock (its conditional
    -- update needs no queue), so only the row lock keeps it from changing the row between this
    -- read and the update below.
    SELECT s.version, s.head_hash, s.last_xid INTO v_version, v_head, v_last_xid
      FROM ${schema}.streams s WHERE s.stream_id = p_stream_id FOR UPDATE;
    v_xid := pg_current_xact_id();
    IF FOUND THEN
        IF p_expected >= 0 AND v_version <> p_expected THEN
            status := 1; actual_version := v_version;
            RETURN;
        END IF;
        IF v_last_xid > v_xid THEN
            status := 2; actual_version := v_version;
            RETURN;
        END IF;
    ELSE
        IF p_expected > 0 OR p_expected = -2 THEN
            status := 1; actual_version := 0;
            RETURN;
        END IF;
        v_version := 0;
    END IF;
    -- Readers may already have passed every transaction id below the fence: an older
    -- transaction must not add events there. Read after the append lock, so a fence moved while
    -- we waited for it is seen; a sequence, so every isolation level sees the latest value.
    IF v_xid < (SELECT CAST(CAST(f.last_value AS text) AS xid8) FROM ${schema}.append_fence f) THEN
        status := 2; actual_version := v_version;
        RETURN;
    END IF;

    -- Taken under the stream lock, so recorded-at times never go back within a stream.
    v_now := clock_timestamp();
    IF v_n = 1 THEN
        -- The expression of chain_hash(), written out: a call would cost an executor start.
        v_prev := sha256(coalesce(v_head, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea)
                || p_digests[1] || int8send(v_version + 1) || timestamptz_send(v_now));
    ELSE
        v_prev := v_head;
        FOR i IN 1 .. v_n LOOP
            v_prev := sha256(coalesce(v_prev, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea)
                    || p_digests[i] || int8send(v_version + i) || timestamptz_send(v_now));
            v_hashes := array_append(v_hashes, v_prev);
        END LOOP;
    END IF;

    IF v_version > 0 THEN
        UPDATE ${schema}.streams
           SET version = v_version + v_n, head_hash = v_prev, last_xid = v_xid
         WHERE stream_id = p_stream_id AND version = v_version;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'stream % changed outside append_events while locked', p_stream_id;
        END IF;
    ELSE
        -- A concurrent creator would have held the advisory lock, so this insert cannot conflict.
        INSERT INTO ${schema}.streams (stream_id, category, version, head_hash, last_xid)
             VALUES (p_stream_id, p_category, v_n, v_prev, v_xid);
    END IF;

    IF v_n = 1 THEN
        INSERT INTO ${schema}.events (stream_id, category, version, event_id, type,
                                      schema_version, payload, metadata, recorded_at, hash)
             VALUES (p_stream_id, p_category, v_version + 1, p_event_ids[1], p_types[1],
                     p_schema_versions[1], p_payloads[1], p_metadata[1], v_now, v_prev)
          RETURNING position INTO first_position;
        last_position := first_position;
    ELSE
        WITH inserted AS (
            INSERT INTO ${schema}.events (stream_id, category, version, event_id, type,
                                          schema_version, payload, metadata, recorded_at, hash)
            SELECT p_stream_id, p_category, v_version + e.i, e.event_id, e.type,
                   e.schema_version, e.payload, e.metadata, v_now, e.hash
              FROM unnest(p_event_ids, p_types, p_schema_versions, p_payloads, p_metadata, v_hashes)
                   WITH ORDINALITY AS e(event_id, type, schema_version, payload, metadata, hash, i)
             ORDER BY e.i
            RETURNING position
        )
        SELECT min(position), max(position) INTO first_position, last_position FROM inserted;
    END IF;

    status := 0;
    actual_version := v_version + v_n;
    first_version := v_version + 1;
END
$$;

-- A group of appends to several streams in one transaction (V7): see AppendSql and GroupCommit.
CREATE FUNCTION ${schema}.append_group(p_counts integer[], p_expected bigint[], p_streams text[],
        p_categories text[], p_event_ids uuid[], p_types text[], p_schema_versions integer[],
        p_payloads jsonb[], p_metadata jsonb[], p_digests bytea[],
        OUT statuses integer[], OUT actual_versions bigint[], OUT first_versions bigint[],
        OUT first_positions bigint[], OUT last_positions bigint[])
    RETURNS record LANGUAGE plpgsql
    -- PL/pgSQL keeps a generic plan per statement per session, possibly made while the log was
    -- small enough to scan: a group then read the whole log for its event ids (measured: the cost
    -- of a group growing with the log). Every lookup here has its index.
    SET enable_seqscan = off
    AS $$
-- p_counts and p_expected hold one element per append (p_expected as in append_events); the
-- other arrays one per event, the events of each append together and in order. Appends to one
-- stream are applied in the order given. Status per append: 0 written; 1 version conflict
-- (actual version set); 2 transaction order conflict (retry in a new transaction); 3 an event id
-- of the append is stored already (nothing of it written; the client answers from the stored
-- events). Nothing is written for an append whose status is not 0.
DECLARE
    v_appends  integer := cardinality(p_counts);
    v_total    integer := cardinality(p_event_ids);
    v_xid      xid8;
    v_versions bigint[] := array_fill(NULL::bigint, ARRAY[v_total]);
    v_nows     timestamptz[] := array_fill(NULL::timestamptz, ARRAY[v_total]);
    v_hashes   bytea[] := array_fill(NULL::bytea, ARRAY[v_total]);
    v_stored   uuid[];
    v_positions bigint[];
    v_off      integer := 0;
    v_k        integer := 0;
    v_n        integer;
    v_stream   text;
    v_expected bigint;
    v_version  bigint;
    v_head     bytea;
    v_last_xid xid8;
    v_now      timestamptz;
    v_prev     bytea;
BEGIN
    statuses := array_fill(0, ARRAY[v_appends]);
    actual_versions := array_fill(0::bigint, ARRAY[v_appends]);
    first_versions := array_fill(0::bigint, ARRAY[v_appends]);
    first_positions := array_fill(0::bigint, ARRAY[v_appends]);
    last_positions := array_fill(0::bigint, ARRAY[v_appends]);
    -- An idempotent retry must not fail the group on the unique event id: such appends are
    -- found first and left out.
    SELECT array_agg(e.event_id) INTO v_stored FROM ${schema}.events e WHERE e.event_id = ANY(p_event_ids);
    v_xid := pg_current_xact_id();
    -- The fence, as in append_events: below it, every append of the group is refused.
    PERFORM pg_advisory_xact_lock_shared(hashtextextended('annals.append:${schema}', 0));
    IF v_xid < (SELECT CAST(CAST(f.last_value AS text) AS xid8) FROM ${schema}.append_fence f) THEN
        statuses := array_fill(2, ARRAY[v_appends]);
        RETURN;
    END IF;
    FOR a IN 1 .. v_appends LOOP
        v_n := p_counts[a];
        v_stream := p_streams[v_off + 1];
        v_expected := p_expected[a];
        v_version := NULL;
        IF v_stored IS NOT NULL AND p_event_ids[v_off + 1 : v_off + v_n] && v_stored THEN
            statuses[a] := 3;
        ELSIF v_n = 1 AND v_expected >= 1 THEN
            -- The commonest append, as AppendSql's single statement: the conditional update checks
            -- the version and the transaction order and links the chain, without the advisory lock.
            UPDATE ${schema}.streams AS st
               SET version = st.version + 1,
                   head_hash = sha256(st.head_hash || p_digests[v_off + 1] || int8send(st.version + 1)
                           || timestamptz_send(x.now)),
                   last_xid = v_xid
              FROM (SELECT clock_timestamp() AS now) AS x
             WHERE st.stream_id = v_stream AND st.version = v_expected AND st.last_xid <= v_xid
            RETURNING st.version, st.head_hash, x.now INTO v_version, v_prev, v_now;
            IF FOUND THEN
                v_versions[v_off + 1] := v_version;
                v_hashes[v_off + 1] := v_prev;
                v_nows[v_off + 1] := v_now;
                actual_versions[a] := v_version;
                first_versions[a] := v_version;
            END IF;
        END IF;
        IF statuses[a] = 0 AND v_version IS NULL THEN
            -- Every other case, as append_events, but the row lock first: the group may hold
            -- this stream's row already (an earlier append of the group), and append_events takes
            -- the advisory lock before the row, so taking it after the row could deadlock with it.
            -- The group's transaction id is taken, so the queue of the advisory lock brings
            -- nothing to an existing stream; its creation still needs it (no row to lock yet).
            SELECT s.version, s.head_hash, s.last_xid INTO v_version, v_head, v_last_xid
              FROM ${schema}.streams s WHERE s.stream_id = v_stream FOR UPDATE;
            IF NOT FOUND THEN
                PERFORM pg_advisory_xact_lock(hashtextextended('annals.stream:' || v_stream, 0));
                SELECT s.version, s.head_hash, s.last_xid INTO v_version, v_head, v_last_xid
                  FROM ${schema}.streams s WHERE s.stream_id = v_stream FOR UPDATE;
            END IF;
            IF FOUND THEN
                IF v_expected >= 0 AND v_version <> v_expected THEN
                    statuses[a] := 1;
                    actual_versions[a] := v_version;
                ELSIF v_last_xid > v_xid THEN
                    statuses[a] := 2;
                    actual_versions[a] := v_version;
                END IF;
            ELSIF v_expected > 0 OR v_expected = -2 THEN
                statuses[a] := 1;
            ELSE
                v_version := 0;
            END IF;
            IF statuses[a] = 0 THEN
                v_now := clock_timestamp();
                v_prev := v_head;
                FOR i IN 1 .. v_n LOOP
                    v_prev := sha256(coalesce(v_prev, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea)
                            || p_digests[v_off + i] || int8send(v_version + i) || timestamptz_send(v_now));
                    v_versions[v_off + i] := v_version + i;
                    v_hashes[v_off + i] := v_prev;
                    v_nows[v_off + i] := v_now;
                END LOOP;
                IF v_version > 0 THEN
                    UPDATE ${schema}.streams
                       SET version = v_version + v_n, head_hash = v_prev, last_xid = v_xid
                     WHERE stream_id = v_stream AND version = v_version;
                    IF NOT FOUND THEN
                        RAISE EXCEPTION 'stream % changed outside append_group while locked', v_stream;
                    END IF;
                ELSE
                    -- A concurrent creator would have held the advisory lock: no conflict possible.
                    INSERT INTO ${schema}.streams (stream_id, category, version, head_hash, last_xid)
                         VALUES (v_stream, p_categories[v_off + 1], v_n, v_prev, v_xid);
                END IF;
                actual_versions[a] := v_version + v_n;
                first_versions[a] := v_version + 1;
            END IF;
        END IF;
        v_off := v_off + v_n;
    END LOOP;

    -- One insert for the whole group, in the order given, so positions rise with it (each
    -- stream's events in version order).
    WITH inserted AS (
        INSERT INTO ${schema}.events (stream_id, category, version, event_id, type, schema_version,
                                      payload, metadata, recorded_at, hash)
        SELECT e.stream_id, e.category, e.version, e.event_id, e.type, e.schema_version, e.payload,
               e.metadata, e.recorded_at, e.hash
          FROM unnest(p_streams, p_categories, v_versions, p_event_ids, p_types, p_schema_versions,
                      p_payloads, p_metadata, v_nows, v_hashes)
               WITH ORDINALITY AS e(stream_id, category, version, event_id, type, schema_version,
                                    payload, metadata, recorded_at, hash, i)
         WHERE e.version IS NOT NULL
         ORDER BY e.i
        RETURNING position
    )
    SELECT array_agg(position ORDER BY position) INTO v_positions FROM inserted;

    FOR a IN 1 .. v_appends LOOP
        IF statuses[a] = 0 THEN
            v_n := p_counts[a];
            first_positions[a] := v_positions[v_k + 1];
            last_positions[a] := v_positions[v_k + v_n];
            v_k := v_k + v_n;
        END IF;
    END LOOP;
END
$$;

-- The single-event append of schema version 4, kept for its clients (V4); the store of today
-- sends the single statement of AppendSql instead. Anything but one event at the version of an
-- existing stream it hands to append_events, so both answer alike.
CREATE FUNCTION ${schema}.append_event(p_stream_id text, p_category text, p_expected bigint,
        p_event_id uuid, p_type text, p_schema_version integer, p_payload jsonb, p_metadata jsonb,
        p_digest bytea,
        OUT status integer, OUT actual_version bigint, OUT first_version bigint,
        OUT first_position bigint, OUT last_position bigint)
    RETURNS record LANGUAGE plpgsql AS $$
DECLARE
    v_now  timestamptz;
    v_hash bytea;
BEGIN
    -- The queue of append_events, which relies on every writer of a stream taking it.
    PERFORM pg_advisory_xact_lock(hashtextextended('annals.stream:' || p_stream_id, 0));
    -- The fence, as in append_events (which answers when this update finds nothing).
    PERFORM pg_advisory_xact_lock_shared(hashtextextended('annals.append:${schema}', 0));
    -- Taken under the stream lock, so recorded-at times never go back within a stream.
    v_now := clock_timestamp();
    -- The link is chain_hash() written out; a stream at version 1 or later has a head hash.
    UPDATE ${schema}.streams
       SET version = p_expected + 1,
           head_hash = sha256(head_hash || p_digest || int8send(p_expected + 1) || timestamptz_send(v_now)),
           last_xid = pg_current_xact_id()
     WHERE stream_id = p_stream_id AND p_expected >= 1 AND version = p_expected
       AND last_xid <= pg_current_xact_id()
       AND pg_current_xact_id() >= (SELECT CAST(CAST(f.last_value AS text) AS xid8) FROM ${schema}.append_fence f)
    RETURNING head_hash INTO v_hash;
    IF NOT FOUND THEN
        SELECT a.status, a.actual_version, a.first_version, a.first_position, a.last_position
          INTO status, actual_version, first_version, first_position, last_position
          FROM ${schema}.append_events(p_stream_id, p_category, p_expected, ARRAY[p_event_id],
               ARRAY[p_type], ARRAY[p_schema_version], ARRAY[p_payload], ARRAY[p_metadata],
               ARRAY[p_digest]) a;
        RETURN;
    END IF;
    INSERT INTO ${schema}.events (stream_id, category, version, event_id, type,
                                  schema_version, payload, metadata, recorded_at, hash)
         VALUES (p_stream_id, p_category, p_expected + 1, p_event_id, p_type,
                 p_schema_version, p_payload, p_metadata, v_now, v_hash)
      RETURNING 0, p_expected + 1, p_expected + 1, position, position
           INTO status, actual_version, first_version, first_position, last_position;
END
$$;

-- Recovery after a dump and restore into another cluster (V2; see docs/postgres.md): gives every
-- stored event the transaction id 1. Run it with writers stopped, after every projector caught up.
CREATE FUNCTION ${schema}.rebase_transaction_ids() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_rows bigint;
BEGIN
    LOCK TABLE ${schema}.events IN EXCLUSIVE MODE;
    LOCK TABLE ${schema}.streams IN EXCLUSIVE MODE;
    ALTER TABLE ${schema}.events DISABLE TRIGGER events_append_only;
    UPDATE ${schema}.events SET transaction_id = '1' WHERE transaction_id <> '1';
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    UPDATE ${schema}.streams SET last_xid = '1' WHERE last_xid <> '1';
    -- The fence held the old cluster's ids: it would refuse every append in this one.
    PERFORM setval('${schema}.append_fence', 0);
    UPDATE ${schema}.log_horizon SET fence = '0', advanced_at = clock_timestamp();
    ALTER TABLE ${schema}.events ENABLE TRIGGER events_append_only;
    RETURN v_rows;
END
$$;

-- Events are never changed or removed in place; only archive_stream() removes the events of the
-- stream it archives (V10).
CREATE FUNCTION ${schema}.reject_event_change() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON ${schema}.events
    FOR EACH ROW EXECUTE FUNCTION ${schema}.reject_event_change();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON ${schema}.events
    FOR EACH STATEMENT EXECUTE FUNCTION ${schema}.reject_event_change();

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
