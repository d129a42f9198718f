/** Hands chunks of batch jobs to whatever runs them: BullMQ on Redis, or this process. */
export interface ChunkDispatcher {
  readonly mode: 'queue' | 'in-process';
  /** Queues the chunks (idempotent: a chunk already queued or running is not queued twice). */
  enqueue(jobId: string, chunks: readonly number[]): Promise<void>;
  /** The reconciler's call: puts back the chunks the runner no longer holds; returns how many. */
  ensure(jobId: string, chunks: readonly number[]): Promise<number>;
  /** Queue depth and failures by state, for metrics (rejects when the queue does not answer). */
  counts(): Promise<Record<string, number>>;
  /** Stops taking work and lets go of connections (application shutdown). */
  close(): Promise<void>;
}

export const CHUNK_DISPATCHER = Symbol('CHUNK_DISPATCHER');

/** The queue job id of a chunk: deterministic, so that re-adding a queued chunk is a no-op. */
export function chunkJobId(jobId: string, chunk: number): string {
  return `${jobId}_${chunk}`;
}
