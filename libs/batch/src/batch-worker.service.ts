import { existsSync, readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Registry } from 'prom-client';
import { BROKER_CONFIG, type BrokerConfig } from '@broker/config';
import { ErrorCode } from '@broker/errors';
import { labelWord, METRICS_REGISTRY, observeQueueJobs, sampledGauge } from '@broker/metrics';
import { OUTCOME_OK, SPAN_ATTR, SpanKind, openSpan, outcomeOf, withinSpan } from '@broker/telemetry';
import { BatchProcessorService, ChunkRetry, type ChunkOutcome } from './batch-processor.service';
import { PERSON_BATCH_QUEUE, type PersonBatchChunkV1 } from './batch.types';
import { CHUNK_DISPATCHER } from './chunk-dispatcher';
import { BullMqDispatcher, redisConnection } from './bullmq-dispatcher';
import { BatchNotifier } from './batch-notifier.service';

/**
 * The BullMQ side of a worker process: takes chunks from `person-batch.v1` and runs them through
 * the processor. A chunk whose items still fail at the source is thrown back to the queue,
 * which retries it with exponential backoff and jitter; on its last attempt the processor
 * dead-letters those items (FAILED, with the reason) and the queue keeps the chunk in its
 * failed set for operators. On SIGTERM, `close()` lets the chunks in hand finish; a worker
 * killed outright leaves them to BullMQ's stalled-job check and the reconciler, and the
 * processor's row locks make the replay harmless.
 */
@Injectable()
export class BatchWorkerService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('BatchWorker');
  private worker?: Worker<PersonBatchChunkV1>;
  private processed = 0;

  constructor(
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
    @Inject(BatchProcessorService) private readonly processor: BatchProcessorService,
    @Inject(CHUNK_DISPATCHER) private readonly dispatcher: BullMqDispatcher,
    @Inject(BatchNotifier) private readonly notifier: BatchNotifier,
    @Optional() @Inject(METRICS_REGISTRY) private readonly registry?: Registry,
  ) {}

  onModuleInit(): void {
    this.lowerPriority();
    this.worker = new Worker<PersonBatchChunkV1>(PERSON_BATCH_QUEUE, (job) => this.process(job), {
      connection: redisConnection(this.config),
      prefix: this.dispatcher.prefix,
      concurrency: this.config.workerConcurrency,
      // a killed worker's chunks come back after the lock expires; a replay is harmless
      lockDuration: 15_000,
      stalledInterval: 5_000,
      maxStalledCount: 1000,
    });
    this.worker.on('error', (e) => this.logger.warn(`worker: ${e.message}`));
    this.worker.on('failed', (job, e) => {
      if (job && job.attemptsMade >= (job.opts.attempts ?? 1))
        this.logger.warn(`chunk ${job.id} dead-lettered: ${e.message}`);
    });
    if (this.registry) this.instrument(this.registry, this.worker);
  }

  /** Job durations and dead letters as they happen; the queue's depth by state read at scrape time (from Redis). */
  private instrument(registry: Registry, worker: Worker<PersonBatchChunkV1>): void {
    observeQueueJobs(registry, PERSON_BATCH_QUEUE, worker);
    // one Redis count per scrape for both gauges
    let last: { at: number; counts: Promise<Record<string, number>> } | undefined;
    const counts = () => {
      if (!last || Date.now() - last.at > 1000) last = { at: Date.now(), counts: this.dispatcher.counts() };
      return last.counts;
    };
    sampledGauge(registry, {
      name: 'broker_batch_queue_jobs',
      help: 'Batch chunks in the queue, by BullMQ state (waiting, active, delayed, failed: the dead letters...).',
      labelNames: ['state'],
      // Redis not answering: the series are absent (and broker_batch_queue_up says why), never stale
      read: () =>
        counts().then(
          (c) => Object.entries(c).map(([state, n]) => ({ labels: { state: labelWord(state) }, value: n })),
          () => [],
        ),
    });
    sampledGauge(registry, {
      name: 'broker_batch_queue_up',
      help: 'The batch queue answered its last count (1) or not (0).',
      read: () =>
        counts().then(
          () => [{ value: 1 }],
          () => [{ value: 0 }],
        ),
    });
  }

  /**
   * Batch work gives way to the synchronous path where they share CPUs (the demo, a small host):
   * every thread of this process (Linux sets niceness per thread; threads started later inherit
   * it) runs at WORKER_NICE, so a 10,000-item job uses what the gateway leaves.
   */
  private lowerPriority(): void {
    const nice = this.config.workerNice;
    if (nice === 0) return;
    try {
      const tids = existsSync('/proc/self/task') ? readdirSync('/proc/self/task').map(Number) : [0];
      for (const tid of tids) setPriority(tid, Math.max(nice, getPriority(tid)));
    } catch (e) {
      this.logger.warn(`could not lower the worker's CPU priority: ${(e as Error).message}`);
    }
  }

  get stats(): { processed: number } {
    return { processed: this.processed };
  }

  async onApplicationShutdown(): Promise<void> {
    // finishes the chunks in hand (each is short) and takes no new ones
    await this.worker?.close();
  }

  /**
   * Runs the chunk in a span that continues the trace of the request that queued it (the
   * payload's traceparent), so its register calls and log append join that request's tree.
   */
  private async tracedChunk(job: Job<PersonBatchChunkV1>, last: boolean): Promise<ChunkOutcome> {
    const { jobId, chunk } = job.data;
    const span = openSpan(
      'batch chunk',
      { [SPAN_ATTR.jobId]: jobId, [SPAN_ATTR.chunk]: chunk, 'broker.attempt': job.attemptsMade + 1 },
      { traceparent: job.data.traceparent, tracestate: job.data.tracestate },
      SpanKind.CONSUMER,
    );
    if (!span) return this.processor.processChunk(jobId, chunk, last);
    try {
      const outcome = await withinSpan(span, () => this.processor.processChunk(jobId, chunk, last));
      span.set({ 'broker.settled': outcome.settled, 'broker.retry': outcome.retry });
      span.end(outcome.retry > 0 || outcome.deadLettered ? ErrorCode.SOURCE_UNAVAILABLE : OUTCOME_OK);
      return outcome;
    } catch (e) {
      span.end(outcomeOf(e));
      throw e;
    }
  }

  private async process(job: Job<PersonBatchChunkV1>): Promise<unknown> {
    if (job.data.v !== 1) throw new UnrecoverableError(`unknown payload version ${String(job.data.v)}`);
    const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    const outcome = await this.tracedChunk(job, last);
    this.processed++;
    if (outcome.finished) void this.notifier.jobFinished(job.data.jobId);
    if (outcome.retry > 0) throw new ChunkRetry(outcome);
    if (outcome.deadLettered) {
      throw new UnrecoverableError(
        `${outcome.deadLettered} items dead-lettered: ${outcome.reason ?? 'source failure'}`,
      );
    }
    return { settled: outcome.settled };
  }
}
