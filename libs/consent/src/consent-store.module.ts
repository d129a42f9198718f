import { Module } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { BROKER_CONFIG, type BrokerConfig } from '@broker/config';
import { DATA_SOURCE } from '@broker/database';
import { CONSENT_REVOCATIONS } from './consent-revocations';
import { ConsentStore } from './consent-store';

/**
 * The consent ledger and the CONSENT_REVOCATIONS port over PostgreSQL. Needs only the global
 * DATA_SOURCE (DatabaseModule), so that a worker without HTTP can import it alone.
 */
@Module({
  providers: [
    {
      provide: ConsentStore,
      inject: [DATA_SOURCE, BROKER_CONFIG],
      useFactory: (ds: DataSource, config: BrokerConfig) => new ConsentStore(ds, config.logAppend.deadlineMs),
    },
    { provide: CONSENT_REVOCATIONS, useExisting: ConsentStore },
  ],
  exports: [ConsentStore, CONSENT_REVOCATIONS],
})
export class ConsentStoreModule {}
