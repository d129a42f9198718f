import { createHash } from 'node:crypto';
import { canonicalJson, type ExportChunk, type Json } from '@broker/access-log';
import { MAX_TLOG_PROOF_HASHES } from './export-anchor';
import type { ExportFilter } from './export-format';

/**
 * What a manifest states about an export's entries, gathered while they are written: how many,
 * the first and last seq, whether every seq between them is there, the digest (SHA-256 over the
 * lines' hashes, each followed by "\n"), and the runs of consecutive seqs (the leaves its tlog
 * anchor proves), or null when there are so many that the anchor would be too large anyway (each
 * gap between two runs needs at least one proof hash).
 */
export interface ExportSummary {
  count: number;
  firstSeq: string | null;
  lastSeq: string | null;
  complete: boolean;
  digest: string;
  runs: [string, string][] | null;
}

/** Most runs a summary keeps: more than MAX_TLOG_PROOF_HASHES + 1 runs cannot be anchored. */
export const MAX_SUMMARY_RUNS = MAX_TLOG_PROOF_HASHES + 1;

/** Builds an ExportSummary from an export's chunks, in order (ExportDigest's sums, a page at a time). */
export class ExportTally {
  private readonly h = createHash('sha256');
  private count = 0;
  private firstSeq: string | null = null;
  private lastSeq: string | null = null;
  private contiguous = true;
  private runs: [string, string][] | null = [];
  private runStart: string | null = null;

  /** The next chunk of the export. */
  add(c: ExportChunk): void {
    this.h.update(c.hashes);
    if (this.firstSeq === null) {
      this.firstSeq = c.firstSeq;
      this.runStart = c.firstSeq;
    } else if (this.lastSeq !== null && BigInt(c.firstSeq) !== BigInt(this.lastSeq) + 1n) {
      this.break(this.lastSeq, c.firstSeq);
    }
    for (const [prev, seq] of c.breaks) this.break(prev, seq);
    this.lastSeq = c.lastSeq;
    this.count += c.count;
  }

  /** The summary (call once, after the last chunk). */
  finish(): ExportSummary {
    if (this.runStart !== null && this.lastSeq !== null) this.closeRun(this.lastSeq);
    return {
      count: this.count,
      firstSeq: this.firstSeq,
      lastSeq: this.lastSeq,
      complete: this.contiguous,
      digest: this.h.digest('hex'),
      runs: this.runs,
    };
  }

  private break(prev: string, seq: string): void {
    this.contiguous = false;
    this.closeRun(prev);
    this.runStart = seq;
  }

  private closeRun(end: string): void {
    if (this.runs === null || this.runStart === null) return;
    this.runs.push([this.runStart, end]);
    if (this.runs.length > MAX_SUMMARY_RUNS) this.runs = null;
  }
}

/**
 * Summaries of the exports this gateway streamed lately, so that the manifest of an export (the
 * same filter, cut at the same head) is signed without reading its entries a second time. The
 * entries up to a cut never change, so a summary holds for every export of that filter and cut.
 * Bounded and short-lived; a manifest asked of another gateway instance, or later, walks the log
 * (without writing lines) as before.
 */
export class ExportSummaries {
  private readonly entries = new Map<string, { summary: ExportSummary; until: number }>();

  constructor(
    private readonly max = 64,
    private readonly ttlMs = 15 * 60_000,
  ) {}

  static key(filter: ExportFilter, headSeq: bigint): string {
    return `${headSeq}:${canonicalJson(filter as unknown as Json)}`;
  }

  put(filter: ExportFilter, headSeq: bigint, summary: ExportSummary): void {
    const key = ExportSummaries.key(filter, headSeq);
    this.entries.delete(key);
    this.entries.set(key, { summary, until: Date.now() + this.ttlMs });
    while (this.entries.size > this.max) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  get(filter: ExportFilter, headSeq: bigint): ExportSummary | undefined {
    const key = ExportSummaries.key(filter, headSeq);
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    if (hit.until < Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return hit.summary;
  }
}
