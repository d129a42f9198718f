-- The broker's database roles, as a DBA creates them before the first migration
-- (docs/operations.md, "Database roles"): the NOLOGIN group role broker_runtime, which the
-- migrations grant exactly what the broker's processes need, and a LOGIN role that the gateways
-- and workers connect as (DATABASE_URL), a member of it. Idempotent: run it again at will.
--
--   psql -v ON_ERROR_STOP=1 -h HOST -U SUPERUSER -d postgres -f scripts/db-roles.sql
--
-- The login role's name comes from DB_RUNTIME_ROLE (default broker_app) and its password from
-- DB_RUNTIME_PASSWORD, both read from the environment (psql 15 or later); without a password
-- the role can sign in only where pg_hba.conf trusts it (a development machine).
\set runtime_login broker_app
\getenv runtime_login DB_RUNTIME_ROLE
\getenv runtime_password DB_RUNTIME_PASSWORD

SELECT 'CREATE ROLE broker_runtime NOLOGIN'
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'broker_runtime') \gexec

SELECT format('CREATE ROLE %I LOGIN', :'runtime_login')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'runtime_login') \gexec

SELECT format('GRANT broker_runtime TO %I', :'runtime_login')
WHERE NOT pg_has_role(:'runtime_login', 'broker_runtime', 'MEMBER') \gexec

\if :{?runtime_password}
SELECT format('ALTER ROLE %I PASSWORD %L', :'runtime_login', :'runtime_password') \gexec
\endif
