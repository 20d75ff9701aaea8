-- Annals event store, schema version 3: one index less on the append path.
--
-- The gap-safe reader takes its order from the (transaction_id, position) index and never sorts,
-- so the (category, position) index only served rare reads of one category by position
-- (readAll with a category filter, verifying one category), while every append paid for it:
-- about a tenth of the server time of a 100-event append. Those reads now filter a scan instead.
DROP INDEX IF EXISTS ${schema}.events_category_position;
