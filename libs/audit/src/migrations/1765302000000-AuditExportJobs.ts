import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Auditor export jobs. PostgreSQL holds each job's truth: whose it is, its filter and cut, its
 * state and progress, and the exact names of the files the broker wrote for it (clean-up deletes
 * those names and nothing else). Redis only carries the job id: a job's filter is never read
 * from the queue.
 */
export class AuditExportJobs1765302000000 implements MigrationInterface {
  name = 'AuditExportJobs1765302000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_export_job (
        id              uuid        PRIMARY KEY,
        auditor_id      text        NOT NULL,
        auditor         jsonb       NOT NULL,
        filter          jsonb       NOT NULL,
        format          text        NOT NULL CHECK (format IN ('ndjson', 'csv')),
        head_seq        bigint      NOT NULL,
        correlation_id  text        NOT NULL,
        state           text        NOT NULL DEFAULT 'QUEUED'
                                    CHECK (state IN ('QUEUED', 'RUNNING', 'COMPLETED', 'FAILED')),
        rows_written    integer     NOT NULL DEFAULT 0,
        rows_total      integer,
        failed_reason   text,
        files           text[]      NOT NULL DEFAULT '{}',
        created_at      timestamptz NOT NULL DEFAULT now(),
        finished_at     timestamptz,
        expires_at      timestamptz
      )`);
    await q.query(`CREATE INDEX audit_export_job_auditor ON audit_export_job (auditor_id)`);
    await q.query(
      `CREATE INDEX audit_export_job_expiry ON audit_export_job (expires_at) WHERE cardinality(files) > 0`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE audit_export_job');
  }
}
