import { Controller, Get, Header, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { DataSource } from 'typeorm';
import { AccessLogAppender } from '@broker/access-log';
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
    return {
      status: ok ? 'ready' : 'not ready',
      database: database ? 'up' : 'down',
      [this.source.name]: register ? 'up' : 'down',
    };
  }

  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4')
  render(): string {
    const { appended, failures } = this.appender.stats;
    return this.metrics.render({
      broker_access_log_appended_total: appended,
      broker_access_log_append_failures_total: failures,
      broker_unauthenticated_total: this.auth.rejectedCount,
    });
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
