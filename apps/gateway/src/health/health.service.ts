import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { AccessLogAppender } from '@broker/access-log';
import { BatchRepository, CHUNK_DISPATCHER, type ChunkDispatcher } from '@broker/batch';
import { BROKER_CONFIG, type BrokerConfig } from '@broker/config';
import { DATA_SOURCE } from '@broker/database';
import { LogProofsService, type LogState } from '@broker/log-tree';
import { PersonSourcesService } from '@broker/sources';
import { readinessReport, type SourceReadiness } from './readiness';
import { SharedCache, within } from './shared-cache';

/** How long a readiness probe (PostgreSQL, each source, the queue) is reused. */
export const READINESS_CACHE_MS = 2000;
/** How long the metrics' gauges (queue depth, jobs by state: counts in Redis and PostgreSQL) are reused. */
export const GAUGES_CACHE_MS = 5000;
/** Longest wait for one probe or count: a stalled dependency makes a gauge absent, never a hung scrape. */
const PROBE_WAIT_MS = 2000;

/** What the batch gauges show; null where the queue or the database did not answer in time. */
export interface JobCounts {
  queue: Record<string, number> | null;
  jobs: { byState: Record<string, number>; pendingItems: number } | null;
}

/** Each dependency's last probe. */
export interface Probes {
  database: boolean;
  /** Every source, in catalogue order. */
  sources: SourceReadiness[];
  queue: 'up' | 'down' | 'in-process';
  /** The transparency log's sizes and delays, null when the database did not answer. */
  log: LogState | null;
}

/**
 * Readiness and the state behind the gateway's gauges (health-metrics.ts), cheap whatever the
 * probe and scrape rates: what costs a database, source or Redis call is computed at most once per
 * cache period and shared by concurrent callers.
 */
@Injectable()
export class HealthService {
  private readonly probes = new SharedCache<Probes>(READINESS_CACHE_MS, () => this.probe());
  private readonly gauges = new SharedCache<JobCounts>(GAUGES_CACHE_MS, () => this.count());

  constructor(
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    @Inject(PersonSourcesService) private readonly sources: PersonSourcesService,
    @Inject(AccessLogAppender) private readonly appender: AccessLogAppender,
    @Inject(CHUNK_DISPATCHER) private readonly dispatcher: ChunkDispatcher,
    @Inject(BatchRepository) private readonly batches: BatchRepository,
    @Inject(LogProofsService) private readonly log: LogProofsService,
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

  /** Every entry is in a published checkpoint, or became so recently enough (readiness, broker_log_ready). */
  logReady(s: LogState): boolean {
    return s.publicationDelayMs <= this.config.transparencyLog.publishMaxDelayMs;
  }

  /** Each dependency's state, probed at most once per READINESS_CACHE_MS (readiness, metrics). */
  state(): Promise<Probes> {
    return this.probes.get();
  }

  /** The batch queue's jobs by state and the batch jobs by state, read at most once per GAUGES_CACHE_MS (metrics). */
  jobCounts(): Promise<JobCounts> {
    return this.gauges.get();
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
  private async count(): Promise<JobCounts> {
    const [queue, stats] = await Promise.all([
      this.queueCounts(),
      within(this.batches.stats(), PROBE_WAIT_MS, null),
    ]);
    return { queue, jobs: stats };
  }

  private queueCounts(): Promise<Record<string, number> | null> {
    return within(this.dispatcher.counts(), PROBE_WAIT_MS, null);
  }
}
