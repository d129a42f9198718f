import { SourceCallStats } from '@broker/sources';
import { renderSourceMetrics } from './source-metrics';

describe('renderSourceMetrics', () => {
  it('gives each source a readiness gauge and its calls by outcome, failures by problem', () => {
    const stats = new SourceCallStats();
    stats.record('rnpp', 'ok');
    stats.record('rnpp', 'ok');
    stats.record('rnpp', 'not_found');
    stats.record('ccss', 'failed', 'timeout');
    stats.record('ccss', 'failed', 'timeout');
    stats.record('ccss', 'failed', 'circuit-open');
    const lines = renderSourceMetrics(
      [
        { name: 'rnpp', up: true },
        { name: 'ccss', up: false },
        { name: 'rcs', up: true },
      ],
      stats.snapshot(),
    );
    expect(lines.filter((l) => !l.startsWith('#'))).toEqual([
      'broker_source_ready{source="rnpp"} 1',
      'broker_source_ready{source="ccss"} 0',
      'broker_source_ready{source="rcs"} 1',
      'broker_source_calls_total{source="ccss",outcome="ok"} 0',
      'broker_source_calls_total{source="rcs",outcome="ok"} 0',
      'broker_source_calls_total{source="rnpp",outcome="ok"} 2',
      'broker_source_calls_total{source="rnpp",outcome="not_found"} 1',
      'broker_source_calls_total{source="ccss",outcome="failed",problem="timeout"} 2',
      'broker_source_calls_total{source="ccss",outcome="failed",problem="circuit-open"} 1',
    ]);
    expect(lines).toContain('# TYPE broker_source_calls_total counter');
    expect(lines).toContain('# TYPE broker_source_ready gauge');
  });
});
