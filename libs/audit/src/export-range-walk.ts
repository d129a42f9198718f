import { hash } from 'node:crypto';
import { isUtf8 } from 'node:buffer';
import type { ExportLine } from './export-format';
import { fastLineBytes, type DocumentHashes } from './fast-line';
import { ndjsonEntry, type Entry } from './ndjson-entry';
import { hashedLine, leafIndexProblem, type LineProblem } from './export-line-rules';
import { MAX_PROBLEMS } from './export-verify-report';

/**
 * One byte range of an NDJSON export, verified in a worker thread as far as it can be without the
 * ranges before it: the lines that start in the range are split, hashed and judged as ChainCheck
 * and TlogCheck judge them (export-chain-check.ts), numbered from 1 at the range's first line,
 * and the range's first valid entry is left for the main thread to link to the entries before
 * (ChainCheck.pushRange). Everything but the lines' count is compact: the problems (the first
 * MAX_PROBLEMS), the hashes the manifest digest reads packed in one buffer, and the leaves as the
 * aligned subtrees of the transparency-log tree they fill (about log2 of the range's entries).
 */

/** What the main thread tells a range about the export. */
export interface RangeParams {
  /** Seq and hash of the signed checkpoint, when there is one. */
  checkpointSeq: string | null;
  checkpointHash: string | null;
  /** The manifest says the export is complete: a gap between seqs is a problem. */
  gapsAreProblems: boolean;
  /** The manifest anchors the export in the transparency log: every line needs a leafIndex. */
  leafIndexRequired: boolean;
  /** Size of the tree whose proof is checked, or null when there is none to check. */
  treeSize: number | null;
  maxLineBytes: number;
}

/** The range's first valid entry, judged on the main thread against the ranges before. */
export interface RangeHead {
  line: number;
  seq: string;
  hash: string;
  prevHash: string;
  /** Its hash does not match (reported by the range, at `at`). */
  altered: boolean;
  /** How many of the range's problems come before its chain problem. */
  at: number;
}

export interface RangeResult {
  /** Physical lines that start in the range (blank ones included). */
  lines: number;
  /** Non-blank lines. */
  entries: number;
  firstEntryLine: number | null;
  lastEntryLine: number | null;
  /** The first MAX_PROBLEMS problems, in line order; problemCount counts them all. */
  problems: LineProblem[];
  problemCount: number;
  head: RangeHead | null;
  /** The last valid entry in seq order (the one the next range's first links to). */
  tail: { seq: string; hash: string; line: number } | null;
  /** Gaps between entries after the head. */
  gaps: number;
  /** Seq of the first and last valid entries, and whether their seqs follow one another. */
  firstSeq: string | null;
  lastSeq: string | null;
  contiguous: boolean;
  /** Each valid entry's hash + "\n", as the manifest digest reads them. */
  hashLines: Uint8Array;
  /** The leaves as aligned subtrees of the tree: start index, width, SHA-256 (32 bytes each). */
  subtreeStarts: Float64Array;
  subtreeWidths: Float64Array;
  subtreeHashes: Uint8Array;
  /** The last line whose seq is the checkpoint's, and whether its hash is the checkpoint's. */
  checkpointHit: { line: number; matches: boolean } | null;
  /** Line 1 of the file starts with a byte-order mark. */
  bom: boolean;
  /** The line (counted in the range) over maxLineBytes; the range is not read past it. */
  tooLong: number | null;
}

const LF = 0x0a;
const CR = 0x0d;
const NODE_PREFIX = 0x01;

/** Verifies the lines of buf[from, to) (whole lines; `to` is after the last LF or at the end of the file). */
export class RangeWalk {
  private readonly r: RangeResult;
  private prev: { seq: bigint; hash: string; line: number } | null = null;
  private lastValidSeq: bigint | null = null;
  private hashLines: Buffer;
  private hashLinesEnd = 0;
  /** Aligned subtrees of the current run of consecutive leaf indexes, as a stack (starts increase). */
  private readonly stackStart: number[] = [];
  private readonly stackWidth: number[] = [];
  private readonly stackHash: Buffer[] = [];
  private readonly outStarts: number[] = [];
  private readonly outWidths: number[] = [];
  private readonly outHashes: Buffer[] = [];
  private readonly pair = Buffer.alloc(65);

  constructor(private readonly params: RangeParams) {
    this.r = {
      lines: 0,
      entries: 0,
      firstEntryLine: null,
      lastEntryLine: null,
      problems: [],
      problemCount: 0,
      head: null,
      tail: null,
      gaps: 0,
      firstSeq: null,
      lastSeq: null,
      contiguous: true,
      hashLines: new Uint8Array(0),
      subtreeStarts: new Float64Array(0),
      subtreeWidths: new Float64Array(0),
      subtreeHashes: new Uint8Array(0),
      checkpointHit: null,
      bom: false,
      tooLong: null,
    };
    this.hashLines = Buffer.allocUnsafe(65 * 4096);
  }

  /** Splits and verifies buf[from, to); `fileStart`: the range starts the file (line 1, its BOM). */
  walk(buf: Buffer, from: number, to: number, fileStart: boolean): RangeResult {
    const bytes = isUtf8(buf.subarray(from, to));
    const max = this.params.maxLineBytes;
    let start = from;
    let line = 0;
    while (start < to) {
      let lf = buf.indexOf(LF, start);
      if (lf < 0 || lf >= to) lf = to;
      line++;
      let end = lf;
      if (end > start && buf[end - 1] === CR) end--;
      if (end - start > max) {
        this.r.tooLong = line;
        break;
      }
      let s = start;
      if (fileStart && line === 1 && buf[s] === 0xef && buf[s + 1] === 0xbb && buf[s + 2] === 0xbf) {
        s += 3;
        this.r.bom = true;
      }
      // valid UTF-8 (the rule) is hashed as bytes; otherwise the line is decoded (U+FFFD) first
      const fast = bytes || isUtf8(buf.subarray(s, end)) ? fastLineBytes(buf, s, end) : undefined;
      if (fast) this.push(line, fast.value, undefined, fast.hashed);
      else {
        const e = ndjsonEntry(line, buf.toString('utf8', s, end));
        if (e) this.pushEntry(e);
      }
      start = lf + 1;
    }
    this.r.lines = line;
    return this.finish();
  }

  private pushEntry(e: Entry): void {
    this.push(e.line, e.value, e.invalid, e.hashed);
  }

  /** ChainCheck.push and TlogCheck.push for one line, the first valid entry left to the main thread. */
  private push(
    n: number,
    l: ExportLine | null,
    invalidGiven: string | undefined,
    hashedGiven?: DocumentHashes,
  ): void {
    const r = this.r;
    r.entries++;
    r.firstEntryLine ??= n;
    r.lastEntryLine = n;
    const checked = hashedLine(l, invalidGiven, hashedGiven);
    if ('why' in checked) {
      this.report({ kind: 'invalid', line: n, why: checked.why });
      return;
    }
    const { l: line, hashed } = checked;
    const computed = hashed.hash;
    const seqText = line.seq as string;
    const hashText = line.hash as string;
    const seq = BigInt(seqText);
    this.addHashLine(hashText);
    if (r.firstSeq === null) r.firstSeq = seqText;
    else if (seq !== (this.lastValidSeq as bigint) + 1n) r.contiguous = false;
    r.lastSeq = seqText;
    this.lastValidSeq = seq;
    const leafProblem = leafIndexProblem(n, line, this.params.leafIndexRequired);
    if (leafProblem) this.report(leafProblem);
    if (this.params.treeSize !== null) this.pushLeaf(Number(seq - 1n), hashed.leaf);
    if (seqText === this.params.checkpointSeq) {
      // An altered line is already reported as such: here only the hash it carries counts.
      r.checkpointHit = { line: n, matches: hashText === this.params.checkpointHash };
    }

    const prev = this.prev;
    if (prev === null) {
      // the range's first valid entry: linked on the main thread, which knows the entries before
      r.head = {
        line: n,
        seq: seqText,
        hash: hashText,
        prevHash: line.prevHash as string,
        altered: computed !== hashText,
        at: r.problemCount,
      };
      if (computed !== hashText) this.report({ kind: 'altered', line: n, seq: seqText });
      this.prev = { seq, hash: hashText, line: n };
      return;
    }
    const outOfOrder = seq <= prev.seq;
    const next = seq === prev.seq + 1n;
    const gap = !outOfOrder && !next;
    if (gap) r.gaps++;
    if (computed !== hashText) {
      this.report({ kind: 'altered', line: n, seq: seqText });
    } else if (outOfOrder) {
      this.report({ kind: 'order', line: n, seq: seqText, after: prev.seq.toString() });
    } else if (next && line.prevHash !== prev.hash) {
      this.report({ kind: 'link', line: n, seq: seqText, prevLine: prev.line });
    } else if (gap && this.params.gapsAreProblems) {
      this.report({ kind: 'gap', line: n, seq: seqText, after: prev.seq.toString() });
    }
    if (!outOfOrder) this.prev = { seq, hash: hashText, line: n };
  }

  private report(p: LineProblem): void {
    if (this.r.problems.length < MAX_PROBLEMS) this.r.problems.push(p);
    this.r.problemCount++;
  }

  private addHashLine(h: string): void {
    if (this.hashLinesEnd + 65 > this.hashLines.length) {
      const bigger = Buffer.allocUnsafe(this.hashLines.length * 2);
      this.hashLines.copy(bigger, 0, 0, this.hashLinesEnd);
      this.hashLines = bigger;
    }
    this.hashLinesEnd += this.hashLines.write(h, this.hashLinesEnd, 'latin1');
    this.hashLines[this.hashLinesEnd++] = LF;
  }

  /**
   * A leaf of the tree: consecutive indexes below the tree's size are folded into aligned
   * subtrees as they come (two neighbours of one width, the left one aligned to twice it, make
   * their parent: SHA-256(0x01 ‖ left ‖ right)); any other leaf closes the run and goes alone, so
   * that the main thread's verifier reports it as it would have.
   */
  private pushLeaf(index: number, leaf: Buffer): void {
    const size = this.params.treeSize as number;
    const top = this.stackStart.length - 1;
    const runEnd = top < 0 ? -1 : this.stackStart[top] + this.stackWidth[top];
    if (!(Number.isSafeInteger(index) && index >= 0 && index < size)) {
      this.flushRun();
      this.emit(index, 1, leaf);
      return;
    }
    if (index !== runEnd) this.flushRun();
    let start = index;
    let width = 1;
    let h = leaf;
    for (;;) {
      const t = this.stackStart.length - 1;
      if (t < 0 || this.stackWidth[t] !== width || this.stackStart[t] % (2 * width) !== 0) break;
      this.pair[0] = NODE_PREFIX;
      this.stackHash[t].copy(this.pair, 1);
      h.copy(this.pair, 33);
      h = hash('sha256', this.pair, 'buffer');
      start = this.stackStart[t];
      width *= 2;
      this.stackStart.pop();
      this.stackWidth.pop();
      this.stackHash.pop();
    }
    this.stackStart.push(start);
    this.stackWidth.push(width);
    this.stackHash.push(h);
  }

  private flushRun(): void {
    for (let i = 0; i < this.stackStart.length; i++)
      this.emit(this.stackStart[i], this.stackWidth[i], this.stackHash[i]);
    this.stackStart.length = 0;
    this.stackWidth.length = 0;
    this.stackHash.length = 0;
  }

  private emit(start: number, width: number, h: Buffer): void {
    this.outStarts.push(start);
    this.outWidths.push(width);
    this.outHashes.push(h);
  }

  private finish(): RangeResult {
    const r = this.r;
    this.flushRun();
    r.hashLines = this.hashLines.subarray(0, this.hashLinesEnd);
    r.subtreeStarts = Float64Array.from(this.outStarts);
    r.subtreeWidths = Float64Array.from(this.outWidths);
    r.subtreeHashes = Buffer.concat(this.outHashes);
    if (this.prev) r.tail = { seq: this.prev.seq.toString(), hash: this.prev.hash, line: this.prev.line };
    return r;
  }
}
