import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { Queue, Worker, type Job } from 'bullmq';
import IORedis from 'ioredis';
import { BROKER_CONFIG, type BrokerConfig } from '@broker/config';
import type { Auditor } from '@broker/consent';
import { BrokerError, ErrorCode } from '@broker/errors';
import { TRUST_REGISTRY, type TrustRegistry } from '@broker/trust';
import { AuditExportService } from './audit-export.service';
import { BrokerSigner } from './broker-signer';
import type { ExportFilter, ExportFormat } from './export-format';

/** Versioned queue name: a change of the job payload gets a new name, never a silent reinterpretation. */
export const AUDIT_EXPORT_QUEUE = 'audit-export.v1';

/** The job payload (version 1): everything the processor needs to rebuild the auditor's request. */
export interface AuditExportJobData {
  v: 1;
  auditor: Auditor;
  filter: ExportFilter;
  format: ExportFormat;
  correlationId: string;
  headSeq: string;
}

export interface ExportJobStatus {
  id: string;
  state: 'QUEUED' | 'RUNNING' | 'COMPLETED' | 'FAILED';
  progress: { rows: number; total: number | null };
  headSeq: string;
  format: ExportFormat;
  failedReason?: string;
  download?: { file: string; manifest: string; expiresAt: string };
}

/**
 * Large auditor exports as BullMQ jobs: the export is cut and logged when submitted, a worker
 * writes the file and its signed manifest to EXPORT_DIR with progress reports, and the status
 * gives download links signed with an HMAC and valid for EXPORT_LINK_TTL_S, after which the
 * files are deleted. Jobs are namespaced by broker id, readable only by the auditor who
 * submitted them. Without Redis at boot, the feature is off (QUEUE_UNAVAILABLE) and streamed
 * exports remain.
 */
@Injectable()
export class ExportJobsService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('ExportJobs');
  private queue?: Queue<AuditExportJobData>;
  private worker?: Worker<AuditExportJobData>;
  private cleaner?: NodeJS.Timeout;
  private linkKeyCache?: Buffer;

  constructor(
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
    @Inject(AuditExportService) private readonly exports: AuditExportService,
    @Inject(BrokerSigner) private readonly signer: BrokerSigner,
    @Inject(TRUST_REGISTRY) private readonly trust: TrustRegistry,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!(await redisAnswers(this.config.redisUrl))) {
      this.logger.warn(
        `no Redis answers at ${new URL(this.config.redisUrl).host}: export jobs are off (streamed exports work)`,
      );
      return;
    }
    const connection = { url: this.config.redisUrl, maxRetriesPerRequest: null };
    const prefix = `broker:${this.trust.brokerId}`;
    this.queue = new Queue<AuditExportJobData>(AUDIT_EXPORT_QUEUE, { connection, prefix });
    this.worker = new Worker<AuditExportJobData>(AUDIT_EXPORT_QUEUE, (job) => this.process(job), {
      connection,
      prefix,
      concurrency: 1,
    });
    this.worker.on('error', (e) => this.logger.warn(`export worker: ${e.message}`));
    this.queue.on('error', (e) => this.logger.warn(`export queue: ${e.message}`));
    this.worker.on('failed', (job, err) =>
      this.logger.warn(`export job ${job?.id ?? '?'} failed: ${err.message}`),
    );
    this.cleaner = setInterval(() => void this.deleteExpiredFiles(), 60_000);
    this.cleaner.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.cleaner);
    await this.worker?.close();
    await this.queue?.close();
  }

  /** Cuts and logs the export now, and queues the writing of its files. */
  async submit(
    auditor: Auditor,
    filter: ExportFilter,
    format: ExportFormat,
    correlationId: string,
  ): Promise<ExportJobStatus> {
    if (!this.queue) throw new BrokerError(ErrorCode.QUEUE_UNAVAILABLE);
    const headSeq = await this.exports.startExport({ auditor, filter, format, correlationId });
    const id = randomUUID();
    await this.queue.add(
      'export',
      { v: 1, auditor, filter, format, correlationId, headSeq: headSeq.toString() },
      {
        jobId: id,
        attempts: 3,
        backoff: { type: 'exponential', delay: 1000 },
        removeOnComplete: { age: this.config.exportLinkTtlS },
        removeOnFail: { age: this.config.exportLinkTtlS },
      },
    );
    return this.status(auditor, id);
  }

  /** The job's state, for its own auditor only (anyone else: NOT_FOUND, as if it did not exist). */
  async status(auditor: Auditor, id: string): Promise<ExportJobStatus> {
    if (!this.queue) throw new BrokerError(ErrorCode.QUEUE_UNAVAILABLE);
    const job = /^[0-9a-f-]{36}$/.test(id) ? await this.queue.getJob(id) : undefined;
    if (!job || job.data.auditor.id !== auditor.id)
      throw new BrokerError(ErrorCode.NOT_FOUND, 'No such export job.');
    const raw = await job.getState();
    const state =
      raw === 'completed'
        ? 'COMPLETED'
        : raw === 'failed'
          ? 'FAILED'
          : raw === 'active'
            ? 'RUNNING'
            : 'QUEUED';
    const p = (job.progress ?? {}) as { rows?: number; total?: number };
    const out: ExportJobStatus = {
      id,
      state,
      progress: { rows: p.rows ?? 0, total: p.total ?? null },
      headSeq: job.data.headSeq,
      format: job.data.format,
    };
    if (state === 'FAILED') out.failedReason = job.failedReason;
    if (state === 'COMPLETED' && job.finishedOn) {
      const expires = Math.floor(job.finishedOn / 1000) + this.config.exportLinkTtlS;
      out.download = {
        file: this.link(id, 'file', expires),
        manifest: this.link(id, 'manifest', expires),
        expiresAt: new Date(expires * 1000).toISOString(),
      };
    }
    return out;
  }

  /** Checks a download link and returns the file's path and media type. */
  async resolveLink(
    id: string,
    kind: string,
    expires: string,
    sig: string,
  ): Promise<{ file: string; format: ExportFormat | 'manifest' }> {
    if (
      !/^[0-9a-f-]{36}$/.test(id) ||
      (kind !== 'file' && kind !== 'manifest') ||
      !/^[0-9]{1,12}$/.test(expires)
    ) {
      throw new BrokerError(ErrorCode.NOT_FOUND, 'Not a valid download link.');
    }
    const want = Buffer.from(this.signature(id, kind, Number(expires)));
    const got = Buffer.from(sig);
    if (want.length !== got.length || !timingSafeEqual(want, got))
      throw new BrokerError(ErrorCode.NOT_FOUND, 'Not a valid download link.');
    if (Number(expires) * 1000 < Date.now()) throw new BrokerError(ErrorCode.LINK_EXPIRED);
    const dir = path.resolve(this.config.exportDir);
    for (const format of ['ndjson', 'csv'] as const) {
      const file = path.join(dir, `${id}.${format}`);
      if (await exists(file))
        return kind === 'file' ? { file, format } : { file: `${file}.manifest.jws`, format: 'manifest' };
    }
    throw new BrokerError(ErrorCode.LINK_EXPIRED);
  }

  private link(id: string, kind: 'file' | 'manifest', expires: number): string {
    return `/audit/export/files/${id}?kind=${kind}&expires=${expires}&sig=${this.signature(id, kind, expires)}`;
  }

  /** Derived from the broker key (read lazily, after the signer has loaded it), so every gateway accepts every link. */
  private get linkKey(): Buffer {
    this.linkKeyCache ??= createHmac('sha256', this.signer.secretMaterial())
      .update('audit-download-link/v1')
      .digest();
    return this.linkKeyCache;
  }

  private signature(id: string, kind: string, expires: number): string {
    return createHmac('sha256', this.linkKey).update(`${id}\n${kind}\n${expires}`).digest('base64url');
  }

  private async process(job: Job<AuditExportJobData>): Promise<{ rows: number }> {
    const { filter, format, headSeq, auditor, correlationId } = job.data;
    const cut = BigInt(headSeq);
    const total = await this.exports.count(filter, cut);
    const dir = path.resolve(this.config.exportDir);
    await mkdir(dir, { recursive: true });
    const target = path.join(dir, `${job.id}.${format}`);
    let rows = 0;
    let reported = 0;
    const counter = new Transform({
      transform: (chunk: Buffer, _enc, done) => {
        for (const b of chunk) if (b === 10) rows++;
        if (rows - reported >= 5000) {
          reported = rows;
          void job.updateProgress({ rows: format === 'csv' ? Math.max(0, rows - 1) : rows, total });
        }
        done(null, chunk);
      },
    });
    await pipeline(
      Readable.from(this.exports.body(filter, format, cut)),
      counter,
      createWriteStream(`${target}.partial`),
    );
    const manifest = await this.exports.manifest({ auditor, filter, format, correlationId }, cut);
    await writeFile(`${target}.manifest.jws`, `${manifest}\n`);
    await rename(`${target}.partial`, target);
    const written = format === 'csv' ? Math.max(0, rows - 1) : rows;
    await job.updateProgress({ rows: written, total });
    return { rows: written };
  }

  private async deleteExpiredFiles(): Promise<void> {
    const dir = path.resolve(this.config.exportDir);
    const limit = Date.now() - this.config.exportLinkTtlS * 1000;
    try {
      for (const name of await readdir(dir)) {
        const file = path.join(dir, name);
        if ((await stat(file)).mtimeMs < limit) await rm(file, { force: true });
      }
    } catch {
      /* no export directory yet */
    }
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
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
