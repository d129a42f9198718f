// The plain module that defines the canonical form, not the lib's index: the index brings TypeORM
// and Nest, which each worker thread of `audit verify` (export-verify.worker.ts) would spend about
// half a second loading for the few lines that take the slow path.
import { canonicalJson } from '../../access-log/src/access-chain';
import type { ExportLine } from './export-format';

/** Members of an export line that are not part of the hashed canonical document. */
const UNHASHED = new Set(['hash', 'leafIndex']);

/**
 * The entry's canonical document as a line carries it (every member but `hash` and `leafIndex`):
 * the bytes the chain hash covers and the entry's transparency-log leaf. Throws a TypeError on
 * what canonicalJson refuses.
 */
export function lineDocument(line: ExportLine): string {
  const doc: ExportLine = {};
  for (const [k, v] of Object.entries(line)) if (!UNHASHED.has(k)) doc[k] = v;
  return canonicalJson(doc);
}
