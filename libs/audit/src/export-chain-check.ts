import { GENESIS_HASH } from '@broker/access-log';
import {
  ExportDigest,
  lineDocument,
  type CheckpointRef,
  type ExportLine,
  type ManifestClaims,
} from './export-format';
import type { Problems } from './export-verify-report';
import { isHash, isSeq } from './export-manifest';
import type { Entry } from './export-readers';
import type { TlogCheck } from './export-tlog-check';
import { hashDocument, type DocumentHashes } from './fast-line';

/** Why a parsed line cannot be an export line of canonical version 1, if it cannot. */
function shapeError(l: ExportLine): string | undefined {
  if (l.v !== 1) return `unsupported version v=${JSON.stringify(l.v ?? null)}`;
  if (!isSeq(l.seq)) return 'seq is not a decimal string';
  if (!isHash(l.hash)) return 'hash is not 64 lowercase hex digits';
  if (!isHash(l.prevHash)) return 'prevHash is not 64 lowercase hex digits';
  return undefined;
}

/** The state of the walk: constant size whatever the length of the file. */
export class ChainCheck {
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
    private readonly tlog?: TlogCheck,
  ) {}

  push(e: Entry): void {
    this.entries++;
    this.firstLine ??= e.line;
    this.lastLine = e.line;
    if (this.manifest && this.entries === this.manifest.count + 1) this.extraLine = e.line;
    const n = e.line;
    const l = e.value;
    const invalid = e.invalid ?? (l ? shapeError(l) : 'empty');
    let hashed = e.hashed;
    if (hashed === undefined && invalid === undefined && l) {
      try {
        hashed = hashDocument(lineDocument(l));
      } catch {
        // canonicalJson refuses what it cannot hash the same way everywhere (e.g. 1.5, 1e300).
      }
    }
    const computed = invalid === undefined ? hashed?.hash : undefined;
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
    this.tlog?.push(n, l, (hashed as DocumentHashes).leaf);
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
