import { randomUUID } from 'node:crypto';
import type { ReadStream } from 'node:fs';
import * as path from 'node:path';
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { BROKER_CONFIG, type BrokerConfig } from '@broker/config';
import type { Auditor } from '@broker/consent';
import { BrokerError, ErrorCode } from '@broker/errors';
import { TRUST_REGISTRY, type TrustRegistry } from '@broker/trust';
import { AuditExportService } from './audit-export.service';
import { ExportFilesCleaner } from './export-files.cleaner';
import { exportFileNames, openOwnFile } from './export-files';
import type { ExportFilter, ExportFormat } from './export-format';
import { ExportJobProcessor } from './export-job.processor';
import {
  AUDIT_EXPORT_QUEUE,
  EXPORT_JOB_ATTEMPTS,
  exportQueuePrefix,
  type AuditExportJobData,
} from './export-job-queue';
import { ExportJobsRepository, type ExportJobRow } from './export-jobs.repository';

export interface ExportJobStatus {
  id: string;
  state: 'QUEUED' | 'RUNNING' | 'COMPLETED' | 'FAILED';
  progress: { rows: number; total: number | null };
  headSeq: string;
  format: ExportFormat;
  failedReason?: string;
  /** Paths to GET with the same auditor's Bearer token (no credential in the URL). */
  download?: { file: string; manifest: string; expiresAt: string };
}

/** What a download serves: an open file of the job and its media type. */
export interface ExportDownload {
  stream: ReadStream;
  format: ExportFormat | 'manifest';
  name: string;
}

const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Large auditor exports, the gateway's side: the export is cut and logged when submitted, its
 * row (auditor, filter, cut) is written to PostgreSQL, and only its id is queued on
 * `audit-export.v2` for a worker (apps/worker) to write the files. Status and downloads read the
 * row; a download needs the submitting auditor's Bearer token and is itself an access-log entry.
 * Without Redis at boot: in development the job runs in this process (as batch chunks do), in
 * production the feature is off (QUEUE_UNAVAILABLE) and streamed exports remain.
 */
@Injectable()
export class ExportJobsService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('ExportJobs');
  private mode: 'queue' | 'in-process' | 'off' = 'off';
  private queue?: Queue<AuditExportJobData>;
  private inProcess: Promise<unknown> = Promise.resolve();

  constructor(
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
    @Inject(AuditExportService) private readonly exports: AuditExportService,
    @Inject(ExportJobsRepository) private readonly jobs: ExportJobsRepository,
    @Inject(ExportJobProcessor) private readonly processor: ExportJobProcessor,
    @Inject(ExportFilesCleaner) private readonly cleaner: ExportFilesCleaner,
    @Inject(TRUST_REGISTRY) private readonly trust: TrustRegistry,
  ) {}

  async onModuleInit(): Promise<void> {
    const host = new URL(this.config.redisUrl).host;
    if (await redisAnswers(this.config.redisUrl)) {
      this.mode = 'queue';
      this.queue = new Queue<AuditExportJobData>(AUDIT_EXPORT_QUEUE, {
        connection: { url: this.config.redisUrl, maxRetriesPerRequest: null },
        prefix: exportQueuePrefix(this.trust.brokerId, this.config.databaseUrl),
      });
      this.queue.on('error', (e) => this.logger.warn(`export queue: ${e.message}`));
    } else if (this.config.mode === 'development') {
      this.mode = 'in-process';
      this.cleaner.start();
      this.logger.warn(
        `no Redis answers at ${host}: export jobs run in-process in this gateway (development only)`,
      );
    } else {
      this.logger.warn(`no Redis answers at ${host}: export jobs are off (streamed exports work)`);
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.queue?.close();
    await this.inProcess;
  }

  /** Cuts and logs the export now, records the job, and queues the writing of its files. */
  async submit(
    auditor: Auditor,
    filter: ExportFilter,
    format: ExportFormat,
    correlationId: string,
  ): Promise<ExportJobStatus> {
    if (this.mode === 'off') throw new BrokerError(ErrorCode.QUEUE_UNAVAILABLE);
    const id = randomUUID();
    const headSeq = await this.exports.startExport({ auditor, filter, format, correlationId }, id);
    await this.jobs.insert({ id, auditor, filter, format, headSeq, correlationId });
    if (this.queue) {
      await this.queue.add(
        'export',
        { v: 2, jobId: id },
        {
          jobId: id,
          attempts: EXPORT_JOB_ATTEMPTS,
          backoff: { type: 'exponential', delay: 1000 },
          removeOnComplete: true,
          removeOnFail: { age: this.config.exportLinkTtlS },
        },
      );
    } else {
      this.inProcess = this.inProcess.then(() => this.runInProcess(id));
    }
    return this.status(auditor, id);
  }

  /** The job's state, for its own auditor only (anyone else: NOT_FOUND, as if it did not exist). */
  async status(auditor: Auditor, id: string): Promise<ExportJobStatus> {
    const job = await this.ownJob(auditor, id);
    const out: ExportJobStatus = {
      id,
      state: job.state,
      progress: { rows: job.rows, total: job.total },
      headSeq: job.headSeq.toString(),
      format: job.format,
    };
    if (job.state === 'FAILED' && job.failedReason) out.failedReason = job.failedReason;
    if (job.state === 'COMPLETED' && job.expiresAt && job.files.length > 0) {
      out.download = {
        file: `/audit/export/jobs/${id}/file`,
        manifest: `/audit/export/jobs/${id}/manifest`,
        expiresAt: job.expiresAt.toISOString(),
      };
    }
    return out;
  }

  /**
   * Opens a completed job's file or manifest for its own auditor and logs the download
   * (`AUDIT-DOWNLOAD`, with the job id) before any byte leaves.
   */
  async download(
    auditor: Auditor,
    id: string,
    kind: 'file' | 'manifest',
    correlationId: string,
  ): Promise<ExportDownload> {
    const job = await this.ownJob(auditor, id);
    if (job.state !== 'COMPLETED')
      throw new BrokerError(ErrorCode.NOT_FOUND, 'The export job has no file yet.');
    if (!job.expiresAt || job.expiresAt.getTime() < Date.now() || job.files.length === 0)
      throw new BrokerError(ErrorCode.LINK_EXPIRED);
    const names = exportFileNames(id, job.format);
    const name = kind === 'file' ? names.file : names.manifest;
    const handle = await openOwnFile(path.join(path.resolve(this.config.exportDir), name));
    if (!handle) throw new BrokerError(ErrorCode.LINK_EXPIRED);
    try {
      await this.exports.logDownload(
        { auditor, filter: job.filter, format: job.format, correlationId },
        job.headSeq,
        id,
        kind,
      );
    } catch (e) {
      await handle.close();
      throw e;
    }
    return { stream: handle.createReadStream(), format: kind === 'file' ? job.format : 'manifest', name };
  }

  private async ownJob(auditor: Auditor, id: string): Promise<ExportJobRow> {
    const job = JOB_ID.test(id) ? await this.jobs.find(id) : undefined;
    if (!job || job.auditor.id !== auditor.id)
      throw new BrokerError(ErrorCode.NOT_FOUND, 'No such export job.');
    return job;
  }

  private async runInProcess(id: string): Promise<void> {
    for (let attempt = 1; attempt <= EXPORT_JOB_ATTEMPTS; attempt++) {
      try {
        await this.processor.process(id, attempt === EXPORT_JOB_ATTEMPTS);
        return;
      } catch (e) {
        this.logger.warn(`export job ${id} attempt ${attempt} failed: ${(e as Error).message}`);
      }
    }
  }
}

/** True when a Redis server answers PING at `url` within a second (no retries). */
export async function redisAnswers(url: string): Promise<boolean> {
  const probe = new IORedis(url, {
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}
