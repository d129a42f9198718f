import { rename } from 'node:fs/promises';
import * as path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Inject, Injectable } from '@nestjs/common';
import { BROKER_CONFIG, type BrokerConfig } from '@broker/config';
import { AuditExportService } from './audit-export.service';
import { createPrivateFile, ensurePrivateDir, exportFileNames, removeOwnFile } from './export-files';
import { ExportJobsRepository, type ExportJobRow } from './export-jobs.repository';

const PROGRESS_EVERY = 5000;

/** How many "\n" bytes `chunk` holds (indexOf: native, not a JS loop per byte). */
export function countNewlines(chunk: Buffer): number {
  let n = 0;
  for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) n++;
  return n;
}

/** The job named in the queue has no row: nothing to do, and retrying will not change that. */
export class UnknownExportJob extends Error {
  constructor(id: string) {
    super(`no export job ${id} in the database`);
  }
}

/**
 * Writes one export job's file and signed manifest into EXPORT_DIR. Everything about the job
 * (auditor, filter, format, cut) is read from PostgreSQL by its id; the queue's payload is only
 * that id. Files are created 0600 in a 0700 directory, under names recorded in the job's row
 * before they exist, so that clean-up deletes exactly those.
 */
@Injectable()
export class ExportJobProcessor {
  constructor(
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
    @Inject(ExportJobsRepository) private readonly jobs: ExportJobsRepository,
    @Inject(AuditExportService) private readonly exports: AuditExportService,
  ) {}

  /** Runs the job; `last` marks the final attempt, after which a failure settles it as FAILED. */
  async process(id: string, last: boolean): Promise<{ rows: number }> {
    const found = await this.jobs.find(id);
    if (!found) throw new UnknownExportJob(id);
    if (found.state === 'COMPLETED' || found.state === 'FAILED') return { rows: found.rows };
    try {
      return await this.write(found);
    } catch (e) {
      if (last) await this.jobs.fail(id, (e as Error).message, this.config.exportLinkTtlS);
      throw e;
    }
  }

  private async write(found: ExportJobRow): Promise<{ rows: number }> {
    const { id, format } = found;
    const names = exportFileNames(id, format);
    const total = await this.exports.count(found.filter, found.headSeq);
    const job = await this.jobs.start(id, [names.partial, names.file, names.manifest], total);
    if (!job) return { rows: 0 };
    const dir = path.resolve(this.config.exportDir);
    await ensurePrivateDir(dir);
    // a previous attempt's leftovers (our own names only)
    await removeOwnFile(dir, names.partial);
    await removeOwnFile(dir, names.manifest);

    let lines = 0;
    let reported = 0;
    const header = format === 'csv' ? 1 : 0;
    const counter = new Transform({
      transform: (chunk: Buffer, _enc, done) => {
        lines += countNewlines(chunk);
        if (lines - reported < PROGRESS_EVERY) return done(null, chunk);
        reported = lines;
        this.jobs.progress(id, Math.max(0, lines - header)).then(
          () => done(null, chunk),
          (e: Error) => done(e),
        );
      },
    });
    const out = await createPrivateFile(path.join(dir, names.partial));
    await pipeline(
      Readable.from(this.exports.body(job.filter, format, job.headSeq), { objectMode: false }),
      counter,
      out.createWriteStream(),
    );
    const manifest = await this.exports.manifest(
      { auditor: job.auditor, filter: job.filter, format, correlationId: job.correlationId },
      job.headSeq,
      id,
    );
    const m = await createPrivateFile(path.join(dir, names.manifest));
    try {
      await m.writeFile(`${manifest}\n`);
    } finally {
      await m.close();
    }
    await rename(path.join(dir, names.partial), path.join(dir, names.file));
    const rows = Math.max(0, lines - header);
    await this.jobs.complete(id, rows, this.config.exportLinkTtlS);
    return { rows };
  }
}
