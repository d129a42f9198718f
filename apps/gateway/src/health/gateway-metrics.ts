import { Inject, Injectable } from '@nestjs/common';
import type { Counter, Histogram, Registry } from 'prom-client';
import { counterOn, DURATION_BUCKETS, histogramOn, METRICS_REGISTRY } from '@broker/metrics';

/** The gateway's own counters and the request histogram, in the application's registry. No identifiers in labels. */
@Injectable()
export class GatewayMetrics {
  private readonly errors: Counter<'code'>;
  private readonly disclosures: Counter;
  private readonly requests: Histogram<'operation' | 'code'>;

  constructor(@Inject(METRICS_REGISTRY) registry: Registry) {
    this.errors = counterOn(registry, {
      name: 'broker_graphql_errors_total',
      help: 'GraphQL errors answered, by code.',
      labelNames: ['code'],
    });
    this.disclosures = counterOn(registry, {
      name: 'broker_disclosures_total',
      help: 'Successful person disclosures.',
    });
    this.requests = histogramOn(registry, {
      name: 'broker_request_duration_seconds',
      help: 'GraphQL requests by top-level operation (a schema field, else "other") and outcome code ("OK" or the first error code).',
      labelNames: ['operation', 'code'],
      buckets: DURATION_BUCKETS,
    });
  }

  /** Counts one GraphQL error by code. */
  countError(code: string): void {
    this.errors.inc({ code });
  }

  /** Counts one successful disclosure. */
  countDisclosure(): void {
    this.disclosures.inc();
  }

  /** Observes one GraphQL request's duration; `operation` and `code` come from bounded sets (request-metrics.plugin). */
  observeRequest(operation: string, code: string, seconds: number): void {
    this.requests.observe({ operation, code }, seconds);
  }
}
