import { Registry } from 'prom-client';
import type { PersonSourcesService } from './person-sources.service';
import { SourceCallStats } from './source-call-stats';
import { SourceMetrics } from './source-metrics';

/** The service's metric-facing part over real stats (the adapters themselves are not needed). */
function sourcesWith(stats: SourceCallStats): PersonSourcesService {
  return {
    list: () => ['rnpp', 'ccss', 'rcs'].map((name) => ({ name })),
    callCounts: () => stats.snapshot(),
    observeCalls: (l: SourceCallStats['listener']) => (stats.listener = l),
  } as unknown as PersonSourcesService;
}

describe('SourceMetrics', () => {
  it("counts calls by outcome, failures by problem, with every source's ok series from the start", async () => {
    const stats = new SourceCallStats();
    const registry = new Registry();
    new SourceMetrics(sourcesWith(stats), registry);
    stats.record('rnpp', 'ok', undefined, 0.004);
    stats.record('rnpp', 'ok', undefined, 0.02);
    stats.record('rnpp', 'not_found', undefined, 0.003);
    stats.record('ccss', 'failed', 'timeout', 2);
    stats.record('ccss', 'failed', 'timeout', 2);
    stats.record('ccss', 'failed', 'circuit-open', 0.0001);
    const lines = (await registry.metrics()).split('\n');
    expect(lines.filter((l) => l.startsWith('broker_source_calls_total'))).toEqual([
      'broker_source_calls_total{source="ccss",outcome="ok"} 0',
      'broker_source_calls_total{source="rcs",outcome="ok"} 0',
      'broker_source_calls_total{source="rnpp",outcome="ok"} 2',
      'broker_source_calls_total{source="rnpp",outcome="not_found"} 1',
      'broker_source_calls_total{source="ccss",outcome="failed",problem="timeout"} 2',
      'broker_source_calls_total{source="ccss",outcome="failed",problem="circuit-open"} 1',
    ]);
    expect(lines).toContain('# TYPE broker_source_calls_total counter');
    expect(lines).toContain('broker_source_call_duration_seconds_count{source="rnpp",outcome="ok"} 2');
    expect(lines).toContain(
      'broker_source_call_duration_seconds_bucket{le="0.005",source="rnpp",outcome="ok"} 1',
    );
    expect(lines).toContain(
      'broker_source_call_duration_seconds_bucket{le="2.5",source="ccss",outcome="failed"} 3',
    );
  });

  it('counts nothing and observes nothing without a registry (an application without metrics)', () => {
    const stats = new SourceCallStats();
    new SourceMetrics(sourcesWith(stats), undefined);
    expect(stats.listener).toBeUndefined();
  });
});
