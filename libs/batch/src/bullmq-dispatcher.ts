import { Logger } from '@nestjs/common';
import { Queue, type JobsOptions } from 'bullmq';
import { redisNamespace, type BrokerConfig } from '@broker/config';
import { traceCarrier } from '@broker/telemetry';
import { PERSON_BATCH_QUEUE, type PersonBatchChunkV1 } from './batch.types';
import { chunkJobId, type ChunkDispatcher } from './chunk-dispatcher';

/** How long a queue call may wait for Redis before the caller moves on (the reconciler catches up). */
const REDIS_WAIT_MS = 3000;

/** Redis key prefix of the queues: the broker's Redis namespace (shared with the quota counters). */
export function queuePrefix(brokerId: string, databaseUrl: string): string {
  return redisNamespace(brokerId, databaseUrl);
}

export function redisConnection(config: BrokerConfig): { url: string; maxRetriesPerRequest: null } {
  return { url: config.redisUrl, maxRetriesPerRequest: null };
}

/** The queue options of every chunk: retries with exponential backoff and jitter, dead letters kept for operators. */
export function chunkJobOptions(config: BrokerConfig, id: string): JobsOptions {
  return {
    jobId: id,
    attempts: config.batchMaxAttempts,
    backoff: { type: 'exponential', delay: config.batchBackoffMs, jitter: 0.5 },
    removeOnComplete: true,
    removeOnFail: { age: config.batchRetentionS },
  };
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: Redis did not answer in ${ms} ms`)), ms);
    }),
  ]);
}

/** Chunks as BullMQ jobs on `person-batch.v1`, with deterministic ids (re-adding is a no-op). */
export class BullMqDispatcher implements ChunkDispatcher {
  readonly mode = 'queue' as const;
  readonly queue: Queue<PersonBatchChunkV1>;
  private readonly logger = new Logger('BatchQueue');

  constructor(
    private readonly config: BrokerConfig,
    readonly prefix: string,
  ) {
    this.queue = new Queue<PersonBatchChunkV1>(PERSON_BATCH_QUEUE, {
      connection: redisConnection(config),
      prefix,
    });
    this.queue.on('error', (e) => this.logger.warn(`queue: ${e.message}`));
  }

  async enqueue(jobId: string, chunks: readonly number[]): Promise<void> {
    if (chunks.length === 0) return;
    // the submitting request's trace travels with each chunk, as data (the job is the only link)
    const trace = traceCarrier();
    await withTimeout(
      this.queue.addBulk(
        chunks.map((chunk) => ({
          name: 'chunk',
          data: { v: 1, jobId, chunk, ...trace },
          opts: chunkJobOptions(this.config, chunkJobId(jobId, chunk)),
        })),
      ),
      REDIS_WAIT_MS,
      'queueing chunks',
    );
  }

  /**
   * Makes sure each chunk is in the queue: re-adds what Redis lost, and puts back a chunk that
   * the queue failed while PostgreSQL still holds pending items for it.
   */
  async ensure(jobId: string, chunks: readonly number[]): Promise<number> {
    let requeued = 0;
    const missing: number[] = [];
    for (const chunk of chunks) {
      const job = await withTimeout(
        this.queue.getJob(chunkJobId(jobId, chunk)),
        REDIS_WAIT_MS,
        'reading chunk',
      );
      if (!job) missing.push(chunk);
      else if (await job.isFailed()) {
        await job.retry('failed');
        requeued++;
      }
    }
    await this.enqueue(jobId, missing);
    return requeued + missing.length;
  }

  async counts(): Promise<Record<string, number>> {
    return withTimeout(
      this.queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized'),
      REDIS_WAIT_MS,
      'counting jobs',
    );
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
