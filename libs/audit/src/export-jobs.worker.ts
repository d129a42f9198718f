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
import { METRICS_REGISTRY, observeQueueJobs } from '@broker/metrics';
import { TRUST_REGISTRY, type TrustRegistry } from '@broker/trust';
import { ExportFilesCleaner } from './export-files.cleaner';
import { ExportJobProcessor, UnknownExportJob } from './export-job.processor';
import { AUDIT_EXPORT_QUEUE, exportQueuePrefix, type AuditExportJobData } from './export-job-queue';

/**
 * The BullMQ side of a worker process for `audit-export.v2`: takes a job id, lets the processor
 * write the files from the job's row, and deletes expired files every minute.
 */
@Injectable()
export class ExportJobsWorker implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('ExportJobsWorker');
  private worker?: Worker<AuditExportJobData>;

  constructor(
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
    @Inject(TRUST_REGISTRY) private readonly trust: TrustRegistry,
    @Inject(ExportJobProcessor) private readonly processor: ExportJobProcessor,
    @Inject(ExportFilesCleaner) private readonly cleaner: ExportFilesCleaner,
    @Optional() @Inject(METRICS_REGISTRY) private readonly registry?: Registry,
  ) {}

  onModuleInit(): void {
    this.worker = new Worker<AuditExportJobData>(AUDIT_EXPORT_QUEUE, (job) => this.process(job), {
      connection: { url: this.config.redisUrl, maxRetriesPerRequest: null },
      prefix: exportQueuePrefix(this.trust.brokerId, this.config.databaseUrl),
      concurrency: 1,
    });
    this.worker.on('error', (e) => this.logger.warn(`worker: ${e.message}`));
    this.worker.on('failed', (job, e) =>
      this.logger.warn(`export job ${job?.id ?? '?'} failed: ${e.message}`),
    );
    if (this.registry) observeQueueJobs(this.registry, AUDIT_EXPORT_QUEUE, this.worker);
    this.cleaner.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.worker?.close();
  }

  private async process(job: Job<AuditExportJobData>): Promise<{ rows: number }> {
    const { v, jobId } = job.data;
    if (v !== 2 || typeof jobId !== 'string')
      throw new UnrecoverableError(`unknown payload version ${String(v)}`);
    const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    try {
      return await this.processor.process(jobId, last);
    } catch (e) {
      if (e instanceof UnknownExportJob) throw new UnrecoverableError(e.message);
      throw e;
    }
  }
}
