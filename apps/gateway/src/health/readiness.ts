/** What readiness is decided on: the probes (cached briefly) and the access log's own state (live). */
export interface ReadinessChecks {
  database: boolean;
  /** The register's name (`rnpp`) and whether its health endpoint answered. */
  register: { name: string; up: boolean };
  /** False while appends fail or the group-commit queue is saturated: nothing could be disclosed. */
  accessLogWritable: boolean;
  /** Shown, not decisive: batch submissions are kept in PostgreSQL and queued later. */
  queue: 'up' | 'down' | 'in-process';
}

/** Ready when PostgreSQL and the register answer and the access log takes entries. */
export function readinessReport(c: ReadinessChecks): { ready: boolean; body: Record<string, string> } {
  const ready = c.database && c.register.up && c.accessLogWritable;
  return {
    ready,
    body: {
      status: ready ? 'ready' : 'not ready',
      database: c.database ? 'up' : 'down',
      [c.register.name]: c.register.up ? 'up' : 'down',
      accessLog: c.accessLogWritable ? 'up' : 'down',
      queue: c.queue,
    },
  };
}
