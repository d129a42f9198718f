import { Logger } from '@nestjs/common';
import type { BrokerConfig } from '@broker/config';
import type { BatchProcessorService } from './batch-processor.service';
import { chunkJobId, type ChunkDispatcher } from './chunk-dispatcher';

interface Task {
  jobId: string;
  chunk: number;
  attempt: number;
}

/**
 * Where no Redis runs (the embedded default of `npm start`), chunks run in this process through
 * the same processor, with the same retries and dead-lettering; PostgreSQL still holds the
 * truth, so a restart resumes through the reconciler. Never used in production mode.
 */
export class InProcessDispatcher implements ChunkDispatcher {
  readonly mode = 'in-process' as const;
  private readonly logger = new Logger('BatchInProcess');
  private readonly known = new Set<string>();
  private readonly ready: Task[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private running = 0;
  private stopped = false;

  constructor(
    private readonly processor: BatchProcessorService,
    private readonly config: BrokerConfig,
    private readonly onFinished: (jobId: string) => void = () => undefined,
  ) {}

  enqueue(jobId: string, chunks: readonly number[]): Promise<void> {
    for (const chunk of chunks) {
      const key = chunkJobId(jobId, chunk);
      if (this.known.has(key)) continue;
      this.known.add(key);
      this.ready.push({ jobId, chunk, attempt: 0 });
    }
    this.pump();
    return Promise.resolve();
  }

  ensure(jobId: string, chunks: readonly number[]): Promise<number> {
    const fresh = chunks.filter((c) => !this.known.has(chunkJobId(jobId, c)));
    return this.enqueue(jobId, fresh).then(() => fresh.length);
  }

  counts(): Promise<Record<string, number>> {
    return Promise.resolve({ waiting: this.ready.length, active: this.running, delayed: this.timers.size });
  }

  async close(): Promise<void> {
    this.stopped = true;
    this.timers.forEach((t) => clearTimeout(t));
    while (this.running > 0) await new Promise((r) => setTimeout(r, 20));
  }

  private pump(): void {
    while (!this.stopped && this.running < this.config.workerConcurrency && this.ready.length > 0) {
      const task = this.ready.shift() as Task;
      this.running++;
      void this.run(task).finally(() => {
        this.running--;
        this.pump();
      });
    }
  }

  private async run(task: Task): Promise<void> {
    const key = chunkJobId(task.jobId, task.chunk);
    const last = task.attempt + 1 >= this.config.batchMaxAttempts;
    try {
      const outcome = await this.processor.processChunk(task.jobId, task.chunk, last);
      if (outcome.finished) this.onFinished(task.jobId);
      if (outcome.retry === 0) {
        this.known.delete(key);
        return;
      }
    } catch (e) {
      this.logger.warn(`chunk ${key} attempt ${task.attempt + 1} failed: ${(e as Error).message}`);
      if (last) {
        this.known.delete(key);
        return;
      }
    }
    // exponential backoff with jitter, as the queue does
    const max = this.config.batchBackoffMs * 2 ** task.attempt;
    const delay = Math.floor(max * (0.5 + Math.random() * 0.5));
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.ready.push({ ...task, attempt: task.attempt + 1 });
      this.pump();
    }, delay);
    timer.unref();
    this.timers.add(timer);
  }
}
