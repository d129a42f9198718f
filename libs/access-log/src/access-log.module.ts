import { Inject, Injectable, Logger, Module, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { BROKER_CONFIG, type BrokerConfig } from '@broker/config';
import { DATA_SOURCE, LOG_DATA_SOURCE } from '@broker/database';
import { AccessLogAppender } from './access-log-appender.service';
import { AccessLogMetrics } from './access-log-metrics';
import { AccessLogRepository } from './access-log.repository';
import { WITHDRAWAL_CHECK, type WithdrawalCheck } from './withdrawal-check';

const PARTITION_CHECK_MS = 6 * 3600 * 1000;

/**
 * Keeps this month's and the next two months' partitions in place: at boot and every six hours,
 * so a long-running gateway never writes a month into the default partition.
 */
@Injectable()
class PartitionKeeper implements OnModuleInit, OnModuleDestroy {
  private timer?: NodeJS.Timeout;
  constructor(@Inject(AccessLogRepository) private readonly repo: AccessLogRepository) {}

  async onModuleInit(): Promise<void> {
    await this.ensure();
    this.timer = setInterval(() => void this.ensure(), PARTITION_CHECK_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  private async ensure(): Promise<void> {
    try {
      await this.repo.ensurePartitions(new Date(), 2);
    } catch (e) {
      // rows already in the default partition for that month: keep running, they stay there
      new Logger('AccessLog').warn(`could not create monthly partitions: ${(e as Error).message}`);
    }
  }
}

/** The hash-chained access log: appender (group commit), repository, partition upkeep. */
@Module({
  providers: [
    {
      provide: AccessLogRepository,
      inject: [DATA_SOURCE],
      useFactory: (ds: DataSource) => new AccessLogRepository(ds),
    },
    {
      provide: AccessLogAppender,
      // its own small pool: exports and counts on DATA_SOURCE cannot starve appends;
      // WITHDRAWAL_CHECK: from the global ConsentStoreModule (libs/consent), which owns that SQL
      inject: [LOG_DATA_SOURCE, AccessLogRepository, WITHDRAWAL_CHECK, BROKER_CONFIG],
      useFactory: (
        logDs: DataSource,
        repo: AccessLogRepository,
        withdrawals: WithdrawalCheck,
        config: BrokerConfig,
      ) => new AccessLogAppender(logDs, repo, withdrawals, config.logAppend),
    },
    PartitionKeeper,
    AccessLogMetrics,
  ],
  exports: [AccessLogAppender, AccessLogRepository],
})
export class AccessLogModule {}
