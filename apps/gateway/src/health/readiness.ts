/** One authentic source's probe, in catalogue order. */
export interface SourceReadiness {
  /** The catalogue name (`rnpp`, `ccss`): the key of its state in the readiness body. */
  name: string;
  /** The register of who exists (the RNPP): without it nothing can be answered. */
  authoritative: boolean;
  /** Whether its health endpoint answered. */
  up: boolean;
}

/** What readiness is decided on: the probes (cached briefly) and the access log's own state (live). */
export interface ReadinessChecks {
  database: boolean;
  /** Every source, in catalogue order. */
  sources: readonly SourceReadiness[];
  /** False while appends fail or the group-commit queue is saturated: nothing could be disclosed. */
  accessLogWritable: boolean;
  /** Shown, not decisive: batch submissions are kept in PostgreSQL and queued later. */
  queue: 'up' | 'down' | 'in-process';
  /**
   * The transparency log: `up` while every entry is covered by a published (witnessed) checkpoint
   * within LOG_PUBLISH_MAX_DELAY_MS, else `not-ready`; decisive only when `refuse`
   * (LOG_WITNESS_FAILURE), otherwise the gateway stays ready and says `degraded`.
   */
  transparencyLog?: { state: 'up' | 'not-ready' | 'unknown'; failure: 'serve' | 'refuse' };
}

/**
 * Ready when PostgreSQL and the authoritative source answer and the access log takes entries.
 * Another source that is down makes the gateway `degraded`, still ready (HTTP 200): its fields
 * fail (SOURCE_UNAVAILABLE) while every other field is answered, so taking the gateway out of
 * rotation would lose those answers and gain nothing. Every source is named with its state.
 */
export function readinessReport(c: ReadinessChecks): { ready: boolean; body: Record<string, string> } {
  const log = c.transparencyLog;
  const logDown = log !== undefined && log.state !== 'up';
  const ready =
    c.database &&
    c.accessLogWritable &&
    c.sources.every((s) => s.up || !s.authoritative) &&
    !(logDown && log.failure === 'refuse');
  const degraded = c.sources.some((s) => !s.up) || logDown;
  return {
    ready,
    body: {
      status: !ready ? 'not ready' : degraded ? 'degraded' : 'ready',
      database: c.database ? 'up' : 'down',
      ...Object.fromEntries(c.sources.map((s) => [s.name, s.up ? 'up' : 'down'])),
      accessLog: c.accessLogWritable ? 'up' : 'down',
      queue: c.queue,
      ...(log ? { transparencyLog: log.state } : {}),
    },
  };
}
