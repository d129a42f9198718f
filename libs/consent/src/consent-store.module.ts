import { Global, Module } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { BROKER_CONFIG, type BrokerConfig } from '@broker/config';
import { WITHDRAWAL_CHECK } from '@broker/access-log';
import { DATA_SOURCE } from '@broker/database';
import { CONSENT_REVOCATIONS } from './consent-revocations';
import { ConsentStore } from './consent-store';

/**
 * The consent ledger and the CONSENT_REVOCATIONS port over PostgreSQL. Needs only the global
 * DATA_SOURCE (DatabaseModule), so that a worker without HTTP can import it alone. Global, like
 * DATA_SOURCE, because the access log's appender needs WITHDRAWAL_CHECK and access-log must not
 * import this lib (the dependency runs the other way).
 */
@Global()
@Module({
  providers: [
    {
      provide: ConsentStore,
      inject: [DATA_SOURCE, BROKER_CONFIG],
      useFactory: (ds: DataSource, config: BrokerConfig) => new ConsentStore(ds, config.logAppend.deadlineMs),
    },
    { provide: CONSENT_REVOCATIONS, useExisting: ConsentStore },
    { provide: WITHDRAWAL_CHECK, useExisting: ConsentStore },
  ],
  exports: [ConsentStore, CONSENT_REVOCATIONS, WITHDRAWAL_CHECK],
})
export class ConsentStoreModule {}
