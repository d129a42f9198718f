import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { compactVerify, decodeProtectedHeader, importJWK, type JWK } from 'jose';
import { GENESIS_HASH } from '@broker/access-log';
import { readCsvRecords } from './csv-reader';
import { LineTooLongError, MAX_HEADER_BYTES, MAX_LINE_BYTES } from './line-limits';
import { readLines } from './line-reader';
import {
  CSV_COLUMNS,
  ExportDigest,
  lineFromCsv,
  lineHash,
  type CheckpointRef,
  type ExportFormat,
  type ExportLine,
  type ManifestClaims,
} from './export-format';

/** One thing wrong with an export; `line` is the physical line it was found at, when there is one. */
export interface VerifyProblem {
  line: number | null;
  message: string;
}

/** What verifyExport found: ok only when the manifest verifies and nothing is wrong. */
export interface ExportVerifyReport {
  ok: boolean;
  format: 'ndjson' | 'csv';
  /** Entries (non-empty NDJSON lines, CSV data records) read from the file. */
  lines: number;
  problems: VerifyProblem[];
  /** The manifest claims, present only when the manifest signature verified. */
  manifest?: ManifestClaims;
  notes: string[];
}

/** Inputs of verifyExport: the export file, its manifest, and the broker keys the auditor trusts. */
export interface VerifyExportOptions {
  file: string;
  manifestJws: string;
  jwks: { keys: JWK[] };
}

/** Problems listed in a report; later ones are only counted so that a garbage file gives a short report. */
export const MAX_PROBLEMS = 20;
/** JOSE `typ` of export manifests. */
export const MANIFEST_TYP = 'audit-manifest+jwt';
/** JOSE `typ` of chain-head checkpoints. */
export const CHECKPOINT_TYP = 'checkpoint+jwt';

// A manifest embeds its checkpoint JWS and the filter; 64 KiB is far above that and bounds the work.
const MAX_JWS_LENGTH = 65536;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const SEQ = /^[1-9][0-9]*$/;
const HASH = /^[0-9a-f]{64}$/;

class Problems {
  readonly list: VerifyProblem[] = [];
  dropped = 0;

  add(line: number | null, message: string): void {
    if (this.list.length < MAX_PROBLEMS) this.list.push({ line, message });
    else this.dropped++;
  }

  get count(): number {
    return this.list.length + this.dropped;
  }
}

/**
 * Verifies an audit export offline: the manifest and checkpoint signatures against the given JWKS,
 * every entry's hash, the order and links of the entries, and the file against the manifest's
 * count, first/last seq and digest. The file is streamed: memory does not grow with its length.
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

  const walk = new ChainCheck(problems, claims, checkpoint);
  let tooLong: LineTooLongError | undefined;
  try {
    // Checked first because a read stream's open error would otherwise surface inside the reader.
    if (!(await stat(opts.file)).isFile()) throw new Error('not a regular file');
    const entries =
      format === 'csv' ? csvEntries(opts.file, problems, notes) : ndjsonEntries(opts.file, notes);
    for await (const e of entries) walk.push(e);
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

  if (problems.dropped > 0) notes.push(`${problems.dropped} more problems were found and are not listed`);
  const report: ExportVerifyReport = {
    ok: problems.count === 0 && manifest.verified !== undefined,
    format,
    lines: walk.entries,
    problems: problems.list,
    notes,
  };
  if (manifest.verified) report.manifest = manifest.verified;
  return report;
}

/** Plain text of a report for the CLI: a verdict line, then the other problems and the notes. */
export function formatReport(report: ExportVerifyReport): string {
  const out: string[] = [];
  const [first, ...rest] = report.problems;
  if (report.ok || !first) {
    const m = report.manifest;
    const seq = (s: string | null | undefined): string => s ?? 'none';
    out.push(
      `${report.ok ? 'OK' : 'FAILED'}: ${report.lines} entries verified (first seq ${seq(m?.firstSeq)}, ` +
        `last seq ${seq(m?.lastSeq)}, checkpoint seq ${seq(m?.checkpoint?.seq)})`,
    );
  } else {
    out.push(`FAILED: ${first.message}`);
  }
  for (const p of rest) out.push(`problem: ${p.message}`);
  for (const n of report.notes) out.push(`note: ${n}`);
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Signatures

/** The manifest claims: `verified` when the signature holds, else the decoded claims for information. */
interface ManifestRead {
  verified?: ManifestClaims;
  unverified?: ManifestClaims;
}

async function readManifest(
  jws: string,
  jwks: { keys: JWK[] },
  problems: Problems,
  notes: string[],
): Promise<ManifestRead> {
  let payload: unknown;
  try {
    payload = await verifyJws(jws, MANIFEST_TYP, jwks);
  } catch (e) {
    problems.add(null, `manifest signature does not verify with the given keys: ${(e as Error).message}`);
    // Still compare the file with what the manifest claims: it tells the auditor more, and ok stays false.
    const unverified = manifestClaims(decodePayload(jws));
    if (typeof unverified === 'string') {
      notes.push('no usable manifest: only the hash of each entry and the links between them were checked');
      return {};
    }
    notes.push('the manifest claims were compared with the file for information only: they are not verified');
    return { unverified };
  }
  const claims = manifestClaims(payload);
  if (typeof claims === 'string') {
    problems.add(null, `manifest claims are not valid: ${claims}`);
    return {};
  }
  notes.push(
    `manifest ${claims.jti} signed by ${claims.iss} at ${isoSeconds(claims.iat)} for ${claims.sub}, ` +
      `cut at head seq ${claims.headSeq}`,
  );
  return { verified: claims };
}

async function readCheckpoint(
  m: ManifestClaims,
  jwks: { keys: JWK[] },
  problems: Problems,
): Promise<CheckpointRef | null> {
  const ref = m.checkpoint;
  if (!ref) return null;
  let payload: unknown;
  try {
    payload = await verifyJws(ref.jws, CHECKPOINT_TYP, jwks);
  } catch (e) {
    problems.add(null, `checkpoint signature does not verify with the given keys: ${(e as Error).message}`);
    return null;
  }
  const c = payload as Record<string, unknown>;
  if (typeof c.iss !== 'string' || !isSeq(c.seq) || !isHash(c.hash) || !Number.isSafeInteger(c.iat)) {
    problems.add(null, 'checkpoint claims are not valid: iss, seq, hash and iat are required');
    return null;
  }
  let agrees = true;
  if (c.seq !== ref.seq || c.hash !== ref.hash) {
    problems.add(
      null,
      `checkpoint does not match the manifest: the signed checkpoint is seq ${c.seq} hash ${c.hash}, ` +
        `the manifest says seq ${ref.seq} hash ${ref.hash}`,
    );
    agrees = false;
  }
  if (c.iss !== m.iss) problems.add(null, `checkpoint issuer ${c.iss} is not the manifest issuer ${m.iss}`);
  if (ref.seq !== m.headSeq) {
    problems.add(null, `manifest checkpoint is at seq ${ref.seq} but the manifest head is seq ${m.headSeq}`);
  }
  // Only what the checkpoint JWS itself says anchors the chain.
  return agrees ? ref : null;
}

/** The key types we accept and the only algorithms each may be used with (RFC 8725: no confusion). */
function algorithmsOf(jwk: JWK): string[] {
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return ['ES256'];
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return ['EdDSA', 'Ed25519'];
  throw new Error(`key ${jwk.kid} is ${jwk.kty}/${jwk.crv}: only EC P-256 and OKP Ed25519 are accepted`);
}

/** RFC 7515 §4.1.9: `typ` is compared case-insensitively and may carry the `application/` prefix. */
function typMatches(typ: unknown, expected: string): boolean {
  if (typeof typ !== 'string') return false;
  const t = typ.toLowerCase();
  return t === expected || t === `application/${expected}`;
}

/**
 * Verifies a compact JWS the way signed-token.ts does: the key comes only from the given JWKS by
 * `kid` (keys named in the header by jwk/jku/x5u/x5c are never used), the algorithm must be one
 * allowed for that key type, and `typ` must match. compactVerify rather than jwtVerify because an
 * export is verified years later: exp/nbf must not make an archived manifest fail.
 */
async function verifyJws(jws: string, typ: string, jwks: { keys: JWK[] }): Promise<unknown> {
  if (typeof jws !== 'string' || jws.length === 0) throw new Error('empty');
  if (jws.length > MAX_JWS_LENGTH) throw new Error('too long');
  const token = jws.trim();
  if (!COMPACT_JWS.test(token)) throw new Error('not a compact JWS (three base64url parts)');
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    throw new Error('the header is not base64url JSON');
  }
  if (!typMatches(header.typ, typ)) throw new Error(`typ is ${String(header.typ)}, expected ${typ}`);
  if (typeof header.kid !== 'string' || header.kid === '') throw new Error('no kid in the header');
  if (typeof header.alg !== 'string') throw new Error('no alg in the header');
  const candidates = (jwks?.keys ?? []).filter((k) => k.kid === header.kid);
  if (candidates.length === 0) throw new Error(`no key with kid ${header.kid}`);
  if (candidates.length > 1) throw new Error(`kid ${header.kid} names more than one key`);
  const jwk = candidates[0];
  const algorithms = algorithmsOf(jwk);
  if (jwk.alg !== undefined && !algorithms.includes(jwk.alg)) {
    throw new Error(`key ${jwk.kid} says alg ${jwk.alg}, which does not fit a ${jwk.kty}/${jwk.crv} key`);
  }
  if (jwk.use !== undefined && jwk.use !== 'sig') throw new Error(`key ${jwk.kid} is not a signing key`);
  if (!algorithms.includes(header.alg)) {
    throw new Error(`alg ${header.alg} is not allowed for key ${jwk.kid} (${algorithms.join(' or ')})`);
  }
  // Only the public members: a JWKS handed over with a private part must not make us sign-capable.
  const pub: JWK = { kty: jwk.kty, crv: jwk.crv, x: jwk.x, ...(jwk.y !== undefined ? { y: jwk.y } : {}) };
  let payload: Uint8Array;
  try {
    const key = await importJWK(pub, header.alg);
    ({ payload } = await compactVerify(token, key, { algorithms }));
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new Error(code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' ? 'bad signature' : (code ?? 'invalid'));
  }
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch {
    throw new Error('the payload is not JSON');
  }
}

function decodePayload(jws: string): unknown {
  try {
    const part = jws.trim().split('.')[1] ?? '';
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

/** The claims if they have the shape of ManifestClaims, else why not. */
function manifestClaims(p: unknown): ManifestClaims | string {
  if (typeof p !== 'object' || p === null || Array.isArray(p)) return 'not a JSON object';
  const c = p as Record<string, unknown>;
  for (const k of ['iss', 'sub', 'jti', 'digest'] as const) {
    if (typeof c[k] !== 'string') return `${k} must be a string`;
  }
  if (!Number.isSafeInteger(c.iat)) return 'iat must be an integer';
  if (c.format !== 'ndjson' && c.format !== 'csv') return 'format must be ndjson or csv';
  if (typeof c.filter !== 'object' || c.filter === null || Array.isArray(c.filter)) {
    return 'filter must be an object';
  }
  if (!isSeq(c.headSeq) && c.headSeq !== '0') return 'headSeq must be a decimal string';
  if (!Number.isSafeInteger(c.count) || (c.count as number) < 0)
    return 'count must be a non-negative integer';
  if (c.firstSeq !== null && !isSeq(c.firstSeq)) return 'firstSeq must be a decimal string or null';
  if (c.lastSeq !== null && !isSeq(c.lastSeq)) return 'lastSeq must be a decimal string or null';
  if (typeof c.complete !== 'boolean') return 'complete must be a boolean';
  if (!isHash(c.digest)) return 'digest must be 64 lowercase hex digits';
  if (c.checkpoint !== null) {
    const r = c.checkpoint as Record<string, unknown> | undefined;
    if (typeof r !== 'object' || r === null) return 'checkpoint must be an object or null';
    if (!isSeq(r.seq) || !isHash(r.hash) || typeof r.signedAt !== 'string' || typeof r.jws !== 'string') {
      return 'checkpoint needs seq, hash, signedAt and jws';
    }
  }
  return c as unknown as ManifestClaims;
}

function isSeq(v: unknown): v is string {
  return typeof v === 'string' && SEQ.test(v);
}

function isHash(v: unknown): v is string {
  return typeof v === 'string' && HASH.test(v);
}

function isoSeconds(s: number): string {
  const d = new Date(s * 1000);
  return Number.isNaN(d.getTime()) ? String(s) : d.toISOString();
}

// ---------------------------------------------------------------------------------------------
// Reading entries

/** One entry read from the file, or why it is not one. */
interface Entry {
  line: number;
  value: ExportLine | null;
  invalid?: string;
}

async function* ndjsonEntries(file: string, notes: string[]): AsyncGenerator<Entry> {
  for await (const { line: n, text: raw } of readLines(createReadStream(file), MAX_LINE_BYTES)) {
    let text = raw;
    if (n === 1 && text.startsWith('\uFEFF')) {
      text = text.slice(1);
      notes.push('the file starts with a byte-order mark, which was ignored');
    }
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      yield { line: n, value: null, invalid: 'not JSON' };
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      yield { line: n, value: null, invalid: 'not a JSON object' };
      continue;
    }
    yield { line: n, value: value as ExportLine };
  }
}

async function* csvEntries(file: string, problems: Problems, notes: string[]): AsyncGenerator<Entry> {
  let header = true;
  const limits = { maxRecordBytes: MAX_LINE_BYTES, maxHeaderBytes: MAX_HEADER_BYTES };
  for await (const r of readCsvRecords(createReadStream(file), limits)) {
    if (header) {
      header = false;
      if (r.fields[0]?.startsWith('\uFEFF')) {
        r.fields[0] = r.fields[0].slice(1);
        notes.push('the file starts with a byte-order mark, which was ignored');
      }
      if (r.error !== undefined || r.fields.join(',') !== CSV_COLUMNS.join(',')) {
        // Records are still read by position so that the report says what else is wrong.
        problems.add(r.line, `line ${r.line}: the header row is not ${CSV_COLUMNS.join(',')}`);
      }
      continue;
    }
    if (r.error !== undefined) {
      yield { line: r.line, value: null, invalid: r.error };
    } else if (r.fields.length !== CSV_COLUMNS.length) {
      yield {
        line: r.line,
        value: null,
        invalid: `${r.fields.length} cells, expected ${CSV_COLUMNS.length}`,
      };
    } else {
      const record: Record<string, string> = {};
      CSV_COLUMNS.forEach((c, i) => (record[c] = r.fields[i]));
      yield { line: r.line, value: lineFromCsv(record) };
    }
  }
  if (header) problems.add(1, `line 1: the header row is missing`);
}

/** Why a parsed line cannot be an export line of canonical version 1, if it cannot. */
function shapeError(l: ExportLine): string | undefined {
  if (l.v !== 1) return `unsupported version v=${JSON.stringify(l.v ?? null)}`;
  if (!isSeq(l.seq)) return 'seq is not a decimal string';
  if (!isHash(l.hash)) return 'hash is not 64 lowercase hex digits';
  if (!isHash(l.prevHash)) return 'prevHash is not 64 lowercase hex digits';
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Checking entries

/** The state of the walk: constant size whatever the length of the file. */
class ChainCheck {
  entries = 0;
  private readonly digest = new ExportDigest();
  /** The last entry in seq order; one out of order does not move it, so a misplaced line is one problem. */
  private prev: { seq: bigint; hash: string; line: number } | null = null;
  private firstLine: number | null = null;
  private lastLine: number | null = null;
  private gaps = 0;
  private extraLine: number | null = null;
  private checkpointLine: number | null = null;
  private checkpointMatches = false;

  constructor(
    private readonly problems: Problems,
    private readonly manifest: ManifestClaims | undefined,
    private readonly checkpoint: CheckpointRef | null,
  ) {}

  push(e: Entry): void {
    this.entries++;
    this.firstLine ??= e.line;
    this.lastLine = e.line;
    if (this.manifest && this.entries === this.manifest.count + 1) this.extraLine = e.line;
    const n = e.line;
    const l = e.value;
    const invalid = e.invalid ?? (l ? shapeError(l) : 'empty');
    let computed: string | undefined;
    if (invalid === undefined && l) {
      try {
        computed = lineHash(l);
      } catch {
        // canonicalJson refuses what it cannot hash the same way everywhere (e.g. 1.5, 1e300).
      }
    }
    if (!l || invalid !== undefined || computed === undefined) {
      this.problems.add(
        n,
        `line ${n}: not a valid record (${invalid ?? 'a number that is not a safe integer'})`,
      );
      return;
    }
    const seqText = l.seq as string;
    const hash = l.hash as string;
    const seq = BigInt(seqText);
    this.digest.add(l);
    if (this.checkpoint && seqText === this.checkpoint.seq) {
      this.checkpointLine = n;
      // An altered line is already reported as such: here only the hash it carries counts.
      this.checkpointMatches = hash === this.checkpoint.hash;
    }

    const prev = this.prev;
    const outOfOrder = prev !== null && seq <= prev.seq;
    const next = prev !== null && seq === prev.seq + 1n;
    let linkProblem: string | undefined;
    if (next && l.prevHash !== prev.hash) {
      linkProblem = `prevHash of seq ${seqText} does not match line ${prev.line}`;
    } else if (prev === null && seq === 1n && l.prevHash !== GENESIS_HASH) {
      linkProblem = 'prevHash of seq 1 is not the genesis hash';
    }
    const gap = prev !== null && !outOfOrder && !next;
    if (gap) this.gaps++;

    // One problem per entry, the first in this order: later ones are usually consequences.
    if (computed !== hash) {
      this.problems.add(n, `line ${n}: content altered (hash mismatch at seq ${seqText})`);
    } else if (outOfOrder) {
      this.problems.add(n, `line ${n}: out of order or duplicated (seq ${seqText} after seq ${prev.seq})`);
    } else if (linkProblem) {
      this.problems.add(n, `line ${n}: chain link broken (${linkProblem})`);
    } else if (gap && this.manifest?.complete) {
      this.problems.add(n, `line ${n}: entry missing before seq ${seqText} (gap after seq ${prev.seq})`);
    }
    if (!outOfOrder) this.prev = { seq, hash, line: n };
  }

  finish(notes: string[]): void {
    const m = this.manifest;
    const d = this.digest;
    const digest = d.hex();
    if (m) {
      if (this.entries < m.count) {
        const at = (this.lastLine ?? 0) + 1;
        this.problems.add(
          at,
          `line ${at}: missing (the manifest counts ${m.count} entries, the file has ${this.entries})`,
        );
      } else if (this.entries > m.count) {
        this.problems.add(
          this.extraLine,
          `line ${this.extraLine}: extra entry (file has ${this.entries} entries, manifest says ${m.count})`,
        );
      }
      if (d.firstSeq !== m.firstSeq) {
        this.problems.add(
          this.firstLine,
          `first seq: file starts at seq ${d.firstSeq ?? 'none'}, manifest says ${m.firstSeq ?? 'none'}`,
        );
      }
      if (d.lastSeq !== m.lastSeq) {
        this.problems.add(
          this.lastLine,
          `last seq: file ends at seq ${d.lastSeq ?? 'none'}, manifest says ${m.lastSeq ?? 'none'}`,
        );
      }
      if (digest !== m.digest) {
        this.problems.add(
          null,
          `digest mismatch: the entries' hashes give ${digest}, the manifest says ${m.digest}`,
        );
      }
      if (m.lastSeq !== null && BigInt(m.lastSeq) > BigInt(m.headSeq)) {
        this.problems.add(null, `manifest last seq ${m.lastSeq} is after its head seq ${m.headSeq}`);
      }
    }
    this.checkCheckpoint(notes);
    if (m && !m.complete && this.gaps > 0) {
      notes.push(
        `filtered export: ${this.gaps} gaps, each entry verified on its own hash and prevHash ` +
          '(links are checked between consecutive seqs only); the manifest digest covers the selection',
      );
    } else if (m?.complete && this.entries > 0 && this.problems.count === 0) {
      notes.push(
        `complete export: every entry from seq ${d.firstSeq} to seq ${d.lastSeq}, linked to the one before`,
      );
    }
    if (d.firstSeq === '1' && this.problems.count === 0)
      notes.push('the export starts at the genesis of the chain');
  }

  private checkCheckpoint(notes: string[]): void {
    const m = this.manifest;
    const cp = this.checkpoint;
    if (!m || !cp) {
      if (m && !m.checkpoint)
        notes.push('the manifest names no checkpoint: only the manifest signature anchors the export');
      return;
    }
    if (this.checkpointLine !== null) {
      const last = this.checkpointLine === this.lastLine;
      if (!this.checkpointMatches) {
        const n = this.checkpointLine;
        this.problems.add(
          n,
          last
            ? `line ${n}: last entry does not match the signed checkpoint`
            : `line ${n}: entry seq ${cp.seq} does not match the signed checkpoint`,
        );
      } else if (last) {
        notes.push(`the last entry (seq ${cp.seq}) matches the checkpoint signed at ${cp.signedAt}`);
      } else {
        notes.push(`the entry at seq ${cp.seq} matches the checkpoint signed at ${cp.signedAt}`);
      }
    } else if (m.lastSeq === null || BigInt(m.lastSeq) < BigInt(cp.seq)) {
      notes.push(
        `the export ends before the checkpoint at seq ${cp.seq} (filtered export), ` +
          'so only the manifest signature anchors it',
      );
    }
  }
}
