import type { ExportLine } from './export-format';
import { fastLine, hashDocument, type DocumentHashes } from './fast-line';

/** One entry read from the file, or why it is not one. */
export interface Entry {
  line: number;
  value: ExportLine | null;
  invalid?: string;
  /** Its chain and leaf hashes, when the reader computed them (the NDJSON fast path). */
  hashed?: DocumentHashes;
}

/** One NDJSON line as an entry (`undefined`: blank); the fast path when the text allows it. */
export function ndjsonEntry(n: number, text: string): Entry | undefined {
  const fast = fastLine(text);
  if (fast) return { line: n, value: fast.value, hashed: hashDocument(fast.document) };
  if (text.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { line: n, value: null, invalid: 'not JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { line: n, value: null, invalid: 'not a JSON object' };
  }
  return { line: n, value: value as ExportLine };
}
