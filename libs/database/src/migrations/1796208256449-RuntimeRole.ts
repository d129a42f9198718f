import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Least privilege (docs/operations.md, "Database roles"): the broker's processes connect as a
 * member of the NOLOGIN group role `broker_runtime`, which may append to the access log but not
 * update, delete, truncate or alter it; only the tables' owner (who runs migrations) or a
 * superuser can, and only they can disable a trigger. The role is created here when the migrator
 * may create roles (development: a superuser); in production the DBA creates it beforehand, and
 * without it the grants are skipped with a notice rather than failing the migration.
 */
export class RuntimeRole1796208256449 implements MigrationInterface {
  name = 'RuntimeRole1796208256449';

  async up(q: QueryRunner): Promise<void> {
    // roles are cluster-wide: another database's migration may be creating it at the same moment
    await q.query(`
      DO $$
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'broker_runtime') THEN
          BEGIN
            CREATE ROLE broker_runtime NOLOGIN;
          EXCEPTION
            WHEN duplicate_object OR unique_violation THEN NULL;
            WHEN insufficient_privilege THEN
              RAISE NOTICE 'role broker_runtime is missing and % may not create it (docs/operations.md)', current_user;
          END;
        END IF;
      END $$`);

    // The runtime role cannot create a partition of a table it does not own: the monthly
    // partitions are created by this function on the owner's rights, under a fixed search_path
    // (the schema of the log, then pg_temp last, so that no object of the caller is found first).
    // A new partition is reached only through access_log: the runtime gets no rights on it.
    await q.query(`
      CREATE OR REPLACE FUNCTION access_log_ensure_month(p_day date) RETURNS void LANGUAGE plpgsql AS $$
      DECLARE
        m_start date := date_trunc('month', p_day)::date;
        m_name  text := 'access_log_' || to_char(m_start, 'YYYY_MM');
      BEGIN
        PERFORM pg_advisory_xact_lock(hashtext('access_log_partitions'));
        IF to_regclass(m_name) IS NULL THEN
          EXECUTE format('CREATE TABLE %I PARTITION OF access_log FOR VALUES FROM (%L) TO (%L)',
                         m_name,
                         (m_start::timestamp AT TIME ZONE 'UTC'),
                         ((m_start + interval '1 month')::timestamp AT TIME ZONE 'UTC'));
          EXECUTE format('CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON %I
                          FOR EACH STATEMENT EXECUTE FUNCTION access_log_refuse_change()', m_name);
          IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'broker_runtime') THEN
            EXECUTE format('REVOKE ALL ON %I FROM broker_runtime', m_name);
          END IF;
        END IF;
      END $$`);
    await q.query(`
      DO $$
      BEGIN
        EXECUTE format('ALTER FUNCTION access_log_ensure_month(date) SECURITY DEFINER SET search_path = %I, pg_temp',
                       current_schema());
      END $$`);
    await q.query(`REVOKE ALL ON FUNCTION access_log_ensure_month(date) FROM PUBLIC`);

    // The appender must move the head; it must never move it back (a rollback would let the next
    // entries overwrite history that witnesses may not have seen yet). Only the owner or a
    // superuser can disable this trigger.
    await q.query(`
      CREATE FUNCTION access_log_head_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.id <> OLD.id OR NEW.seq < OLD.seq THEN
          RAISE EXCEPTION 'access_log_head only moves forward (% to %)', OLD.seq, NEW.seq
            USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE TRIGGER access_log_head_forward_only BEFORE UPDATE ON access_log_head
      FOR EACH ROW EXECUTE FUNCTION access_log_head_forward_only()`);

    // What the repositories' SQL needs, and nothing more (docs/operations.md lists it by table).
    await q.query(`
      DO $$
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'broker_runtime') THEN
          RAISE NOTICE 'role broker_runtime is missing: no grants made (docs/operations.md)';
          RETURN;
        END IF;
        EXECUTE format('GRANT USAGE ON SCHEMA %I TO broker_runtime', current_schema());
        GRANT SELECT, INSERT ON access_log TO broker_runtime;
        GRANT SELECT, UPDATE (seq, hash, updated_at) ON access_log_head TO broker_runtime;
        GRANT SELECT, INSERT ON access_log_checkpoint TO broker_runtime;
        GRANT SELECT, INSERT ON access_report TO broker_runtime;
        GRANT USAGE ON SEQUENCE access_report_id_seq TO broker_runtime;
        GRANT SELECT, INSERT, UPDATE (last_used_at) ON consent_record TO broker_runtime;
        GRANT SELECT, INSERT ON consent_revocation TO broker_runtime;
        GRANT SELECT, INSERT, UPDATE, DELETE ON batch_job, batch_item TO broker_runtime;
        GRANT SELECT, INSERT, UPDATE ON audit_export_job TO broker_runtime;
        GRANT SELECT ON schema_migrations TO broker_runtime;
        GRANT EXECUTE ON FUNCTION access_log_ensure_month(date) TO broker_runtime;
        -- tables the owner creates later: read and append only; a migration that needs more
        -- for its table grants it there, so that a new table is append-only unless it says otherwise
        ALTER DEFAULT PRIVILEGES GRANT SELECT, INSERT ON TABLES TO broker_runtime;
        ALTER DEFAULT PRIVILEGES GRANT USAGE, SELECT ON SEQUENCES TO broker_runtime;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DO $$
      BEGIN
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'broker_runtime') THEN
          ALTER DEFAULT PRIVILEGES REVOKE ALL ON TABLES FROM broker_runtime;
          ALTER DEFAULT PRIVILEGES REVOKE ALL ON SEQUENCES FROM broker_runtime;
          REVOKE ALL ON access_log, access_log_head, access_log_checkpoint, access_report, consent_record,
            consent_revocation, batch_job, batch_item, audit_export_job, schema_migrations FROM broker_runtime;
          REVOKE ALL ON SEQUENCE access_report_id_seq FROM broker_runtime;
          REVOKE ALL ON FUNCTION access_log_ensure_month(date) FROM broker_runtime;
          EXECUTE format('REVOKE USAGE ON SCHEMA %I FROM broker_runtime', current_schema());
        END IF;
      END $$`);
    await q.query(`DROP TRIGGER access_log_head_forward_only ON access_log_head`);
    await q.query(`DROP FUNCTION access_log_head_forward_only()`);
    await q.query(`ALTER FUNCTION access_log_ensure_month(date) SECURITY INVOKER RESET search_path`);
    await q.query(`GRANT EXECUTE ON FUNCTION access_log_ensure_month(date) TO PUBLIC`);
  }
}
