import { createReadStream } from 'node:fs';
import { readCsvRecords } from './csv-reader';
import { CSV_COLUMNS, CSV_COLUMNS_V1, CSV_COLUMNS_V2, CSV_COLUMNS_V3, lineFromCsv } from './export-format';
import type { Problems } from './export-verify-report';
import { isUtf8 } from 'node:buffer';
import { fastLineBytes } from './fast-line';
import { ndjsonEntry, type Entry } from './ndjson-entry';

export { ndjsonEntry, type Entry } from './ndjson-entry';
import { LineTooLongError, MAX_HEADER_BYTES, MAX_LINE_BYTES } from './line-limits';

const LF = 0x0a;
const CR = 0x0d;

/**
 * NDJSON lines as batches of entries, one batch per read of the file (blank lines skipped): the
 * lines are split and decoded a chunk at a time. A line over `maxLineBytes` (not counting a CR
 * before its LF) throws LineTooLongError once the entries before it are yielded, as soon as it
 * passes the limit, without reading the rest of it; the last line needs no LF.
 */
export async function* ndjsonBatches(
  file: string,
  notes: string[],
  maxLineBytes = MAX_LINE_BYTES,
): AsyncGenerator<Entry[]> {
  let carry: Buffer | null = null;
  let line = 1;
  const decode = (buf: Buffer, batch: Entry[], last: boolean): void => {
    // valid UTF-8 (the rule) is hashed as bytes; otherwise each line is decoded (U+FFFD) first
    const bytes = isUtf8(buf);
    let start = 0;
    for (;;) {
      let lf = buf.indexOf(LF, start);
      if (lf < 0) {
        if (!last || start >= buf.length) return;
        lf = buf.length;
      }
      let end = lf;
      if (end > start && buf[end - 1] === CR) end--;
      if (end - start > maxLineBytes) throw new LineTooLongError(line, maxLineBytes);
      let from = start;
      if (line === 1 && buf[from] === 0xef && buf[from + 1] === 0xbb && buf[from + 2] === 0xbf) {
        from += 3;
        notes.push('the file starts with a byte-order mark, which was ignored');
      }
      const fast = bytes ? fastLineBytes(buf, from, end) : undefined;
      const e = fast ? { line, ...fast } : ndjsonEntry(line, buf.toString('utf8', from, end));
      if (e) batch.push(e);
      line++;
      start = lf + 1;
    }
  };
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    const lastLf = chunk.lastIndexOf(LF);
    if (lastLf < 0) {
      carry = carry ? Buffer.concat([carry, chunk]) : chunk;
      if (carry.length > maxLineBytes) throw new LineTooLongError(line, maxLineBytes);
      continue;
    }
    const head = chunk.subarray(0, lastLf + 1);
    const batch: Entry[] = [];
    try {
      decode(carry ? Buffer.concat([carry, head]) : head, batch, false);
    } catch (e) {
      if (batch.length > 0) yield batch;
      throw e;
    }
    yield batch;
    carry = lastLf + 1 < chunk.length ? chunk.subarray(lastLf + 1) : null;
    if (carry && carry.length > maxLineBytes) throw new LineTooLongError(line, maxLineBytes);
  }
  if (carry && carry.length > 0) {
    const batch: Entry[] = [];
    try {
      decode(carry, batch, true);
    } catch (e) {
      if (batch.length > 0) yield batch;
      throw e;
    }
    yield batch;
  }
}

/** CSV data records as entries, after checking the header row; limits as for NDJSON, 4 KiB for the header. */
export async function* csvEntries(file: string, problems: Problems, notes: string[]): AsyncGenerator<Entry> {
  let header = true;
  let columns: readonly string[] = CSV_COLUMNS;
  const limits = { maxRecordBytes: MAX_LINE_BYTES, maxHeaderBytes: MAX_HEADER_BYTES };
  for await (const r of readCsvRecords(createReadStream(file), limits)) {
    if (header) {
      header = false;
      if (r.fields[0]?.startsWith('\uFEFF')) {
        r.fields[0] = r.fields[0].slice(1);
        notes.push('the file starts with a byte-order mark, which was ignored');
      }
      // an export made before several sources (no itemSources, itemsFailed), before the
      // transparency log (no salt) or before leaf indexes (no leafIndex) reads as it always did
      const older = [CSV_COLUMNS_V1, CSV_COLUMNS_V2, CSV_COLUMNS_V3].find(
        (c) => r.error === undefined && r.fields.join(',') === c.join(','),
      );
      if (older) columns = older;
      else if (r.error !== undefined || r.fields.join(',') !== CSV_COLUMNS.join(',')) {
        // Records are still read by position so that the report says what else is wrong.
        problems.add(r.line, `line ${r.line}: the header row is not ${CSV_COLUMNS.join(',')}`);
      }
      continue;
    }
    if (r.error !== undefined) {
      yield { line: r.line, value: null, invalid: r.error };
    } else if (r.fields.length !== columns.length) {
      yield {
        line: r.line,
        value: null,
        invalid: `${r.fields.length} cells, expected ${columns.length}`,
      };
    } else {
      const record: Record<string, string> = {};
      columns.forEach((c, i) => (record[c] = r.fields[i]));
      yield { line: r.line, value: lineFromCsv(record) };
    }
  }
  if (header) problems.add(1, `line 1: the header row is missing`);
}
