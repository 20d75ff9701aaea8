-- Annals projections, schema version 2: the nodes that run each projector version.
-- ${schema} is the event store's schema (see V1__projections.sql).

-- Every runner renews its row for each projector version it runs, several times per lease; a
-- row whose alive_until has passed is a node that stopped or died. The live rows, ordered by
-- node, decide how many partitions each node takes (docs/projections.md, "Several nodes").
CREATE TABLE ${schema}.projection_members (
    projector         text        NOT NULL,
    projector_version integer     NOT NULL CHECK (projector_version >= 1),
    node_id           text        NOT NULL,
    alive_until       timestamptz NOT NULL,
    PRIMARY KEY (projector, projector_version, node_id)
);
