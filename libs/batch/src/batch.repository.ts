import type { DataSource, QueryRunner } from 'typeorm';
import { withTransaction } from '@broker/database';
import type { DataItem } from '@broker/data-items';
import { ErrorCode } from '@broker/errors';
import type { BatchItemState, BatchJobView, BatchState, StoredConsent } from './batch.types';

interface JobRow {
  id: string;
  member_id: string;
  purpose: string;
  items: DataItem[];
  state: BatchState;
  total: number;
  succeeded: number;
  refused: number;
  failed: number;
  chunk_size: number;
  correlation_id: string;
  request_hash: string;
  created_at: Date;
  started_at: Date | null;
  completed_at: Date | null;
  purge_after: Date | null;
}

export interface StoredJob extends BatchJobView {
  chunkSize: number;
  correlationId: string;
  requestHash: string;
}

export interface NewItem {
  index: number;
  matricule: string;
  state: 'PENDING' | 'REFUSED';
  consent: Partial<StoredConsent> | null;
  errorCode: string | null;
  errorMessage: string | null;
}

export interface PendingItem {
  index: number;
  matricule: string;
  consent: StoredConsent;
  attempts: number;
}

/** How an item settles (or not) in one processing round. */
export type ItemSettlement =
  | { index: number; state: 'RELEASED'; result: Buffer }
  | { index: number; state: 'REFUSED' | 'FAILED'; code: string; message: string }
  | { index: number; state: 'PENDING'; message: string };

export interface ResultRow {
  index: number;
  matricule: string;
  state: BatchItemState;
  result: Buffer | null;
  errorCode: string | null;
  errorMessage: string | null;
  /** When the item's consent expires (seconds since the epoch), if it has one. */
  consentExp: number | null;
}

/** What a member reads in place of a result purged because its consent was withdrawn or expired. */
export const PURGED_MESSAGE = 'The consent was withdrawn or has expired: the result was deleted.';

const JOB_COLUMNS = `id, member_id, purpose, items, state, total, succeeded, refused, failed, chunk_size,
  correlation_id, request_hash, created_at, started_at, completed_at, purge_after`;

function toJob(r: JobRow): StoredJob {
  return {
    id: r.id,
    memberId: r.member_id,
    purpose: r.purpose,
    items: r.items,
    state: r.state,
    total: r.total,
    succeeded: r.succeeded,
    refused: r.refused,
    failed: r.failed,
    chunkSize: r.chunk_size,
    correlationId: r.correlation_id,
    requestHash: r.request_hash,
    createdAt: r.created_at,
    startedAt: r.started_at,
    completedAt: r.completed_at,
    purgeAfter: r.purge_after,
  };
}

/**
 * Rows of an UPDATE/DELETE … RETURNING: TypeORM's postgres driver answers those with
 * `[rows, affectedCount]` rather than the rows themselves.
 */
function returned<T>(result: unknown): T[] {
  if (
    Array.isArray(result) &&
    result.length === 2 &&
    Array.isArray(result[0]) &&
    typeof result[1] === 'number'
  )
    return result[0] as T[];
  return result as T[];
}

/** SQL of batch jobs and items (PostgreSQL is the truth of every job). */
export class BatchRepository {
  constructor(readonly ds: DataSource) {}

  async findJob(id: string, q?: QueryRunner): Promise<StoredJob | null> {
    const rows: JobRow[] = await (q ?? this.ds).query(`SELECT ${JOB_COLUMNS} FROM batch_job WHERE id = $1`, [
      id,
    ]);
    return rows[0] ? toJob(rows[0]) : null;
  }

  async findByIdempotencyKey(
    q: QueryRunner | undefined,
    memberId: string,
    key: string,
  ): Promise<StoredJob | null> {
    const rows: JobRow[] = await (q ?? this.ds).query(
      `SELECT ${JOB_COLUMNS} FROM batch_job WHERE member_id = $1 AND idempotency_key = $2`,
      [memberId, key],
    );
    return rows[0] ? toJob(rows[0]) : null;
  }

  /** Serialises submissions of one member (in-flight limit, idempotency) until the transaction ends. */
  async lockMember(q: QueryRunner, memberId: string): Promise<void> {
    await q.query(`SELECT pg_advisory_xact_lock(hashtextextended('batch-member:' || $1, 0))`, [memberId]);
  }

  async countOpenJobs(q: QueryRunner, memberId: string): Promise<number> {
    const rows: { n: string }[] = await q.query(
      `SELECT count(*) AS n FROM batch_job WHERE member_id = $1 AND state IN ('QUEUED', 'RUNNING')`,
      [memberId],
    );
    return Number(rows[0].n);
  }

  async insertJob(
    q: QueryRunner,
    job: {
      id: string;
      memberId: string;
      purpose: string;
      items: DataItem[];
      idempotencyKey: string | null;
      requestHash: string;
      total: number;
      refused: number;
      chunkSize: number;
      correlationId: string;
      completed: boolean;
      retentionS: number;
    },
  ): Promise<void> {
    await q.query(
      `INSERT INTO batch_job (id, member_id, purpose, items, idempotency_key, request_hash, state, total, refused,
         chunk_size, correlation_id, completed_at, purge_after)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,
         CASE WHEN $12::boolean THEN now() END,
         CASE WHEN $12::boolean THEN now() + make_interval(secs => $13) END)`,
      [
        job.id,
        job.memberId,
        job.purpose,
        job.items,
        job.idempotencyKey,
        job.requestHash,
        job.completed ? 'COMPLETED' : 'QUEUED',
        job.total,
        job.refused,
        job.chunkSize,
        job.correlationId,
        job.completed,
        job.retentionS,
      ],
    );
  }

  /**
   * Inserts items with unnest, one statement per 1,000 items: building a statement's parameters
   * blocks the event loop, and a smaller one lets the synchronous path in between.
   */
  async insertItems(q: QueryRunner, jobId: string, items: readonly NewItem[]): Promise<void> {
    for (let i = 0; i < items.length; i += 1000) {
      const slice = items.slice(i, i + 1000);
      await q.query(
        `INSERT INTO batch_item (job_id, idx, matricule, state, consent, error_code, error_message, settled_at)
         SELECT $1, t.idx, t.matricule, t.state, t.consent, t.code, t.message,
                CASE WHEN t.state = 'PENDING' THEN NULL ELSE now() END
         FROM unnest($2::int[], $3::text[], $4::text[], $5::jsonb[], $6::text[], $7::text[])
           AS t(idx, matricule, state, consent, code, message)`,
        [
          jobId,
          slice.map((x) => x.index),
          slice.map((x) => x.matricule),
          slice.map((x) => x.state),
          slice.map((x) => (x.consent ? JSON.stringify(x.consent) : null)),
          slice.map((x) => x.errorCode),
          slice.map((x) => x.errorMessage),
        ],
      );
    }
  }

  /** The chunks of a job that still hold pending items. */
  async pendingChunks(jobId: string, chunkSize: number): Promise<number[]> {
    const rows: { chunk: number }[] = await this.ds.query(
      `SELECT DISTINCT idx / $2 AS chunk FROM batch_item WHERE job_id = $1 AND state = 'PENDING' ORDER BY 1`,
      [jobId, chunkSize],
    );
    return rows.map((r) => Number(r.chunk));
  }

  /** Jobs not yet settled (QUEUED or RUNNING), oldest first. */
  async openJobs(limit = 1000): Promise<{ id: string; chunkSize: number }[]> {
    const rows: { id: string; chunk_size: number }[] = await this.ds.query(
      `SELECT id, chunk_size FROM batch_job WHERE state IN ('QUEUED', 'RUNNING') ORDER BY created_at LIMIT $1`,
      [limit],
    );
    return rows.map((r) => ({ id: r.id, chunkSize: r.chunk_size }));
  }

  async pendingItems(jobId: string, from: number, to: number): Promise<PendingItem[]> {
    const rows: { idx: number; matricule: string; consent: StoredConsent; attempts: number }[] =
      await this.ds.query(
        `SELECT idx, matricule, consent, attempts FROM batch_item
         WHERE job_id = $1 AND idx >= $2 AND idx < $3 AND state = 'PENDING' ORDER BY idx`,
        [jobId, from, to],
      );
    return rows.map((r) => ({
      index: r.idx,
      matricule: r.matricule,
      consent: r.consent,
      attempts: r.attempts,
    }));
  }

  async markRunning(jobId: string): Promise<void> {
    await this.ds.query(
      `UPDATE batch_job SET state = 'RUNNING', started_at = now() WHERE id = $1 AND state = 'QUEUED'`,
      [jobId],
    );
  }

  /**
   * Locks the given items of a job that are still PENDING (FOR UPDATE), inside `q`: of two
   * processes handling the same chunk, the second waits here and then finds them settled.
   */
  async lockPending(q: QueryRunner, jobId: string, indexes: number[]): Promise<Set<number>> {
    const rows: { idx: number }[] = await q.query(
      `SELECT idx FROM batch_item WHERE job_id = $1 AND idx = ANY($2::int[]) AND state = 'PENDING'
       ORDER BY idx FOR UPDATE`,
      [jobId, indexes],
    );
    return new Set(rows.map((r) => r.idx));
  }

  /** Writes the settlements (and attempt counts) of one round and moves the job's counters, inside `q`. */
  async applySettlements(q: QueryRunner, jobId: string, settled: readonly ItemSettlement[]): Promise<void> {
    const final = settled.filter((s) => s.state !== 'PENDING');
    const retry = settled.filter((s) => s.state === 'PENDING');
    if (final.length) {
      await q.query(
        `UPDATE batch_item AS b SET state = t.state, result = t.result, error_code = t.code,
           error_message = t.message, settled_at = now(), attempts = b.attempts + 1
         FROM unnest($2::int[], $3::text[], $4::bytea[], $5::text[], $6::text[])
           AS t(idx, state, result, code, message)
         WHERE b.job_id = $1 AND b.idx = t.idx`,
        [
          jobId,
          final.map((s) => s.index),
          final.map((s) => s.state),
          final.map((s) => (s.state === 'RELEASED' ? s.result : null)),
          final.map((s) => (s.state === 'RELEASED' ? null : s.code)),
          final.map((s) => (s.state === 'RELEASED' ? null : s.message)),
        ],
      );
    }
    if (retry.length) {
      await q.query(
        `UPDATE batch_item AS b SET attempts = b.attempts + 1, error_message = t.message
         FROM unnest($2::int[], $3::text[]) AS t(idx, message) WHERE b.job_id = $1 AND b.idx = t.idx`,
        [jobId, retry.map((s) => s.index), retry.map((s) => s.message)],
      );
    }
    const count = (st: string): number => final.filter((s) => s.state === st).length;
    if (final.length) {
      await q.query(
        `UPDATE batch_job SET succeeded = succeeded + $2, refused = refused + $3, failed = failed + $4
         WHERE id = $1`,
        [jobId, count('RELEASED'), count('REFUSED'), count('FAILED')],
      );
    }
  }

  /** Points settled items at their access-log entries (batch_item.log_seq), inside `q`. */
  async setLogSeqs(
    q: QueryRunner,
    jobId: string,
    refs: readonly { index: number; seq: string }[],
  ): Promise<void> {
    if (refs.length === 0) return;
    await q.query(
      `UPDATE batch_item AS b SET log_seq = t.seq
       FROM unnest($2::int[], $3::bigint[]) AS t(idx, seq) WHERE b.job_id = $1 AND b.idx = t.idx`,
      [jobId, refs.map((r) => r.index), refs.map((r) => r.seq)],
    );
  }

  /**
   * Settles the job when no item is pending any more: COMPLETED, or FAILED when source failures
   * left nothing released. Returns the new state, or null when items remain.
   */
  async finishIfDone(jobId: string, retentionS: number): Promise<BatchState | null> {
    const rows = returned<{ state: BatchState }>(
      await this.ds.query(
        `UPDATE batch_job SET
         state = CASE WHEN succeeded = 0 AND failed > 0 THEN 'FAILED' ELSE 'COMPLETED' END,
         completed_at = now(), purge_after = now() + make_interval(secs => $2)
       WHERE id = $1 AND state IN ('QUEUED', 'RUNNING')
         AND NOT EXISTS (SELECT 1 FROM batch_item WHERE job_id = $1 AND state = 'PENDING')
       RETURNING state`,
        [jobId, retentionS],
      ),
    );
    return rows[0]?.state ?? null;
  }

  async results(jobId: string, offset: number, limit: number): Promise<ResultRow[]> {
    const rows: {
      idx: number;
      matricule: string;
      state: BatchItemState;
      result: Buffer | null;
      error_code: string | null;
      error_message: string | null;
      consent_exp: string | null;
    }[] = await this.ds.query(
      `SELECT idx, matricule, state, result, error_code, error_message, consent->>'exp' AS consent_exp
       FROM batch_item WHERE job_id = $1 AND idx >= $2 ORDER BY idx LIMIT $3`,
      [jobId, offset, limit],
    );
    return rows.map((r) => ({
      index: r.idx,
      matricule: r.matricule,
      state: r.state,
      result: r.result,
      errorCode: r.error_code,
      errorMessage: r.error_message,
      consentExp: r.consent_exp === null ? null : Number(r.consent_exp),
    }));
  }

  /**
   * Purges the results held under a withdrawn consent: its released items become REFUSED with
   * CONSENT_REVOKED and lose their result. Its pending items are locked first, so that a chunk
   * committing their release right now finishes before the purge reads them (and they are
   * purged too); pending items are otherwise left to the processor, which refuses and logs them.
   */
  async purgeConsentResults(issuer: string, jti: string): Promise<number> {
    return withTransaction(this.ds, async (q) => {
      await q.query(
        `SELECT 1 FROM batch_item
         WHERE consent->>'jti' = $2 AND consent->>'issuer' = $1 AND state IN ('PENDING', 'RELEASED')
         ORDER BY job_id, idx FOR UPDATE`,
        [issuer, jti],
      );
      return this.refuseReleased(q, `consent->>'jti' = $1 AND consent->>'issuer' = $2`, [jti, issuer]);
    });
  }

  /** Purges (as CONSENT_REVOKED) up to `limit` released results whose consent has expired; returns how many. */
  async purgeExpiredResults(limit = 1000): Promise<number> {
    return withTransaction(this.ds, (q) =>
      this.refuseReleased(
        q,
        `(job_id, idx) IN (SELECT job_id, idx FROM batch_item
           WHERE state = 'RELEASED' AND (consent->>'exp')::numeric <= extract(epoch FROM now())
           ORDER BY job_id, idx LIMIT $1 FOR UPDATE)`,
        [limit],
      ),
    );
  }

  /** Purges the released results among `indexes` of a job whose consent has expired (at read time). */
  async purgeExpiredResultsOf(jobId: string, indexes: readonly number[]): Promise<number> {
    if (indexes.length === 0) return 0;
    return withTransaction(this.ds, (q) =>
      this.refuseReleased(
        q,
        `job_id = $1 AND idx = ANY($2::int[]) AND (consent->>'exp')::numeric <= extract(epoch FROM now())`,
        [jobId, [...indexes]],
      ),
    );
  }

  /**
   * Turns the RELEASED items matching `where` into REFUSED/CONSENT_REVOKED without their result
   * and moves their jobs' counters; job rows are locked in id order after the items (as a chunk's
   * commit does), so two purges never wait on each other in a cycle.
   */
  private async refuseReleased(q: QueryRunner, where: string, params: unknown[]): Promise<number> {
    const n = params.length;
    const purged = returned<{ job_id: string }>(
      await q.query(
        `UPDATE batch_item SET state = 'REFUSED', result = NULL, error_code = $${n + 1}, error_message = $${n + 2}
         WHERE state = 'RELEASED' AND ${where}
         RETURNING job_id`,
        [...params, ErrorCode.CONSENT_REVOKED, PURGED_MESSAGE],
      ),
    );
    const perJob = new Map<string, number>();
    for (const r of purged) perJob.set(r.job_id, (perJob.get(r.job_id) ?? 0) + 1);
    for (const [jobId, count] of [...perJob].sort(([a], [b]) => a.localeCompare(b))) {
      await q.query(`UPDATE batch_job SET succeeded = succeeded - $2, refused = refused + $2 WHERE id = $1`, [
        jobId,
        count,
      ]);
    }
    return purged.length;
  }

  /** Deletes jobs (and their items and results) whose retention is over; returns how many. */
  async purgeExpired(): Promise<number> {
    const rows = returned<{ id: string }>(
      await this.ds.query(
        `DELETE FROM batch_job WHERE id IN (
           SELECT id FROM batch_job WHERE purge_after < now() ORDER BY purge_after LIMIT 500)
         RETURNING id`,
      ),
    );
    return rows.length;
  }

  /** Counts for metrics: jobs by state, and dead-lettered items of open jobs. */
  async stats(): Promise<{ byState: Record<string, number>; pendingItems: number }> {
    const jobs: { state: string; n: string }[] = await this.ds.query(
      `SELECT state, count(*) AS n FROM batch_job GROUP BY state`,
    );
    const pending: { n: string }[] = await this.ds.query(
      `SELECT count(*) AS n FROM batch_item WHERE state = 'PENDING'`,
    );
    return {
      byState: Object.fromEntries(jobs.map((j) => [j.state, Number(j.n)])),
      pendingItems: Number(pending[0].n),
    };
  }
}
