import { Inject, Injectable } from '@nestjs/common';
import type { Registry } from 'prom-client';
import { MemberAuthenticatorService } from '@broker/consent';
import { LogIntegrator, type LogState } from '@broker/log-tree';
import { RequestRateLimiter } from '@broker/quota';
import { labelWord, METRICS_REGISTRY, sampledCounter, sampledGauge, type Sample } from '@broker/metrics';
import { HealthService } from './health.service';

const JOB_STATES = ['QUEUED', 'RUNNING', 'COMPLETED', 'FAILED'];

/** The transparency log's figures of one probe (absent when the database did not answer). */
function logSamples(s: LogState | null, pick: (s: LogState) => number): Sample[] {
  return s ? [{ value: pick(s) }] : [];
}

/**
 * The gateway's scrape-time gauges, read from HealthService's cached probes (a scrape costs no
 * database, source or Redis call beyond the probes readiness makes anyway): sources' readiness,
 * the transparency log, the batch queue and jobs, and the member authenticator's refusals.
 * Metric names and labels are those of the hand-written exposition they replace.
 */
@Injectable()
export class HealthMetrics {
  constructor(
    @Inject(METRICS_REGISTRY) registry: Registry,
    @Inject(HealthService) health: HealthService,
    @Inject(LogIntegrator) integrator: LogIntegrator,
    @Inject(MemberAuthenticatorService) auth: MemberAuthenticatorService,
    @Inject(RequestRateLimiter) quota: RequestRateLimiter,
  ) {
    const log = async (pick: (s: LogState) => number) => logSamples((await health.state()).log, pick);
    const gauge = (name: string, help: string, read: () => Promise<Sample[]> | Sample[]) =>
      sampledGauge(registry, { name, help, read });

    sampledCounter(registry, {
      name: 'broker_unauthenticated_total',
      help: 'Requests refused because the member assertion was missing or invalid.',
      read: () => [{ value: auth.rejectedCount }],
    });
    sampledCounter(registry, {
      name: 'broker_quota_fallback_decisions_total',
      help: 'Quota decisions this process took alone because Redis did not answer (quotas are then per process).',
      read: () => [{ value: quota.insuredDecisions() }],
    });
    sampledGauge(registry, {
      name: 'broker_source_ready',
      help: 'Whether the source answered its last health probe (1) or not (0).',
      labelNames: ['source'],
      read: async () =>
        (await health.state()).sources.map((s) => ({ labels: { source: s.name }, value: s.up ? 1 : 0 })),
    });

    gauge('broker_log_integrator_active', 'This gateway holds the integrator lock (1) or not (0).', () => [
      { value: integrator.status().role === 'active' ? 1 : 0 },
    ]);
    gauge(
      'broker_log_ready',
      'Every entry is in a published checkpoint, or became so within LOG_PUBLISH_MAX_DELAY_MS.',
      () => health.state().then((p) => logSamples(p.log, (s) => (health.logReady(s) ? 1 : 0))),
    );
    gauge('broker_log_tree_size', 'Entries integrated in the transparency log tree.', () =>
      log((s) => s.integratedSize),
    );
    gauge('broker_log_published_size', 'Tree size of the latest published (witnessed) checkpoint.', () =>
      log((s) => s.publishedSize),
    );
    gauge(
      'broker_log_integration_delay_seconds',
      'Age of the oldest entry not yet in the tree (0 when none).',
      () => log((s) => s.integrationDelayMs / 1000),
    );
    gauge(
      'broker_log_publication_delay_seconds',
      'Age of the oldest entry not yet covered by a published checkpoint (0 when none).',
      () => log((s) => s.publicationDelayMs / 1000),
    );
    gauge(
      'broker_log_checkpoint_age_seconds',
      'Age of the latest published checkpoint (absent before the first one).',
      async () => {
        const s = (await health.state()).log;
        return s?.checkpointAgeMs != null ? [{ value: s.checkpointAgeMs / 1000 }] : [];
      },
    );
    // witnesses are asked by the active integrator only: the other gateways show none. Their names
    // come from the trust file (an operator's bounded list, no personal data); prom-client escapes them

    sampledGauge(registry, {
      name: 'broker_log_witness_cosigning',
      help: 'Whether the witness cosigned the last checkpoint it was asked to (1) or not (0); active integrator only.',
      labelNames: ['witness'],
      read: () => {
        const st = integrator.status();
        return st.role !== 'active'
          ? []
          : st.witnesses.map((w) => ({
              labels: { witness: w.name },
              value: w.state === 'cosigning' ? 1 : 0,
            }));
      },
    });
    sampledCounter(registry, {
      name: 'broker_log_witness_failures_total',
      help: 'Cosignature requests a witness refused or did not answer, by witness (this process, since boot).',
      labelNames: ['witness'],
      read: () =>
        integrator.status().witnesses.map((w) => ({ labels: { witness: w.name }, value: w.failures })),
    });

    sampledGauge(registry, {
      name: 'broker_batch_queue_jobs',
      help: 'Batch chunks in the queue, by BullMQ state (waiting, active, delayed, failed: the dead letters...).',
      labelNames: ['state'],
      read: async () =>
        Object.entries((await health.jobCounts()).queue ?? {}).map(([state, n]) => ({
          labels: { state: labelWord(state) },
          value: n,
        })),
    });
    gauge('broker_batch_queue_up', 'The batch queue answered its last count (1) or not (0).', async () => [
      { value: (await health.jobCounts()).queue ? 1 : 0 },
    ]);
    // the database's own health is in /health/ready: without an answer, the job gauges are absent
    sampledGauge(registry, {
      name: 'broker_batch_jobs',
      help: 'Batch jobs by state (PostgreSQL).',
      labelNames: ['state'],
      read: async () => {
        const jobs = (await health.jobCounts()).jobs;
        return jobs
          ? JOB_STATES.map((state) => ({ labels: { state }, value: jobs.byState[state] ?? 0 }))
          : [];
      },
    });
    gauge('broker_batch_items_pending', 'Batch items not yet settled (PostgreSQL).', async () => {
      const jobs = (await health.jobCounts()).jobs;
      return jobs ? [{ value: jobs.pendingItems }] : [];
    });
  }
}
