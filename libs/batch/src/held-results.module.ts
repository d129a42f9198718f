import { Module } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { DATA_SOURCE } from '@broker/database';
import { BatchRepository } from './batch.repository';
import { HeldResultsService } from './held-results.service';

/**
 * The batch tables and the purge of held results, without the queue: the citizen page imports
 * it to purge at withdrawal, BatchModule builds on it.
 */
@Module({
  providers: [
    {
      provide: BatchRepository,
      inject: [DATA_SOURCE],
      useFactory: (ds: DataSource) => new BatchRepository(ds),
    },
    HeldResultsService,
  ],
  exports: [BatchRepository, HeldResultsService],
})
export class HeldResultsModule {}
