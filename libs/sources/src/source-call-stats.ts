/**
 * How one call to a source ended, as the metrics count it: `ok` (answered), `not_found` (the
 * authoritative source does not know the person: an answer, not a fault), `failed` (its fields
 * were lost, with the failure's `problem`).
 */
export type SourceCallOutcome = 'ok' | 'not_found' | 'failed';

/** One counter of source calls: which source, how it ended, how many times. No personal data. */
export interface SourceCallCount {
  source: string;
  outcome: SourceCallOutcome;
  /** The failure's `details.problem` (`timeout`, `circuit-open`, `shape`...), for `failed` only. */
  problem?: string;
  count: number;
}

/** A problem as a bounded, label-safe word: adapters' problems are value-free already, this keeps it so. */
function labelSafe(problem: string): string {
  return /^[a-z][a-z0-9_-]{0,39}$/.test(problem) ? problem : 'other';
}

/** Told of each call's duration (the metrics' histogram); must be cheap, it runs on the request path. */
export type SourceCallListener = (source: string, outcome: SourceCallOutcome, seconds: number) => void;

/** Process-local counts of source calls by source and outcome (the gateway's and worker's `/metrics`). */
export class SourceCallStats {
  private readonly counts = new Map<string, SourceCallCount>();
  /** Set by the metrics (SourceMetrics) when the application has a registry. */
  listener?: SourceCallListener;

  /** Counts one call of `source`, which took `seconds` when known. */
  record(source: string, outcome: SourceCallOutcome, problem?: string, seconds?: number): void {
    if (seconds !== undefined) this.listener?.(source, outcome, seconds);
    const p = outcome === 'failed' ? labelSafe(problem ?? 'other') : undefined;
    const key = `${source}\u0000${outcome}\u0000${p ?? ''}`;
    const c = this.counts.get(key);
    if (c) c.count++;
    else this.counts.set(key, { source, outcome, ...(p ? { problem: p } : {}), count: 1 });
  }

  /** Every counter so far, in the order they first counted (copies). */
  snapshot(): SourceCallCount[] {
    return [...this.counts.values()].map((c) => ({ ...c }));
  }
}

/**
 * The samples of broker_source_calls_total: every counter so far, and each source's `ok` series
 * from the start (at 0), so that a rate over it exists before the first call.
 */
export function sourceCallSamples(
  sources: readonly string[],
  calls: readonly SourceCallCount[],
): { labels: { source: string; outcome: string; problem?: string }; value: number }[] {
  const counted = new Set(calls.filter((c) => c.outcome === 'ok').map((c) => c.source));
  return [
    ...sources
      .filter((s) => !counted.has(s))
      .map((source) => ({ labels: { source, outcome: 'ok' }, value: 0 })),
    ...calls.map((c) => ({
      labels: { source: c.source, outcome: c.outcome, ...(c.problem ? { problem: c.problem } : {}) },
      value: c.count,
    })),
  ];
}
