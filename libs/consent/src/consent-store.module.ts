import { Global, Module } from '@nestjs/common';
import type { DataSource } from 'typeorm';
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
    { provide: ConsentStore, inject: [DATA_SOURCE], useFactory: (ds: DataSource) => new ConsentStore(ds) },
    { provide: CONSENT_REVOCATIONS, useExisting: ConsentStore },
    { provide: WITHDRAWAL_CHECK, useExisting: ConsentStore },
  ],
  exports: [ConsentStore, CONSENT_REVOCATIONS, WITHDRAWAL_CHECK],
})
export class ConsentStoreModule {}
