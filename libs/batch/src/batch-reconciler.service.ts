import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { BROKER_CONFIG, type BrokerConfig } from '@broker/config';
import { BatchNotifier } from './batch-notifier.service';
import { BatchRepository } from './batch.repository';
import { CHUNK_DISPATCHER, type ChunkDispatcher } from './chunk-dispatcher';
import { HeldResultsService } from './held-results.service';

/** Whether this process runs the reconciler (every worker; the gateway only when it runs jobs itself). */
export const RECONCILE = Symbol('BATCH_RECONCILE');

/**
 * PostgreSQL is the truth of every job; Redis only carries work and may lose it (a restart of a
 * Redis that keeps nothing on disk, a failover with lost writes). Every interval, the reconciler
 * puts back in the queue each chunk that still holds PENDING items and that the queue no longer
 * has, and purges jobs whose retention is over. Running it in several processes at once is
 * harmless: queue ids are deterministic and the processor settles each item once.
 */
@Injectable()
export class BatchReconciler implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('BatchReconciler');
  private timer?: NodeJS.Timeout;
  private running = false;
  private requeued = 0;
  private purged = 0;

  constructor(
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
    @Inject(BatchRepository) private readonly repo: BatchRepository,
    @Inject(CHUNK_DISPATCHER)
    private readonly dispatcher: ChunkDispatcher & {
      ensure(jobId: string, chunks: readonly number[]): Promise<number>;
    },
    @Inject(RECONCILE) private readonly enabled: boolean,
    @Inject(BatchNotifier) private readonly notifier: BatchNotifier,
    @Inject(HeldResultsService) private readonly heldResults: HeldResultsService,
  ) {}

  onModuleInit(): void {
    if (!this.enabled) return;
    void this.tick();
    this.timer = setInterval(() => void this.tick(), this.config.batchReconcileIntervalS * 1000);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  get stats(): { requeued: number; purged: number } {
    return { requeued: this.requeued, purged: this.purged };
  }

  /** One pass (also called by tests). */
  async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (const job of await this.repo.openJobs()) {
        const chunks = await this.repo.pendingChunks(job.id, job.chunkSize);
        if (chunks.length === 0) {
          if (await this.repo.finishIfDone(job.id, this.config.batchRetentionS))
            void this.notifier.jobFinished(job.id);
          continue;
        }
        const n = await this.dispatcher.ensure(job.id, chunks);
        if (n > 0) {
          this.requeued += n;
          this.logger.log(`job ${job.id}: ${n} chunks put back in the queue`);
        }
      }
      await this.heldResults.purgeExpired();
      const purged = await this.repo.purgeExpired();
      if (purged > 0) {
        this.purged += purged;
        this.logger.log(`${purged} batch jobs purged after their retention`);
      }
    } catch (e) {
      this.logger.warn(`reconcile pass failed: ${(e as Error).message}`);
    } finally {
      this.running = false;
    }
  }
}
