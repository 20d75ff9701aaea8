-- Annals messaging: what the application role ${role} may do in schema ${schema}.
--
-- Run by the owner of the messaging tables after the V*.sql migrations and again after every
-- upgrade, next to the event store's and the projections' application_role.sql;
-- MessagingSchema.grantApplicationRole runs it. Idempotent: it first takes back what it
-- grants, so it leaves exactly this. The publisher needs nothing here: it is a projector.

DO $$
BEGIN
    IF NOT pg_has_role(current_user,
            (SELECT relowner FROM pg_class WHERE oid = '${schema}.inbox'::regclass), 'USAGE') THEN
        RAISE EXCEPTION 'only the owner of ${schema}.inbox can grant access to it, not %', current_user
            USING ERRCODE = 'insufficient_privilege';
    END IF;
END
$$;

GRANT USAGE ON SCHEMA ${schema} TO ${role};

REVOKE ALL ON TABLE ${schema}.inbox, ${schema}.inbox_dead_letters, ${schema}.webhook_subscriptions,
    ${schema}.webhook_deliveries, ${schema}.payload_schemas, ${schema}.messaging_schema_version
    FROM PUBLIC, ${role};
-- Inbox rows are forgotten after a while, dead letters discarded once dealt with.
GRANT SELECT, INSERT, DELETE ON TABLE ${schema}.inbox, ${schema}.inbox_dead_letters TO ${role};
-- Subscriptions are managed by the application; deliveries are queued and removed once done.
GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE ${schema}.webhook_subscriptions,
    ${schema}.webhook_deliveries TO ${role};
-- Payload schemas are registered at start-up and never changed or removed.
GRANT SELECT, INSERT ON TABLE ${schema}.payload_schemas TO ${role};
GRANT SELECT ON TABLE ${schema}.messaging_schema_version TO ${role};
