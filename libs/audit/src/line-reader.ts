import { LineTooLongError, MAX_LINE_BYTES } from './line-limits';

/** One line of a text file: its 1-based number and its text (without LF or a CR before it). */
export interface TextLine {
  line: number;
  text: string;
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * Splits a byte stream into UTF-8 lines at LF, holding at most `maxLineBytes` of a line: a
 * longer one throws LineTooLongError as soon as it passes the limit, without reading the rest of
 * it. The last line needs no LF.
 */
export async function* readLines(
  input: AsyncIterable<Buffer | string>,
  maxLineBytes = MAX_LINE_BYTES,
): AsyncGenerator<TextLine> {
  let parts: Buffer[] = [];
  let size = 0;
  let line = 1;
  const take = (): string => {
    let buf = parts.length === 1 ? parts[0] : Buffer.concat(parts, size);
    if (buf.length > 0 && buf[buf.length - 1] === CR) buf = buf.subarray(0, buf.length - 1);
    parts = [];
    size = 0;
    return buf.toString('utf8');
  };
  for await (const raw of input) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
    let start = 0;
    for (;;) {
      const lf = chunk.indexOf(LF, start);
      const end = lf < 0 ? chunk.length : lf;
      // a CR right before the LF does not count against the limit
      const piece = chunk.subarray(start, end);
      const counted =
        size + piece.length - (lf >= 0 && piece.length > 0 && piece[piece.length - 1] === CR ? 1 : 0);
      if (counted > maxLineBytes) throw new LineTooLongError(line, maxLineBytes);
      if (piece.length > 0) {
        parts.push(piece);
        size += piece.length;
      }
      if (lf < 0) break;
      yield { line, text: take() };
      line++;
      start = lf + 1;
    }
  }
  if (size > 0) yield { line, text: take() };
}
