import { Controller, Get, Header, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { DataSource } from 'typeorm';
import { AccessLogAppender } from '@broker/access-log';
import { BatchRepository, CHUNK_DISPATCHER, type ChunkDispatcher } from '@broker/batch';
import { MemberAuthenticatorService } from '@broker/consent';
import { DATA_SOURCE } from '@broker/database';
import { PERSON_SOURCE, type PersonSource } from '@broker/sources';
import { GatewayMetrics } from './gateway-metrics';

/** Liveness, readiness (PostgreSQL and the register both answer) and metrics. */
@Controller()
export class HealthController {
  constructor(
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    @Inject(PERSON_SOURCE) private readonly source: PersonSource,
    @Inject(AccessLogAppender) private readonly appender: AccessLogAppender,
    @Inject(MemberAuthenticatorService) private readonly auth: MemberAuthenticatorService,
    @Inject(GatewayMetrics) private readonly metrics: GatewayMetrics,
    @Inject(CHUNK_DISPATCHER) private readonly dispatcher: ChunkDispatcher,
    @Inject(BatchRepository) private readonly batches: BatchRepository,
  ) {}

  @Get('health/live')
  live(): { status: string } {
    return { status: 'ok' };
  }

  @Get('health/ready')
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<Record<string, string>> {
    const [database, register] = await Promise.all([this.databaseReady(), this.source.isReady()]);
    const ok = database && register;
    void reply.status(ok ? 200 : 503);
    // the queue does not decide readiness: submissions are kept in PostgreSQL and queued later
    const queue =
      this.dispatcher.mode === 'in-process' ? 'in-process' : (await this.queueCounts()) ? 'up' : 'down';
    return {
      status: ok ? 'ready' : 'not ready',
      database: database ? 'up' : 'down',
      [this.source.name]: register ? 'up' : 'down',
      queue,
    };
  }

  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4')
  async render(): Promise<string> {
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
    // queue depth and failures (BullMQ, or the in-process runner), and jobs by state (PostgreSQL)
    const counts = await this.queueCounts();
    for (const [state, n] of Object.entries(counts ?? {}))
      extra[`broker_batch_queue_jobs{state="${state}"}`] = n;
    extra.broker_batch_queue_up = counts ? 1 : 0;
    try {
      const stats = await this.batches.stats();
      for (const state of ['QUEUED', 'RUNNING', 'COMPLETED', 'FAILED'])
        extra[`broker_batch_jobs{state="${state}"}`] = stats.byState[state] ?? 0;
      extra.broker_batch_items_pending = stats.pendingItems;
    } catch {
      // the database's own health is in /health/ready
    }
    return this.metrics.render(extra);
  }

  private queueCounts(): Promise<Record<string, number> | null> {
    return this.dispatcher.counts().catch(() => null);
  }

  private async databaseReady(): Promise<boolean> {
    try {
      await Promise.race([
        this.ds.query('SELECT 1'),
        new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000).unref()),
      ]);
      return true;
    } catch {
      return false;
    }
  }
}
