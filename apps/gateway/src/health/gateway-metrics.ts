import { Injectable } from '@nestjs/common';

/** Process-local counters exposed at GET /metrics (Prometheus text format). No identifiers in labels. */
@Injectable()
export class GatewayMetrics {
  private readonly errors = new Map<string, number>();
  private disclosures = 0;

  /** Counts one GraphQL error by code. */
  countError(code: string): void {
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
  }

  /** Counts one successful disclosure. */
  countDisclosure(): void {
    this.disclosures++;
  }

  /** Prometheus exposition of the counters plus `extra` gauges and `more` lines (with their own HELP/TYPE). */
  render(extra: Record<string, number>, more: readonly string[] = []): string {
    const lines = [
      '# HELP broker_graphql_errors_total GraphQL errors answered, by code.',
      '# TYPE broker_graphql_errors_total counter',
      ...[...this.errors].map(([code, n]) => `broker_graphql_errors_total{code="${code}"} ${n}`),
      '# HELP broker_disclosures_total Successful person disclosures.',
      '# TYPE broker_disclosures_total counter',
      `broker_disclosures_total ${this.disclosures}`,
      ...Object.entries(extra).map(([k, v]) => `${k} ${v}`),
      ...more,
    ];
    return lines.join('\n') + '\n';
  }
}
