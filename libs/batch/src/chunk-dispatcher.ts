/** Hands chunks of batch jobs to whatever runs them: BullMQ on Redis, or this process. */
export interface ChunkDispatcher {
  readonly mode: 'queue' | 'in-process';
  /** Queues the chunks (idempotent: a chunk already queued or running is not queued twice). */
  enqueue(jobId: string, chunks: readonly number[]): Promise<void>;
}

export const CHUNK_DISPATCHER = Symbol('CHUNK_DISPATCHER');

/** The queue job id of a chunk: deterministic, so that re-adding a queued chunk is a no-op. */
export function chunkJobId(jobId: string, chunk: number): string {
  return `${jobId}_${chunk}`;
}
