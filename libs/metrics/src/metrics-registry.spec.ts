import { Registry } from 'prom-client';
import { counterOn, labelWord, newMetricsRegistry, sampledCounter, sampledGauge } from './metrics-registry';

describe('metrics registry helpers', () => {
  it('gives each application its own registry with the process metrics', async () => {
    const a = newMetricsRegistry();
    const b = newMetricsRegistry();
    counterOn(a, { name: 'broker_x_total', help: 'x' }).inc();
    expect(await a.metrics()).toContain('process_cpu_user_seconds_total');
    expect(await a.metrics()).toContain('broker_x_total 1');
    expect(await b.metrics()).not.toContain('broker_x_total');
  });

  it('creates a counter once: two providers counting into one name share it', () => {
    const r = new Registry();
    expect(counterOn(r, { name: 'broker_y_total', help: 'y' })).toBe(
      counterOn(r, { name: 'broker_y_total', help: 'y' }),
    );
  });

  it('reads sampled gauges and counters at scrape time; a sample no longer read disappears', async () => {
    const r = new Registry();
    let samples = [{ labels: { state: 'waiting' }, value: 3 }];
    let total = 5;
    sampledGauge(r, { name: 'broker_q', help: 'q', labelNames: ['state'], read: () => samples });
    sampledCounter(r, { name: 'broker_n_total', help: 'n', read: () => [{ value: total }] });
    let text = await r.metrics();
    expect(text).toContain('broker_q{state="waiting"} 3');
    expect(text).toContain('# TYPE broker_n_total counter\nbroker_n_total 5');
    samples = [{ labels: { state: 'active' }, value: 1 }];
    total = 7;
    text = await r.metrics();
    expect(text).not.toContain('state="waiting"');
    expect(text).toContain('broker_q{state="active"} 1');
    expect(text).toContain('broker_n_total 7');
  });

  it('leaves a gauge without labels absent (not 0) when its value could not be read', async () => {
    const r = new Registry();
    sampledGauge(r, { name: 'broker_maybe', help: 'm', read: () => [] });
    const text = await r.metrics();
    expect(text).toContain('# TYPE broker_maybe gauge');
    expect(text).not.toMatch(/^broker_maybe /m);
  });

  it('keeps label words plain and short, anything else becomes the fallback', () => {
    expect(labelWord('witness-1.lu')).toBe('witness-1.lu');
    expect(labelWord('a"b')).toBe('other');
    expect(labelWord('1893120105732')).toBe('other');
    expect(labelWord(undefined)).toBe('other');
  });
});
