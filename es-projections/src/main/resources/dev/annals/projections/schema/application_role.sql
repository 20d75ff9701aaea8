-- Annals projections: what the application role ${role} may do in schema ${schema}.
--
-- Run by the owner of the projection tables after the V*.sql migrations and again after every
-- upgrade, next to the event store's application_role.sql; ProjectionSchema.grantApplicationRole
-- runs it. Idempotent: it first takes back what it grants, so it leaves exactly this.
--
-- Projectors move their checkpoints, park dead letters and switch versions. They also create
-- their read-model tables and the views over them at run time, so the role may create objects
-- in the schema; it owns those, and nothing of the event store or of these tables.

DO $$
BEGIN
    IF NOT pg_has_role(current_user,
            (SELECT relowner FROM pg_class WHERE oid = '${schema}.projection_checkpoints'::regclass), 'USAGE') THEN
        RAISE EXCEPTION 'only the owner of ${schema}.projection_checkpoints can grant access to it, not %',
            current_user USING ERRCODE = 'insufficient_privilege';
    END IF;
END
$$;

GRANT USAGE, CREATE ON SCHEMA ${schema} TO ${role};

REVOKE ALL ON TABLE ${schema}.projection_checkpoints, ${schema}.projection_dead_letters,
    ${schema}.projection_versions, ${schema}.projection_members, ${schema}.projection_tables,
    ${schema}.projection_schema_version FROM PUBLIC, ${role};
GRANT SELECT, INSERT, UPDATE ON TABLE ${schema}.projection_checkpoints,
    ${schema}.projection_dead_letters, ${schema}.projection_versions TO ${role};
GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE ${schema}.projection_members TO ${role};
GRANT SELECT, INSERT, DELETE ON TABLE ${schema}.projection_tables TO ${role};
GRANT SELECT ON TABLE ${schema}.projection_schema_version TO ${role};
