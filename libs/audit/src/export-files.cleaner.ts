import * as path from 'node:path';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { BROKER_CONFIG, type BrokerConfig } from '@broker/config';
import { removeOwnFile } from './export-files';
import { EXPORT_SWEEP_INTERVAL_MS } from './export-job-queue';
import { ExportJobsRepository } from './export-jobs.repository';

/**
 * Deletes the files of expired export jobs: only the names recorded in each job's row, one by
 * one, never a listing of EXPORT_DIR (which an operator may share), never through a symlink.
 */
@Injectable()
export class ExportFilesCleaner implements OnApplicationShutdown {
  private readonly logger = new Logger('ExportFiles');
  private timer?: NodeJS.Timeout;

  constructor(
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
    @Inject(ExportJobsRepository) private readonly jobs: ExportJobsRepository,
  ) {}

  /** Sweeps now and then every minute (in the process that runs export jobs). */
  start(): void {
    if (this.timer) return;
    const tick = (): void =>
      void this.sweep().catch((e: Error) => this.logger.warn(`clean-up failed: ${e.message}`));
    tick();
    this.timer = setInterval(tick, EXPORT_SWEEP_INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Deletes the recorded files of every expired job; returns how many jobs were cleaned. */
  async sweep(): Promise<number> {
    const dir = path.resolve(this.config.exportDir);
    let cleaned = 0;
    for (;;) {
      const expired = await this.jobs.expiredWithFiles();
      for (const job of expired) {
        let all = true;
        for (const name of job.files) all = (await removeOwnFile(dir, name)) && all;
        if (!all)
          this.logger.warn(`export job ${job.id}: a name it recorded is not a regular file; left in place`);
        await this.jobs.forgetFiles(job.id);
        cleaned++;
      }
      if (expired.length < 100) return cleaned;
    }
  }
}
