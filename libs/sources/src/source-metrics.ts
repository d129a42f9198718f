import { Inject, Injectable, Optional } from '@nestjs/common';
import type { Registry } from 'prom-client';
import { DURATION_BUCKETS, histogramOn, METRICS_REGISTRY, sampledCounter } from '@broker/metrics';
import { PersonSourcesService } from './person-sources.service';
import { sourceCallSamples } from './source-call-stats';

/**
 * The sources' metrics, in an application that has a registry (the gateway, the worker): calls
 * by source and outcome (failures by problem) and their durations. Labels hold catalogue names
 * and value-free problem words only.
 */
@Injectable()
export class SourceMetrics {
  constructor(
    @Inject(PersonSourcesService) sources: PersonSourcesService,
    @Optional() @Inject(METRICS_REGISTRY) registry?: Registry,
  ) {
    if (!registry) return;
    const names = sources.list().map((a) => a.name);
    sampledCounter(registry, {
      name: 'broker_source_calls_total',
      help: 'Calls to each source by outcome (ok, not_found, failed with its problem).',
      labelNames: ['source', 'outcome', 'problem'],
      read: () => sourceCallSamples(names, sources.callCounts()),
    });
    const durations = histogramOn(registry, {
      name: 'broker_source_call_duration_seconds',
      help: 'Duration of each call to a source (retries included), by source and outcome.',
      labelNames: ['source', 'outcome'],
      buckets: DURATION_BUCKETS,
    });
    sources.observeCalls((source, outcome, seconds) => durations.observe({ source, outcome }, seconds));
  }
}
