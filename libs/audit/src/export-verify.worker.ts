import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { RangeWalk, type RangeParams, type RangeResult } from './export-range-walk';

/**
 * A worker thread of `audit verify` (export-verify-threads.ts): reads the byte ranges it is given
 * from the export file and verifies the lines that start in them (RangeWalk). Lean on purpose: it
 * loads the per-line rules and the fast path only.
 */

/** One byte range: the lines that start in [start, end) of the file. */
export interface RangeTask {
  id: number;
  file: string;
  start: number;
  end: number;
  size: number;
  params: RangeParams;
}

export type RangeReply =
  | { id: number; result: RangeResult }
  /** The range's last line runs past the verifier's line limit, or the file could not be read. */
  | { id: number; fallback: string };

const LF = 0x0a;
/** Read past the range's end to finish its last line: far more than an entry's length. */
const READ_AHEAD = 64 * 1024;

function readAt(fd: number, buf: Buffer, at: number, position: number): void {
  let done = 0;
  while (at + done < buf.length) {
    const n = readSync(fd, buf, at + done, buf.length - at - done, position + done);
    if (n === 0) throw new Error('the file is shorter than it was');
    done += n;
  }
}

/** The range's lines in one buffer: [from, to) whole lines, or why there is no such range. */
function readRange(t: RangeTask): { buf: Buffer; from: number; to: number } | string {
  const fd = openSync(t.file, 'r');
  try {
    // one byte before the range tells whether a line starts at its first byte
    const base = t.start === 0 ? 0 : t.start - 1;
    let buf = Buffer.allocUnsafe(Math.min(t.size, t.end + READ_AHEAD) - base);
    readAt(fd, buf, 0, base);
    let from = 0;
    if (t.start > 0) {
      const lf = buf.indexOf(LF);
      if (lf < 0 || base + lf + 1 >= t.end) return { buf, from: 0, to: 0 };
      from = lf + 1;
    }
    // the range's last line ends at the first LF from the range's last byte on
    let to = buf.indexOf(LF, t.end - 1 - base);
    while (to < 0 && base + buf.length < t.size) {
      if (base + buf.length - t.end > t.params.maxLineBytes + 2) return 'a line longer than the limit';
      const more = Buffer.allocUnsafe(Math.min(t.size - base, buf.length * 2));
      buf.copy(more);
      readAt(fd, more, buf.length, base + buf.length);
      const searched = buf.length;
      buf = more;
      to = buf.indexOf(LF, searched);
    }
    return { buf, from, to: to < 0 ? buf.length : to + 1 };
  } finally {
    closeSync(fd);
  }
}

function handle(t: RangeTask): { reply: RangeReply; transfer: ArrayBuffer[] } {
  let range: ReturnType<typeof readRange>;
  try {
    range = readRange(t);
  } catch (e) {
    return { reply: { id: t.id, fallback: (e as Error).message }, transfer: [] };
  }
  if (typeof range === 'string') return { reply: { id: t.id, fallback: range }, transfer: [] };
  const result = new RangeWalk(t.params).walk(range.buf, range.from, range.to, t.start === 0);
  if (result.tooLong !== null)
    return { reply: { id: t.id, fallback: 'a line longer than the limit' }, transfer: [] };
  // the packed hashes are the one large part: moved, not copied (their buffer is the walk's own)
  return { reply: { id: t.id, result }, transfer: [result.hashLines.buffer as ArrayBuffer] };
}

parentPort?.on('message', (t: RangeTask) => {
  const { reply, transfer } = handle(t);
  parentPort?.postMessage(reply, transfer);
});
