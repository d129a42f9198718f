import type { ExportLine } from './export-format';
import { hashDocument, type DocumentHashes } from './fast-line';
import { lineDocument } from './line-document';

/**
 * The per-line rules of `audit verify` and the text of what it reports about one line, shared by
 * the walk line by line (ChainCheck, TlogCheck) and the worker threads (export-range-walk.ts). A
 * problem is kept as data until it is reported: a worker numbers its lines from the start of its
 * byte range, and the main thread adds the lines before it.
 *
 * Light on purpose (no @broker/access-log, no jose): worker threads load it at start-up.
 */

const SEQ = /^[1-9][0-9]*$/;

export function isSeq(v: unknown): v is string {
  return typeof v === 'string' && SEQ.test(v);
}

/** 64 lowercase hex digits (as /^[0-9a-f]{64}$/, by a loop: the regex was 5 % of a worker's time). */
export function isHash(v: unknown): v is string {
  if (typeof v !== 'string' || v.length !== 64) return false;
  for (let i = 0; i < 64; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x30 || (c > 0x39 && c < 0x61) || c > 0x66) return false;
  }
  return true;
}

/** Why a parsed line cannot be an export line of canonical version 1, if it cannot. */
export function shapeError(l: ExportLine): string | undefined {
  if (l.v !== 1) return `unsupported version v=${JSON.stringify(l.v ?? null)}`;
  if (!isSeq(l.seq)) return 'seq is not a decimal string';
  if (!isHash(l.hash)) return 'hash is not 64 lowercase hex digits';
  if (!isHash(l.prevHash)) return 'prevHash is not 64 lowercase hex digits';
  return undefined;
}

/** One thing wrong with one line; `line` (and `prevLine`) count from where the reader started. */
export type LineProblem =
  | { kind: 'invalid'; line: number; why: string }
  | { kind: 'altered'; line: number; seq: string }
  | { kind: 'order'; line: number; seq: string; after: string }
  | { kind: 'link'; line: number; seq: string; prevLine: number }
  | { kind: 'genesis'; line: number }
  | { kind: 'gap'; line: number; seq: string; after: string }
  | { kind: 'noLeafIndex'; line: number }
  | { kind: 'leafIndex'; line: number; given: string; expected: string; seq: string };

/** The report's text of a line problem, its lines shifted by `offset` (the lines before the reader's start). */
export function lineProblemText(p: LineProblem, offset = 0): string {
  const n = p.line + offset;
  switch (p.kind) {
    case 'invalid':
      return `line ${n}: not a valid record (${p.why})`;
    case 'altered':
      return `line ${n}: content altered (hash mismatch at seq ${p.seq})`;
    case 'order':
      return `line ${n}: out of order or duplicated (seq ${p.seq} after seq ${p.after})`;
    case 'link':
      return `line ${n}: chain link broken (prevHash of seq ${p.seq} does not match line ${p.prevLine + offset})`;
    case 'genesis':
      return `line ${n}: chain link broken (prevHash of seq 1 is not the genesis hash)`;
    case 'gap':
      return `line ${n}: entry missing before seq ${p.seq} (gap after seq ${p.after})`;
    case 'noLeafIndex':
      return `line ${n}: no leafIndex (the manifest anchors the export in the transparency log)`;
    case 'leafIndex':
      return `line ${n}: leafIndex ${p.given} is not seq - 1 (${p.expected}) at seq ${p.seq}`;
  }
}

/**
 * What is wrong with a valid line's `leafIndex` (it must be seq − 1; required when the manifest
 * anchors the export in the transparency log), if anything.
 */
export function leafIndexProblem(n: number, line: ExportLine, required: boolean): LineProblem | undefined {
  const expected = BigInt(line.seq as string) - 1n;
  const given = line.leafIndex;
  if (given === undefined) return required ? { kind: 'noLeafIndex', line: n } : undefined;
  if (typeof given !== 'number' || !Number.isSafeInteger(given) || BigInt(given) !== expected) {
    return {
      kind: 'leafIndex',
      line: n,
      given: JSON.stringify(given),
      expected: expected.toString(),
      seq: line.seq as string,
    };
  }
  return undefined;
}

/**
 * A line's hashes, or why it is not a valid entry: the one rule that the walk on one thread and
 * the worker threads' ranges share. `invalid`/`hashed` are what the reader already found (the fast
 * path hashes a line from its own bytes).
 */
export function hashedLine(
  l: ExportLine | null | undefined,
  invalid: string | undefined,
  hashed: DocumentHashes | undefined,
): { l: ExportLine; hashed: DocumentHashes } | { why: string } {
  const why = invalid ?? (l ? shapeError(l) : 'empty');
  if (why !== undefined || !l) return { why: why ?? 'empty' };
  if (hashed === undefined) {
    try {
      hashed = hashDocument(lineDocument(l));
    } catch {
      // canonicalJson refuses what it cannot hash the same way everywhere (e.g. 1.5, 1e300).
    }
  }
  return hashed ? { l, hashed } : { why: 'a number that is not a safe integer' };
}
