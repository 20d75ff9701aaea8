-- Annals event store, schema version 4: cheaper appends.
--
-- 1. append_events reads a batch's arrays with one unnest instead of one subscript per array
--    and event: measured 7 to 25% less server time per event in 100-event appends.
-- 2. append_event takes the commonest append, one event at the version the command loaded,
--    with three statements instead of append_events' four and few PL/pgSQL expressions (which
--    PL/pgSQL sets up again in every transaction): one update of the stream row checks the
--    expected version and the transaction order and computes the hash-chain link. Anything else
--    (a new stream, another expectation, a conflict) it hands to append_events, so both answer
--    alike.
CREATE OR REPLACE FUNCTION ${schema}.append_events(p_stream_id text, p_category text, p_expected bigint,
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
    -- Every writer of a stream takes this lock, so the stream row needs no row lock of its own.
    PERFORM pg_advisory_xact_lock(hashtextextended('annals.stream:' || p_stream_id, 0));
    SELECT s.version, s.head_hash, s.last_xid INTO v_version, v_head, v_last_xid
      FROM ${schema}.streams s WHERE s.stream_id = p_stream_id;
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
    -- Taken under the stream lock, so recorded-at times never go back within a stream.
    v_now := clock_timestamp();
    -- The link is chain_hash() written out; a stream at version 1 or later has a head hash.
    UPDATE ${schema}.streams
       SET version = p_expected + 1,
           head_hash = sha256(head_hash || p_digest || int8send(p_expected + 1) || timestamptz_send(v_now)),
           last_xid = pg_current_xact_id()
     WHERE stream_id = p_stream_id AND p_expected >= 1 AND version = p_expected
       AND last_xid <= pg_current_xact_id()
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
