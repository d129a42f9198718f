import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { AccessLogAppender } from '@broker/access-log';
import { BatchRepository, CHUNK_DISPATCHER, type ChunkDispatcher } from '@broker/batch';
import { MemberAuthenticatorService } from '@broker/consent';
import { BROKER_CONFIG, type BrokerConfig } from '@broker/config';
import { DATA_SOURCE } from '@broker/database';
import { LogIntegrator, LogProofsService, type LogState } from '@broker/log-tree';
import { PersonSourcesService } from '@broker/sources';
import { GatewayMetrics } from './gateway-metrics';
import { readinessReport, type SourceReadiness } from './readiness';
import { SharedCache, within } from './shared-cache';
import { renderSourceMetrics } from './source-metrics';

/** How long a readiness probe (PostgreSQL, each source, the queue) is reused. */
export const READINESS_CACHE_MS = 2000;
/** How long the metrics' gauges (queue depth, jobs by state: counts in Redis and PostgreSQL) are reused. */
export const GAUGES_CACHE_MS = 5000;
/** Longest wait for one probe or count: a stalled dependency makes a gauge absent, never a hung scrape. */
const PROBE_WAIT_MS = 2000;

interface Probes {
  database: boolean;
  /** Every source, in catalogue order. */
  sources: SourceReadiness[];
  queue: 'up' | 'down' | 'in-process';
  /** The transparency log's sizes and delays, null when the database did not answer. */
  log: LogState | null;
}

/**
 * Readiness and metrics, cheap whatever the scrape rate: what costs a database, source or Redis
 * call is computed at most once per cache period and shared by concurrent callers; counters and
 * the access log's state are read live.
 */
@Injectable()
export class HealthService {
  private readonly probes = new SharedCache<Probes>(READINESS_CACHE_MS, () => this.probe());
  private readonly gauges = new SharedCache<Record<string, number>>(GAUGES_CACHE_MS, () => this.count());

  constructor(
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    @Inject(PersonSourcesService) private readonly sources: PersonSourcesService,
    @Inject(AccessLogAppender) private readonly appender: AccessLogAppender,
    @Inject(MemberAuthenticatorService) private readonly auth: MemberAuthenticatorService,
    @Inject(GatewayMetrics) private readonly metrics: GatewayMetrics,
    @Inject(CHUNK_DISPATCHER) private readonly dispatcher: ChunkDispatcher,
    @Inject(BatchRepository) private readonly batches: BatchRepository,
    @Inject(LogProofsService) private readonly log: LogProofsService,
    @Inject(LogIntegrator) private readonly integrator: LogIntegrator,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
  ) {}

  /** Ready (HTTP 200) or not (503), with the state of each dependency and each source (readinessReport). */
  async readiness(): Promise<{ ready: boolean; body: Record<string, string> }> {
    const p = await this.probes.get();
    return readinessReport({
      database: p.database,
      sources: p.sources,
      accessLogWritable: this.appender.writable,
      queue: p.queue,
      transparencyLog: {
        state: !p.log ? 'unknown' : this.logReady(p.log) ? 'up' : 'not-ready',
        failure: this.config.transparencyLog.witnessFailure,
      },
    });
  }

  /** Every entry is in a published checkpoint, or became so recently enough. */
  private logReady(s: LogState): boolean {
    return s.publicationDelayMs <= this.config.transparencyLog.publishMaxDelayMs;
  }

  /** The Prometheus text exposition. */
  async metricsText(): Promise<string> {
    const { appended, failures, rejectedQueueFull, rejectedDeadline } = this.appender.stats;
    const extra: Record<string, number> = {
      broker_access_log_appended_total: appended,
      broker_access_log_append_failures_total: failures,
      'broker_access_log_rejected_total{reason="queue_full"}': rejectedQueueFull,
      'broker_access_log_rejected_total{reason="deadline"}': rejectedDeadline,
      broker_access_log_queued: this.appender.queued,
      broker_access_log_writable: this.appender.writable ? 1 : 0,
      broker_unauthenticated_total: this.auth.rejectedCount,
    };
    const [gauges, probes] = await Promise.all([this.gauges.get(), this.probes.get()]);
    Object.assign(extra, gauges, this.logGauges(probes.log));
    return this.metrics.render(extra, renderSourceMetrics(probes.sources, this.sources.callCounts()));
  }

  /** The transparency log's gauges: sizes, delays (integration and publication), witnesses (active integrator only). */
  private logGauges(s: LogState | null): Record<string, number> {
    const status = this.integrator.status();
    const out: Record<string, number> = {
      broker_log_integrator_active: status.role === 'active' ? 1 : 0,
    };
    if (s) {
      out.broker_log_ready = this.logReady(s) ? 1 : 0;
      out.broker_log_tree_size = s.integratedSize;
      out.broker_log_published_size = s.publishedSize;
      out.broker_log_integration_delay_seconds = s.integrationDelayMs / 1000;
      out.broker_log_publication_delay_seconds = s.publicationDelayMs / 1000;
    }
    if (status.role === 'active') {
      for (const w of status.witnesses)
        out[`broker_log_witness_cosigning{witness="${w.name.replace(/["\\\n]/g, '_')}"}`] =
          w.state === 'cosigning' ? 1 : 0;
    }
    return out;
  }

  private async probe(): Promise<Probes> {
    const [database, sources, counts, log] = await Promise.all([
      within(
        this.ds.query('SELECT 1').then(() => true),
        PROBE_WAIT_MS,
        false,
      ),
      Promise.all(
        this.sources.list().map(async (a) => ({
          name: a.name,
          authoritative: this.sources.isAuthoritative(a.name),
          up: await within(a.isReady(), PROBE_WAIT_MS, false),
        })),
      ),
      this.queueCounts(),
      within(this.log.state(), PROBE_WAIT_MS, null),
    ]);
    const queue = this.dispatcher.mode === 'in-process' ? 'in-process' : counts ? 'up' : 'down';
    return { database, sources, queue, log };
  }

  /** Queue depth and failures (BullMQ, or the in-process runner), and jobs by state (PostgreSQL). */
  private async count(): Promise<Record<string, number>> {
    const [counts, stats] = await Promise.all([
      this.queueCounts(),
      within(this.batches.stats(), PROBE_WAIT_MS, null),
    ]);
    const out: Record<string, number> = {};
    for (const [state, n] of Object.entries(counts ?? {}))
      out[`broker_batch_queue_jobs{state="${state}"}`] = n;
    out.broker_batch_queue_up = counts ? 1 : 0;
    // the database's own health is in /health/ready: without an answer, the job gauges are absent
    if (stats) {
      for (const state of ['QUEUED', 'RUNNING', 'COMPLETED', 'FAILED'])
        out[`broker_batch_jobs{state="${state}"}`] = stats.byState[state] ?? 0;
      out.broker_batch_items_pending = stats.pendingItems;
    }
    return out;
  }

  private queueCounts(): Promise<Record<string, number> | null> {
    return within(this.dispatcher.counts(), PROBE_WAIT_MS, null);
  }
}
