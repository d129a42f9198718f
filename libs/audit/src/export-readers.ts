import { createReadStream } from 'node:fs';
import { readCsvRecords } from './csv-reader';
import {
  CSV_COLUMNS,
  CSV_COLUMNS_V1,
  CSV_COLUMNS_V2,
  CSV_COLUMNS_V3,
  lineFromCsv,
  type ExportLine,
} from './export-format';
import type { Problems } from './export-verify-report';
import { MAX_HEADER_BYTES, MAX_LINE_BYTES } from './line-limits';
import { readLines } from './line-reader';

/** One entry read from the file, or why it is not one. */
export interface Entry {
  line: number;
  value: ExportLine | null;
  invalid?: string;
}

/** NDJSON lines as entries (blank lines skipped); a line over MAX_LINE_BYTES throws LineTooLongError. */
export async function* ndjsonEntries(file: string, notes: string[]): AsyncGenerator<Entry> {
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
