import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The access log: one hash-chained row per decision, partitioned by month of `occurred_at`
 * (a national broker logs billions of rows; old months are detached and archived whole).
 * `access_log_head` holds the chain's last (seq, hash): appenders lock it to take the next
 * place, which makes one order across any number of gateway instances (docs/adr/0002).
 */
export class CreateAccessLog1763900000000 implements MigrationInterface {
  name = 'CreateAccessLog1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE access_log (
        seq             bigint      NOT NULL,
        occurred_at     timestamptz NOT NULL,
        channel         text        NOT NULL CHECK (channel IN ('sync', 'async', 'self')),
        member_id       text        NOT NULL,
        purpose         text,
        consent_issuer  text,
        consent_jti     text,
        subject         text,
        items_requested text[]      NOT NULL,
        items_disclosed text[]      NOT NULL,
        outcome         text        NOT NULL CHECK (outcome IN ('DISCLOSED', 'REFUSED')),
        reason_code     text,
        source          text,
        correlation_id  text        NOT NULL,
        job_id          text,
        prev_hash       char(64)    NOT NULL,
        hash            char(64)    NOT NULL,
        PRIMARY KEY (seq, occurred_at)
      ) PARTITION BY RANGE (occurred_at)`);
    await q.query(`CREATE TABLE access_log_default PARTITION OF access_log DEFAULT`);
    await q.query(`CREATE INDEX access_log_seq_idx ON access_log (seq)`);
    await q.query(`CREATE INDEX access_log_correlation_idx ON access_log (correlation_id)`);
    await q.query(`CREATE INDEX access_log_subject_idx ON access_log (subject, occurred_at)`);
    await q.query(`CREATE INDEX access_log_member_idx ON access_log (member_id, occurred_at)`);
    await q.query(`CREATE INDEX access_log_job_idx ON access_log (job_id) WHERE job_id IS NOT NULL`);
    await q.query(`
      CREATE TABLE access_log_head (
        id         smallint    PRIMARY KEY CHECK (id = 1),
        seq        bigint      NOT NULL,
        hash       char(64)    NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
    await q.query(
      `INSERT INTO access_log_head (id, seq, hash, updated_at) VALUES (1, 0, repeat('0', 64), now())`,
    );
    // Append-only: the application never updates or deletes; a superuser still can, which is
    // why the chain (and, later, signed checkpoints) exists.
    await q.query(`
      CREATE FUNCTION access_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'access_log is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`
      CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE ON access_log
      FOR EACH ROW EXECUTE FUNCTION access_log_refuse_change()`);
    await q.query(`
      CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_log
      FOR EACH STATEMENT EXECUTE FUNCTION access_log_refuse_change()`);
    // TRUNCATE triggers do not propagate to partitions: each partition gets its own
    await q.query(`
      CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_log_default
      FOR EACH STATEMENT EXECUTE FUNCTION access_log_refuse_change()`);
    // month bounds are UTC midnights whatever the session's time zone
    await q.query(`
      CREATE FUNCTION access_log_ensure_month(p_day date) RETURNS void LANGUAGE plpgsql AS $$
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
        END IF;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE access_log`);
    await q.query(`DROP TABLE access_log_head`);
    await q.query(`DROP FUNCTION access_log_refuse_change()`);
    await q.query(`DROP FUNCTION access_log_ensure_month(date)`);
  }
}
