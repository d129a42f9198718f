import type { ManifestClaims } from './export-format';
import type { TlogVerdict } from './export-tlog-check';

/** One thing wrong with an export; `line` is the physical line it was found at, when there is one. */
export interface VerifyProblem {
  line: number | null;
  message: string;
}

/** What verifyExport found: ok only when the manifest verifies and nothing is wrong. */
export interface ExportVerifyReport {
  ok: boolean;
  format: 'ndjson' | 'csv';
  /** Entries (non-empty NDJSON lines, CSV data records) read from the file. */
  lines: number;
  problems: VerifyProblem[];
  /** The manifest claims, present only when the manifest signature verified. */
  manifest?: ManifestClaims;
  /** The transparency-log verdict, when the manifest has an anchor (or keys were given). */
  tlog?: TlogVerdict;
  notes: string[];
}

/** Problems listed in a report; later ones are only counted so that a garbage file gives a short report. */
export const MAX_PROBLEMS = 20;

/** The problems found so far: the first MAX_PROBLEMS are kept, the rest only counted. */
export class Problems {
  readonly list: VerifyProblem[] = [];
  dropped = 0;

  add(line: number | null, message: string): void {
    if (this.list.length < MAX_PROBLEMS) this.list.push({ line, message });
    else this.dropped++;
  }

  /** A copy, for a walk that may be abandoned (export-verifier.ts: threads, then one thread). */
  clone(): Problems {
    const copy = new Problems();
    copy.list.push(...this.list);
    copy.dropped = this.dropped;
    return copy;
  }

  /** Counts `n` more problems past a full list (a worker thread's range counted them without their text). */
  drop(n: number): void {
    if (n > 0 && this.list.length < MAX_PROBLEMS) throw new Error('problems dropped before the list is full');
    this.dropped += n;
  }

  get count(): number {
    return this.list.length + this.dropped;
  }
}

/** Plain text of a report for the CLI: a verdict line, then the other problems and the notes. */
export function formatReport(report: ExportVerifyReport): string {
  const out: string[] = [];
  const [first, ...rest] = report.problems;
  if (report.ok || !first) {
    const m = report.manifest;
    const seq = (s: string | null | undefined): string => s ?? 'none';
    out.push(
      `${report.ok ? 'OK' : 'FAILED'}: ${report.lines} entries verified (first seq ${seq(m?.firstSeq)}, ` +
        `last seq ${seq(m?.lastSeq)}, checkpoint seq ${seq(m?.checkpoint?.seq)})${anchorText(report)}`,
    );
  } else {
    out.push(`FAILED: ${first.message}`);
  }
  for (const p of rest) out.push(`problem: ${p.message}`);
  for (const n of report.notes) out.push(`note: ${n}`);
  return out.join('\n');
}

/** ", anchored ..." on the verdict line of an export anchored in the transparency log. */
function anchorText(report: ExportVerifyReport): string {
  const t = report.tlog;
  if (!report.ok || !t?.anchored) return '';
  if (!t.signaturesChecked) return `; tree of log size ${t.size} recomputed (signatures not checked)`;
  const by = t.witnesses?.length ? `cosigned by ${t.witnesses.join(', ')}` : 'no witness (quorum 0)';
  return `; anchored in the transparency log at size ${t.size}, ${by}`;
}
