import { Inject, Injectable, Logger, Module, OnModuleInit } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { DATA_SOURCE } from '@broker/database';
import { AccessLogAppender } from './access-log-appender.service';
import { AccessLogRepository } from './access-log.repository';

/** Creates this month's and the next two months' partitions at boot (a monthly job would do the same). */
@Injectable()
class PartitionKeeper implements OnModuleInit {
  constructor(@Inject(AccessLogRepository) private readonly repo: AccessLogRepository) {}
  async onModuleInit(): Promise<void> {
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
      inject: [DATA_SOURCE, AccessLogRepository],
      useFactory: (ds: DataSource, repo: AccessLogRepository) => new AccessLogAppender(ds, repo),
    },
    PartitionKeeper,
  ],
  exports: [AccessLogAppender, AccessLogRepository],
})
export class AccessLogModule {}
