import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Batch jobs (asynchronous and bulk fetches). PostgreSQL holds each job's truth: which items
 * exist, which were released, refused or failed; Redis only carries the work to be done and
 * can lose it (docs/adr/0004-batch-jobs-postgresql-truth.md). Results are AES-256-GCM
 * ciphertexts, deleted with their job after the retention time.
 */
export class BatchJobs1764100000000 implements MigrationInterface {
  name = 'BatchJobs1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE batch_job (
        id               uuid        PRIMARY KEY,
        member_id        text        NOT NULL,
        purpose          text        NOT NULL,
        items            text[]      NOT NULL,
        idempotency_key  text,
        request_hash     char(64)    NOT NULL,
        state            text        NOT NULL CHECK (state IN ('QUEUED', 'RUNNING', 'COMPLETED', 'FAILED')),
        total            integer     NOT NULL CHECK (total > 0),
        succeeded        integer     NOT NULL DEFAULT 0,
        refused          integer     NOT NULL DEFAULT 0,
        failed           integer     NOT NULL DEFAULT 0,
        chunk_size       integer     NOT NULL CHECK (chunk_size > 0),
        correlation_id   text        NOT NULL,
        created_at       timestamptz NOT NULL DEFAULT now(),
        started_at       timestamptz,
        completed_at     timestamptz,
        purge_after      timestamptz,
        CHECK (succeeded + refused + failed <= total),
        UNIQUE (member_id, idempotency_key)
      )`);
    await q.query(
      `CREATE INDEX batch_job_open ON batch_job (member_id) WHERE state IN ('QUEUED', 'RUNNING')`,
    );
    await q.query(`CREATE INDEX batch_job_purge ON batch_job (purge_after) WHERE purge_after IS NOT NULL`);
    await q.query(`
      CREATE TABLE batch_item (
        job_id         uuid        NOT NULL REFERENCES batch_job (id) ON DELETE CASCADE,
        idx            integer     NOT NULL CHECK (idx >= 0),
        matricule      text        NOT NULL,
        state          text        NOT NULL CHECK (state IN ('PENDING', 'RELEASED', 'REFUSED', 'FAILED')),
        consent        jsonb,
        attempts       integer     NOT NULL DEFAULT 0,
        error_code     text,
        error_message  text,
        result         bytea,
        log_seq        bigint,
        settled_at     timestamptz,
        PRIMARY KEY (job_id, idx),
        CHECK ((state = 'RELEASED') = (result IS NOT NULL)),
        CHECK ((state = 'PENDING') = (settled_at IS NULL))
      )`);
    await q.query(`CREATE INDEX batch_item_pending ON batch_item (job_id, idx) WHERE state = 'PENDING'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE batch_item`);
    await q.query(`DROP TABLE batch_job`);
  }
}
