-- Annals event store, schema version 4: a shorter path for the commonest append.
--
-- Most commands append one event at the version they loaded. This function does that with three
-- statements instead of append_events' four, and with few PL/pgSQL expressions, which PL/pgSQL
-- sets up again in every transaction: one update of the stream row checks the expected version
-- and the transaction order and computes the hash-chain link. Anything else (a new stream,
-- another expectation, a conflict) goes to append_events, which gives the exact answer, so both
-- functions answer alike.
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
