/**
 * Versioned queue name: a change of the job payload gets a new name, never a silent
 * reinterpretation. v2 carries the job id only (v1 carried the filter, which a worker must not
 * trust from Redis).
 */
export const AUDIT_EXPORT_QUEUE = 'audit-export.v2';

/** The job payload (version 2): the id of an `audit_export_job` row, nothing else. */
export interface AuditExportJobData {
  v: 2;
  jobId: string;
}

/** Attempts of one export job before it is FAILED. */
export const EXPORT_JOB_ATTEMPTS = 3;

/** Redis key prefix of the export queue: one namespace per broker and database, as for batch chunks. */
export function exportQueuePrefix(brokerId: string, databaseUrl: string): string {
  const db = decodeURIComponent(new URL(databaseUrl).pathname.replace(/^\//, '')) || 'postgres';
  return `broker:${brokerId}:${db}`;
}

/** How often expired export files are deleted. */
export const EXPORT_SWEEP_INTERVAL_MS = 60_000;
