import type { DataSource } from 'typeorm';
import type { Auditor } from '@broker/consent';
import type { ExportFilter, ExportFormat } from './export-format';

export type ExportJobState = 'QUEUED' | 'RUNNING' | 'COMPLETED' | 'FAILED';

/** One export job as PostgreSQL holds it (the only source of its filter). */
export interface ExportJobRow {
  id: string;
  auditor: Auditor;
  filter: ExportFilter;
  format: ExportFormat;
  headSeq: bigint;
  correlationId: string;
  state: ExportJobState;
  rows: number;
  total: number | null;
  failedReason: string | null;
  files: string[];
  finishedAt: Date | null;
  expiresAt: Date | null;
}

interface Row {
  id: string;
  auditor: Auditor;
  filter: ExportFilter;
  format: ExportFormat;
  head_seq: string;
  correlation_id: string;
  state: ExportJobState;
  rows_written: number;
  rows_total: number | null;
  failed_reason: string | null;
  files: string[];
  finished_at: Date | null;
  expires_at: Date | null;
}

const COLUMNS =
  'id, auditor, filter, format, head_seq, correlation_id, state, rows_written, rows_total, failed_reason, files, finished_at, expires_at';

function toJob(r: Row): ExportJobRow {
  return {
    id: r.id,
    auditor: r.auditor,
    filter: r.filter,
    format: r.format,
    headSeq: BigInt(r.head_seq),
    correlationId: r.correlation_id,
    state: r.state,
    rows: r.rows_written,
    total: r.rows_total,
    failedReason: r.failed_reason,
    files: r.files,
    finishedAt: r.finished_at,
    expiresAt: r.expires_at,
  };
}

/** SQL of `audit_export_job`; every technology detail of the table lives here. */
export class ExportJobsRepository {
  constructor(private readonly ds: DataSource) {}

  async insert(job: {
    id: string;
    auditor: Auditor;
    filter: ExportFilter;
    format: ExportFormat;
    headSeq: bigint;
    correlationId: string;
  }): Promise<void> {
    await this.ds.query(
      `INSERT INTO audit_export_job (id, auditor_id, auditor, filter, format, head_seq, correlation_id)
       VALUES ($1, $2, $3::jsonb, $4::jsonb, $5, $6, $7)`,
      [
        job.id,
        job.auditor.id,
        JSON.stringify(job.auditor),
        JSON.stringify(job.filter),
        job.format,
        job.headSeq.toString(),
        job.correlationId,
      ],
    );
  }

  async find(id: string): Promise<ExportJobRow | undefined> {
    const rows: Row[] = await this.ds.query(`SELECT ${COLUMNS} FROM audit_export_job WHERE id = $1`, [id]);
    return rows.length ? toJob(rows[0]) : undefined;
  }

  /**
   * Marks the job RUNNING and records the names of every file it may create, before any is
   * created, so that clean-up knows them even after a crash. Returns the job, or undefined when
   * it is unknown or already settled.
   */
  async start(id: string, files: string[], total: number): Promise<ExportJobRow | undefined> {
    // TypeORM answers an UPDATE with [rows, count]: read the row back instead of RETURNING
    await this.ds.query(
      `UPDATE audit_export_job SET state = 'RUNNING', files = $2, rows_total = $3, rows_written = 0
        WHERE id = $1 AND state IN ('QUEUED', 'RUNNING')`,
      [id, files, total],
    );
    const job = await this.find(id);
    return job?.state === 'RUNNING' ? job : undefined;
  }

  async progress(id: string, rows: number): Promise<void> {
    await this.ds.query('UPDATE audit_export_job SET rows_written = $2 WHERE id = $1', [id, rows]);
  }

  async complete(id: string, rows: number, ttlS: number): Promise<void> {
    await this.ds.query(
      `UPDATE audit_export_job SET state = 'COMPLETED', rows_written = $2, finished_at = now(),
              expires_at = now() + make_interval(secs => $3) WHERE id = $1`,
      [id, rows, ttlS],
    );
  }

  async fail(id: string, reason: string, ttlS: number): Promise<void> {
    await this.ds.query(
      `UPDATE audit_export_job SET state = 'FAILED', failed_reason = $2, finished_at = now(),
              expires_at = now() + make_interval(secs => $3) WHERE id = $1`,
      [id, reason.slice(0, 500), ttlS],
    );
  }

  /** Jobs past their expiry that still own files. */
  async expiredWithFiles(limit = 100): Promise<{ id: string; files: string[] }[]> {
    return this.ds.query(
      `SELECT id, files FROM audit_export_job
        WHERE cardinality(files) > 0 AND expires_at < now() ORDER BY expires_at LIMIT $1`,
      [limit],
    );
  }

  /** The job's files are gone: it owns none any more. */
  async forgetFiles(id: string): Promise<void> {
    await this.ds.query(`UPDATE audit_export_job SET files = '{}' WHERE id = $1`, [id]);
  }
}
