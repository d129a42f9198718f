import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import type { JWK } from 'jose';
import type { TlogProofPolicy } from '@broker/transparency';
import { ChainCheck } from './export-chain-check';
import type { ExportFormat } from './export-format';
import { readCheckpoint, readManifest } from './export-manifest';
import { csvEntries, ndjsonBatches } from './export-readers';
import { Problems, type ExportVerifyReport } from './export-verify-report';
import { TlogCheck } from './export-tlog-check';
import { LineTooLongError } from './line-limits';

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
}

/**
 * Verifies an audit export offline: the manifest and checkpoint signatures against the given JWKS,
 * every entry's hash, the order and links of the entries, the file against the manifest's
 * count, first/last seq and digest, and the lines against the manifest's transparency-log anchor
 * (leaf indexes, the multi-leaf proof to the cosigned checkpoint's root, its signatures when
 * `tlog` keys are given). The file is streamed: memory does not grow with its length.
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

  // the anchor is taken from a verified manifest only: an unverified one proves nothing
  const tlog = new TlogCheck(problems, manifest.verified, opts.tlog, notes);
  const walk = new ChainCheck(problems, claims, checkpoint, tlog);
  let tooLong: LineTooLongError | undefined;
  try {
    // Checked first because a read stream's open error would otherwise surface inside the reader.
    if (!(await stat(opts.file)).isFile()) throw new Error('not a regular file');
    if (format === 'csv') {
      for await (const e of csvEntries(opts.file, problems, notes)) walk.push(e);
    } else {
      for await (const batch of ndjsonBatches(opts.file, notes)) for (const e of batch) walk.push(e);
    }
  } catch (e) {
    if (e instanceof LineTooLongError) tooLong = e;
    else problems.add(null, `cannot read the export file: ${(e as Error).message}`);
  }
  if (tooLong) {
    // The verdict names the line; counts and digest of a file read in part would only add noise.
    problems.list.unshift({ line: tooLong.line, message: tooLong.message });
  } else {
    walk.finish(notes);
  }
  const anchor = tooLong ? undefined : tlog.finish();

  if (problems.dropped > 0) notes.push(`${problems.dropped} more problems were found and are not listed`);
  const report: ExportVerifyReport = {
    ok: problems.count === 0 && manifest.verified !== undefined,
    format,
    lines: walk.entries,
    problems: problems.list,
    notes,
  };
  if (manifest.verified) report.manifest = manifest.verified;
  if (anchor) report.tlog = anchor;
  return report;
}
