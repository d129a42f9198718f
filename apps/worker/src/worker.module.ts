import { Module, type DynamicModule } from '@nestjs/common';
import { BatchModule, BatchWorkerService } from '@broker/batch';
import { BrokerConfigModule, type BrokerConfig } from '@broker/config';
import { DatabaseModule } from '@broker/database';
import { TrustModule } from '@broker/trust';

/** The worker process: no HTTP; BullMQ processors for batch chunks, and the reconciler. */
@Module({})
export class WorkerModule {
  static forRoot(config: BrokerConfig): DynamicModule {
    const batch = BatchModule.forRoot({ role: 'worker' });
    return {
      module: WorkerModule,
      imports: [BrokerConfigModule.forRoot(config), TrustModule, DatabaseModule, batch],
      providers: [BatchWorkerService],
    };
  }
}
