import { stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { extname } from 'node:path';
import type { JWK } from 'jose';
import type { TlogProofPolicy } from '@broker/transparency';
import { ChainCheck } from './export-chain-check';
import type { CheckpointRef, ExportFormat, ManifestClaims } from './export-format';
import { readCheckpoint, readManifest } from './export-manifest';
import { csvEntries, ndjsonBatches } from './export-readers';
import { Problems, type ExportVerifyReport } from './export-verify-report';
import { TlogCheck } from './export-tlog-check';
import { LineTooLongError, MAX_LINE_BYTES } from './line-limits';
import type { RangeParams } from './export-range-walk';
import { walkRangesInThreads, type ThreadPlan } from './export-verify-threads';

export { CHECKPOINT_TYP, MANIFEST_TYP } from './export-manifest';
export type { TlogVerdict } from './export-tlog-check';
export {
  MAX_PROBLEMS,
  formatReport,
  type ExportVerifyReport,
  type VerifyProblem,
} from './export-verify-report';

/** Inputs of verifyExport: the export file, its manifest, and the broker keys the auditor trusts. */
export interface VerifyExportOptions {
  file: string;
  manifestJws: string;
  jwks: { keys: JWK[] };
  /**
   * The log's and witnesses' keys and the quorum (`--log-vkey`, `--witness-vkey`, `--quorum`): the
   * manifest's cosigned checkpoint must then verify, and an export without one fails. Without it
   * the tree math is still checked and the report notes that the signatures were not.
   */
  tlog?: TlogProofPolicy;
  /**
   * Worker threads for an NDJSON file of at least `parallelFromBytes` (default
   * PARALLEL_FROM_BYTES): how many (default `os.availableParallelism()`; 1: none), each given
   * ranges of `rangeBytes` (default RANGE_BYTES). The report is the same either way.
   */
  threads?: number;
  parallelFromBytes?: number;
  rangeBytes?: number;
}

/**
 * Smallest NDJSON file verified in worker threads: below it, starting them (and warming their
 * JIT) costs about what they save (measured on 2 cores: an 8 MiB file 221 against 139–188 ms on
 * one thread, 32 MiB about even, 64 MiB 760–856 against 884–1,068 ms).
 */
export const PARALLEL_FROM_BYTES = 32 * 1024 * 1024;
/** Bytes of the file per range given to a worker thread (about 7,000 entries). */
export const RANGE_BYTES = 4 * 1024 * 1024;

/** Where a walk of the file ended up. */
interface Walk {
  problems: Problems;
  notes: string[];
  chain: ChainCheck;
  tlog: TlogCheck;
  tooLong?: LineTooLongError;
}

/**
 * Verifies an audit export offline: the manifest and checkpoint signatures against the given JWKS,
 * every entry's hash, the order and links of the entries, the file against the manifest's
 * count, first/last seq and digest, and the lines against the manifest's transparency-log anchor
 * (leaf indexes, the multi-leaf proof to the cosigned checkpoint's root, its signatures when
 * `tlog` keys are given). The file is streamed: memory does not grow with its length. A large
 * NDJSON file is verified in worker threads (export-verify-threads.ts), with the same report.
 */
export async function verifyExport(opts: VerifyExportOptions): Promise<ExportVerifyReport> {
  const problems = new Problems();
  const notes: string[] = [];
  const manifest = await readManifest(opts.manifestJws, opts.jwks, problems, notes);
  const claims = manifest.verified ?? manifest.unverified;
  const byExtension: ExportFormat = extname(opts.file).toLowerCase() === '.csv' ? 'csv' : 'ndjson';
  const format = claims?.format ?? byExtension;
  if (claims && claims.format !== byExtension) {
    notes.push(
      `the manifest says ${claims.format} though the file name ends in ${extname(opts.file) || '(none)'}`,
    );
  }
  const checkpoint = manifest.verified ? await readCheckpoint(manifest.verified, opts.jwks, problems) : null;

  const start = (): Walk => {
    // copies: a walk in threads that gives up leaves no trace in the one that follows
    const w = { problems: problems.clone(), notes: [...notes] };
    // the anchor is taken from a verified manifest only: an unverified one proves nothing
    const tlog = new TlogCheck(w.problems, manifest.verified, opts.tlog, w.notes);
    return { ...w, tlog, chain: new ChainCheck(w.problems, claims, checkpoint, tlog) };
  };
  const size = format === 'ndjson' ? await regularFileSize(opts.file) : null;
  const threads = opts.threads ?? availableParallelism();
  let walk: Walk | undefined;
  if (size !== null && threads > 1 && size >= (opts.parallelFromBytes ?? PARALLEL_FROM_BYTES)) {
    walk = await walkInThreads(opts.file, size, start(), checkpoint, claims, {
      threads,
      rangeBytes: opts.rangeBytes ?? RANGE_BYTES,
    });
  }
  walk ??= await walkOnOneThread(opts.file, format, start());
  const { chain, tlog, tooLong } = walk;
  if (tooLong) {
    // The verdict names the line; counts and digest of a file read in part would only add noise.
    walk.problems.list.unshift({ line: tooLong.line, message: tooLong.message });
  } else {
    chain.finish(walk.notes);
  }
  const anchor = tooLong ? undefined : tlog.finish();

  if (walk.problems.dropped > 0)
    walk.notes.push(`${walk.problems.dropped} more problems were found and are not listed`);
  const report: ExportVerifyReport = {
    ok: walk.problems.count === 0 && manifest.verified !== undefined,
    format,
    lines: chain.entries,
    problems: walk.problems.list,
    notes: walk.notes,
  };
  if (manifest.verified) report.manifest = manifest.verified;
  if (anchor) report.tlog = anchor;
  return report;
}

/** The file line by line on this thread (CSV, small files, and what the threads gave up on). */
async function walkOnOneThread(file: string, format: ExportFormat, w: Walk): Promise<Walk> {
  try {
    // Checked first because a read stream's open error would otherwise surface inside the reader.
    if (!(await stat(file)).isFile()) throw new Error('not a regular file');
    if (format === 'csv') {
      for await (const e of csvEntries(file, w.problems, w.notes)) w.chain.push(e);
    } else {
      for await (const batch of ndjsonBatches(file, w.notes)) for (const e of batch) w.chain.push(e);
    }
  } catch (e) {
    if (e instanceof LineTooLongError) w.tooLong = e;
    else w.problems.add(null, `cannot read the export file: ${(e as Error).message}`);
  }
  return w;
}

/** The file in worker threads, linked here range by range; undefined when only one thread can report it exactly. */
async function walkInThreads(
  file: string,
  size: number,
  w: Walk,
  checkpoint: CheckpointRef | null,
  claims: ManifestClaims | undefined,
  plan: ThreadPlan,
): Promise<Walk | undefined> {
  const params: RangeParams = {
    checkpointSeq: checkpoint?.seq ?? null,
    checkpointHash: checkpoint?.hash ?? null,
    gapsAreProblems: claims?.complete === true,
    ...w.tlog.rangeParams,
    maxLineBytes: MAX_LINE_BYTES,
  };
  let offset = 0;
  const ok = await walkRangesInThreads(file, size, params, plan, (r) => {
    if (r.bom) w.notes.push('the file starts with a byte-order mark, which was ignored');
    if (!w.chain.pushRange(r, offset)) return false;
    offset += r.lines;
    return true;
  });
  return ok ? w : undefined;
}

/** The size of a regular file, or null (the walk on one thread then reports why it cannot be read). */
async function regularFileSize(file: string): Promise<number | null> {
  try {
    const s = await stat(file);
    return s.isFile() ? s.size : null;
  } catch {
    return null;
  }
}
