import { createHash } from 'node:crypto';
import { canonicalObject, type AccessEntry, type Json } from '@broker/access-log';
import { lineDocument } from './line-document';

export { lineDocument } from './line-document';

/**
 * The export formats (contracts/audit-export-line.schema.json, contracts/audit-manifest.schema.json,
 * contracts/audit-export-csv.md).
 *
 * NDJSON: one entry per line, the fields of the canonical form that the chain hashes plus `hash`
 * and `leafIndex`; so hash = SHA-256(canonical JSON of the line without `hash` and `leafIndex`),
 * checkable line by line, and those same bytes are the entry's leaf in the transparency log
 * (leaf `leafIndex` = seq − 1, leaf hash = SHA-256(0x00 ‖ bytes)).
 * CSV: RFC 4180, CRLF, one header row, the same fields in CSV_COLUMNS order; arrays joined with
 * `|`, null as an empty cell.
 */
export type ExportLine = { [k: string]: Json };

/** Media types of the two formats. */
export const EXPORT_CONTENT_TYPES = {
  ndjson: 'application/x-ndjson',
  csv: 'text/csv; charset=utf-8; header=present',
} as const;
export type ExportFormat = keyof typeof EXPORT_CONTENT_TYPES;

/** The columns of exports made before several sources; still read by the verifier. */
export const CSV_COLUMNS_V1 = [
  'seq',
  'occurredAt',
  'channel',
  'memberId',
  'purpose',
  'consentIssuer',
  'consentJti',
  'subject',
  'itemsRequested',
  'itemsDisclosed',
  'outcome',
  'reasonCode',
  'source',
  'correlationId',
  'jobId',
  'auditFilter',
  'prevHash',
  'hash',
  'v',
] as const;

/** The columns of exports made before the transparency log (no salt); still read by the verifier. */
export const CSV_COLUMNS_V2 = [...CSV_COLUMNS_V1, 'itemSources', 'itemsFailed'] as const;

/** The columns of exports made before leaf indexes; still read by the verifier. */
export const CSV_COLUMNS_V3 = [...CSV_COLUMNS_V2, 'salt'] as const;

/** The columns of an export: itemSources (`item:source`), itemsFailed and salt are empty where the entry has none. */
export const CSV_COLUMNS = [...CSV_COLUMNS_V3, 'leafIndex'] as const;

const ARRAY_COLUMNS = new Set(['itemsRequested', 'itemsDisclosed']);
/** Array columns absent from the hashed line when empty (see canonicalObject). */
const OPTIONAL_ARRAY_COLUMNS = new Set(['itemSources', 'itemsFailed']);
const NUMBER_COLUMNS = new Set(['v']);

/** The NDJSON object of an entry: its canonical document, its leaf index (seq − 1) and its hash. */
export function exportLine(e: AccessEntry): ExportLine {
  return { ...canonicalObject(e), leafIndex: Number(BigInt(e.seq) - 1n), hash: e.hash };
}

/** The hash a line should carry: SHA-256 of the canonical JSON of every field but `hash` and `leafIndex`. */
export function lineHash(line: ExportLine): string {
  return createHash('sha256').update(lineDocument(line), 'utf8').digest('hex');
}

function csvCell(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** The CSV header row (with CRLF). */
export function csvHeader(): string {
  return `${CSV_COLUMNS.join(',')}\r\n`;
}

/** One CSV record (with CRLF) of an export line. */
export function csvRecord(line: ExportLine): string {
  return (
    CSV_COLUMNS.map((c) => {
      const v = line[c];
      if (v === undefined || v === null) return '';
      if (Array.isArray(v)) return csvCell(v.join('|'));
      return csvCell(String(v));
    }).join(',') + '\r\n'
  );
}

/** Rebuilds the export line from a parsed CSV record (inverse of csvRecord). */
export function lineFromCsv(record: Record<string, string>): ExportLine {
  const line: ExportLine = {};
  for (const c of CSV_COLUMNS) {
    if (!(c in record)) continue;
    const raw = record[c] ?? '';
    if (ARRAY_COLUMNS.has(c)) line[c] = raw === '' ? [] : raw.split('|');
    else if (OPTIONAL_ARRAY_COLUMNS.has(c)) {
      if (raw !== '') line[c] = raw.split('|');
    } else if (NUMBER_COLUMNS.has(c)) line[c] = Number(raw);
    else if (c === 'leafIndex') {
      // a decimal integer, or kept as text so that the verifier reports it
      if (raw !== '') line[c] = /^(0|[1-9][0-9]{0,15})$/.test(raw) ? Number(raw) : raw;
    } else if (c === 'auditFilter' || c === 'salt') {
      if (raw !== '') line[c] = raw;
    } else line[c] = raw === '' ? null : raw;
  }
  return line;
}

/** What an auditor asked for. Absent keys do not filter. */
export interface ExportFilter {
  from?: string;
  to?: string;
  memberId?: string;
  purpose?: string;
  subject?: string;
  outcome?: 'DISCLOSED' | 'REFUSED';
  /** The auditor token's `members` restriction, if any. */
  members?: string[];
}

/** A signed statement of the chain head: "entry `seq` has hash `hash`" (JWS typ checkpoint+jwt). */
export interface CheckpointRef {
  seq: string;
  hash: string;
  signedAt: string;
  jws: string;
}

/** Claims of the export manifest (JWS typ audit-manifest+jwt, signed with the broker's key). */
export interface ManifestClaims {
  iss: string;
  sub: string;
  iat: number;
  jti: string;
  format: ExportFormat;
  filter: ExportFilter;
  /** The chain head the export was cut at: entries after it are not in the export. */
  headSeq: string;
  count: number;
  firstSeq: string | null;
  lastSeq: string | null;
  /** True when every entry from firstSeq to lastSeq is in the export (no gaps to explain). */
  complete: boolean;
  /** SHA-256 (hex) over the lines' hashes in order, each followed by "\n". */
  digest: string;
  /** The checkpoint of headSeq, signed when the export was cut. */
  checkpoint: CheckpointRef | null;
  /**
   * The export's anchor in the witnessed transparency log (absent from manifests made before it):
   * a published, cosigned checkpoint whose size covers headSeq and the multi-leaf inclusion proof
   * of the exported entries in its tree; or why there is none.
   */
  tlog?: TlogAnchor;
}

/** See ManifestClaims.tlog. */
export type TlogAnchor =
  | {
      /** The cosigned checkpoint note, verbatim as GET /log/checkpoint serves it. */
      checkpoint: string;
      /** Its tree size (≥ headSeq). */
      size: number;
      /**
       * Base64 hashes of the maximal subtrees of that tree holding no exported leaf, left to
       * right (RFC 9162 recursion): with the exported lines' leaf hashes they give its root.
       */
      proof: string[];
    }
  | {
      checkpoint: null;
      /** Why the export is not anchored (no published checkpoint covered the cut in time, proof too large). */
      reason: string;
    };

/** Running state of the manifest digest. */
export class ExportDigest {
  private readonly h = createHash('sha256');
  count = 0;
  firstSeq: string | null = null;
  lastSeq: string | null = null;
  private contiguous = true;

  /** Adds the next exported line. */
  add(line: ExportLine): void {
    const seq = String(line.seq);
    if (this.lastSeq !== null && BigInt(seq) !== BigInt(this.lastSeq) + 1n) this.contiguous = false;
    this.firstSeq ??= seq;
    this.lastSeq = seq;
    this.count++;
    this.h.update(`${String(line.hash)}\n`);
  }

  /**
   * Adds lines already packed as the digest reads them (each line's hash followed by "\n", in
   * order: a worker thread's range), with the range's first and last seq and whether its seqs
   * follow one another.
   */
  addHashLines(packed: Uint8Array, firstSeq: string, lastSeq: string, contiguous: boolean): void {
    if (this.lastSeq !== null && BigInt(firstSeq) !== BigInt(this.lastSeq) + 1n) this.contiguous = false;
    if (!contiguous) this.contiguous = false;
    this.firstSeq ??= firstSeq;
    this.lastSeq = lastSeq;
    this.count += packed.length / 65;
    this.h.update(packed);
  }

  get complete(): boolean {
    return this.contiguous;
  }

  /** The final digest (call once). */
  hex(): string {
    return this.h.digest('hex');
  }
}
