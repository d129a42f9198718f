import { GENESIS_HASH } from '@broker/access-log';
import { ExportDigest, type CheckpointRef, type ManifestClaims } from './export-format';
import type { Problems } from './export-verify-report';
import { hashedLine, lineProblemText, type LineProblem } from './export-line-rules';
import type { RangeResult } from './export-range-walk';
import type { Entry } from './export-readers';
import type { TlogCheck } from './export-tlog-check';

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
    const checked = hashedLine(e.value, e.invalid, e.hashed);
    if ('why' in checked) {
      this.report({ kind: 'invalid', line: n, why: checked.why });
      return;
    }
    const { l, hashed } = checked;
    const computed = hashed.hash;
    const seqText = l.seq as string;
    const hash = l.hash as string;
    const seq = BigInt(seqText);
    this.digest.add(l);
    this.tlog?.push(n, l, hashed.leaf);
    if (this.checkpoint && seqText === this.checkpoint.seq) {
      this.checkpointLine = n;
      // An altered line is already reported as such: here only the hash it carries counts.
      this.checkpointMatches = hash === this.checkpoint.hash;
    }

    const prev = this.prev;
    const outOfOrder = prev !== null && seq <= prev.seq;
    const next = prev !== null && seq === prev.seq + 1n;
    let linkProblem: LineProblem | undefined;
    if (next && l.prevHash !== prev.hash) {
      linkProblem = { kind: 'link', line: n, seq: seqText, prevLine: prev.line };
    } else if (prev === null && seq === 1n && l.prevHash !== GENESIS_HASH) {
      linkProblem = { kind: 'genesis', line: n };
    }
    const gap = prev !== null && !outOfOrder && !next;
    if (gap) this.gaps++;

    // One problem per entry, the first in this order: later ones are usually consequences.
    if (computed !== hash) {
      this.report({ kind: 'altered', line: n, seq: seqText });
    } else if (outOfOrder) {
      this.report({ kind: 'order', line: n, seq: seqText, after: prev.seq.toString() });
    } else if (linkProblem) {
      this.report(linkProblem);
    } else if (gap && this.manifest?.complete) {
      this.report({ kind: 'gap', line: n, seq: seqText, after: prev.seq.toString() });
    }
    if (!outOfOrder) this.prev = { seq, hash, line: n };
  }

  /**
   * The result of a worker thread's byte range (export-range-walk.ts), the ranges in file order,
   * its lines numbered after the `offset` lines before it. The range judged its lines on their
   * own and against the entries before them in the range; its first valid entry is judged here,
   * against the last entry in seq order of the ranges before. False when only a walk line by line
   * can report the file as it does (the range's first entry out of order, more entries than the
   * manifest counts): the caller then does one, with a fresh ChainCheck.
   */
  pushRange(r: RangeResult, offset: number): boolean {
    if (r.entries === 0) return true;
    const m = this.manifest;
    // the "extra entry" problem names the line of entry count + 1, which the range did not note
    if (m && this.entries + r.entries > m.count) return false;
    const head = r.head;
    const prev = this.prev;
    let headProblem: LineProblem | undefined;
    if (head) {
      const seq = BigInt(head.seq);
      // then the entries after it in the range were judged against the wrong entry
      if (prev !== null && seq <= prev.seq) return false;
      const next = prev !== null && seq === prev.seq + 1n;
      const gap = prev !== null && !next;
      if (gap) this.gaps++;
      if (head.altered) {
        // reported by the range, at its place
      } else if (next && head.prevHash !== prev.hash) {
        headProblem = { kind: 'link', line: head.line, seq: head.seq, prevLine: prev.line - offset };
      } else if (prev === null && seq === 1n && head.prevHash !== GENESIS_HASH) {
        headProblem = { kind: 'genesis', line: head.line };
      } else if (gap && m?.complete) {
        headProblem = { kind: 'gap', line: head.line, seq: head.seq, after: prev.seq.toString() };
      }
    }
    this.entries += r.entries;
    this.firstLine ??= offset + (r.firstEntryLine as number);
    this.lastLine = offset + (r.lastEntryLine as number);
    const kept = r.problems;
    for (let i = 0; i <= kept.length; i++) {
      if (headProblem && head?.at === i) this.report(headProblem, offset);
      if (i < kept.length) this.report(kept[i], offset);
    }
    // past the range's kept problems, the list is full: the rest are only counted
    const beyond = r.problemCount - kept.length + (headProblem && head && head.at > kept.length ? 1 : 0);
    this.problems.drop(beyond);
    if (r.firstSeq !== null && r.lastSeq !== null) {
      this.digest.addHashLines(r.hashLines, r.firstSeq, r.lastSeq, r.contiguous);
    }
    this.tlog?.pushSubtrees(r.subtreeStarts, r.subtreeWidths, r.subtreeHashes);
    if (r.checkpointHit) {
      this.checkpointLine = offset + r.checkpointHit.line;
      this.checkpointMatches = r.checkpointHit.matches;
    }
    this.gaps += r.gaps;
    if (r.tail) this.prev = { seq: BigInt(r.tail.seq), hash: r.tail.hash, line: offset + r.tail.line };
    return true;
  }

  private report(p: LineProblem, offset = 0): void {
    this.problems.add(p.line + offset, lineProblemText(p, offset));
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
