import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
  type CounterConfiguration,
  type HistogramConfiguration,
  type LabelValues,
} from 'prom-client';

/**
 * The Nest token of this application's prom-client Registry. One registry per application, never
 * prom-client's global one: the e2e tests boot several gateways in one process, and each must
 * show its own figures.
 */
export const METRICS_REGISTRY = Symbol('METRICS_REGISTRY');

/** Durations from 1 ms to 10 s (a request, a register call, a log append, a job's chunk). */
export const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** A new registry with the process metrics (CPU, memory, event loop, GC) of prom-client. */
export function newMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** The counter `name` of `registry`, created once (two providers may count into the same one). */
export function counterOn<T extends string>(registry: Registry, cfg: CounterConfiguration<T>): Counter<T> {
  return (
    (registry.getSingleMetric(cfg.name) as Counter<T> | undefined) ??
    new Counter<T>({ ...cfg, registers: [registry] })
  );
}

/** The histogram `name` of `registry`, created once. */
export function histogramOn<T extends string>(
  registry: Registry,
  cfg: HistogramConfiguration<T>,
): Histogram<T> {
  return (
    (registry.getSingleMetric(cfg.name) as Histogram<T> | undefined) ??
    new Histogram<T>({ ...cfg, registers: [registry] })
  );
}

/** One value of a sampled metric, with its labels (none for a metric without labels). */
export interface Sample<T extends string = string> {
  labels?: LabelValues<T>;
  value: number;
}

/** A metric whose values are read at scrape time from the state that owns them. */
export interface SampledMetric<T extends string> {
  name: string;
  help: string;
  labelNames?: readonly T[];
  /** The values now; a sample that cannot be read is left out (the series is then absent, never stale). */
  read: () => Sample<T>[] | Promise<Sample<T>[]>;
}

/**
 * A gauge read at scrape time (queue depth, readiness, a checkpoint's age): nothing is kept
 * between scrapes, so a series that is no longer read disappears.
 */
export function sampledGauge<T extends string>(registry: Registry, m: SampledMetric<T>): void {
  if (registry.getSingleMetric(m.name)) return;
  new Gauge<T>({
    name: m.name,
    help: m.help,
    labelNames: m.labelNames ?? [],
    registers: [registry],
    async collect() {
      const samples = await m.read();
      this.reset();
      // reset() gives a gauge without labels the value 0: a figure that could not be read is absent, not 0
      if (samples.length === 0 && !m.labelNames?.length) this.remove();
      for (const s of samples) {
        if (s.labels) this.set(s.labels, s.value);
        else this.set(s.value);
      }
    },
  });
}

/**
 * A counter whose total is kept by the code that counts (the appender's, the authenticator's own
 * figures, which they need for readiness and logs): exposed as a Prometheus counter, read at
 * scrape time rather than counted twice.
 */
export function sampledCounter<T extends string>(registry: Registry, m: SampledMetric<T>): void {
  if (registry.getSingleMetric(m.name)) return;
  new Counter<T>({
    name: m.name,
    help: m.help,
    labelNames: m.labelNames ?? [],
    registers: [registry],
    async collect() {
      const samples = await m.read();
      this.reset();
      for (const s of samples) {
        if (s.labels) this.inc(s.labels, s.value);
        else this.inc(s.value);
      }
    },
  });
}

/** A label value from outside the broker's own vocabulary, kept only when it is a short, plain word. */
export function labelWord(value: string | undefined, fallback = 'other'): string {
  return value !== undefined && /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/.test(value) ? value : fallback;
}
