import type { SourceCallCount } from '@broker/sources';

/**
 * The per-source part of `/metrics` (Prometheus text): a readiness gauge per source and the
 * counter of its calls by outcome, failures by problem. Every source gets its `ok` series from
 * the start (at 0), so that a rate over it exists before the first call. Labels hold catalogue
 * names and value-free problem words only.
 */
export function renderSourceMetrics(
  sources: readonly { name: string; up: boolean }[],
  calls: readonly SourceCallCount[],
): string[] {
  const counted = new Set(calls.filter((c) => c.outcome === 'ok').map((c) => c.source));
  const all: SourceCallCount[] = [
    ...sources
      .filter((s) => !counted.has(s.name))
      .map((s) => ({ source: s.name, outcome: 'ok' as const, count: 0 })),
    ...calls,
  ];
  return [
    '# HELP broker_source_ready Whether the source answered its last health probe (1) or not (0).',
    '# TYPE broker_source_ready gauge',
    ...sources.map((s) => `broker_source_ready{source="${s.name}"} ${s.up ? 1 : 0}`),
    '# HELP broker_source_calls_total Calls to each source by outcome (ok, not_found, failed with its problem).',
    '# TYPE broker_source_calls_total counter',
    ...all.map(
      (c) =>
        `broker_source_calls_total{source="${c.source}",outcome="${c.outcome}"${
          c.problem ? `,problem="${c.problem}"` : ''
        }} ${c.count}`,
    ),
  ];
}
