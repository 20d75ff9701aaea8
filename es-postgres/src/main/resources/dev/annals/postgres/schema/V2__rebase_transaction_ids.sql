-- Annals event store, schema version 2: recovery after a dump and restore into another cluster.
--
-- Transaction ids belong to one cluster. Restored events keep the ids of the old cluster, which
-- can be ahead of the new cluster's counter; new events would then sort before them and readers
-- would miss them. The exact remedy is to start the new cluster in a later transaction id epoch
-- (pg_resetwal -e, as pg_upgrade does). Where that is impossible (managed databases), this
-- function gives every stored event the transaction id 1, so the log is ordered by position,
-- which is a valid gap-free order because nothing is in flight. Run it with writers stopped,
-- after every projector had caught up, then move each checkpoint to (1, head position).
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
    ALTER TABLE ${schema}.events ENABLE TRIGGER events_append_only;
    RETURN v_rows;
END
$$;
