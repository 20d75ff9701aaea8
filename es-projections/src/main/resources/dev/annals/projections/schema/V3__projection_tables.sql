-- Annals projections, schema version 3: the tables each projector version was handed.
-- ${schema} is the event store's schema (see V1__projections.sql).

-- Setup records every physical table name TableContext.table(...) handed out, in the setup's
-- transaction, so that a retired version's tables can later be dropped by name
-- (ProjectionRunner.dropRetiredTables) without guessing from the code of another version.
-- Versions set up before this script have no rows here: their tables are never dropped for them.
CREATE TABLE ${schema}.projection_tables (
    projector         text    NOT NULL,
    projector_version integer NOT NULL CHECK (projector_version >= 1),
    table_name        text    NOT NULL,
    PRIMARY KEY (projector, projector_version, table_name)
);
