import { Module } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { AccessLogModule } from '@broker/access-log';
import { HeldResultsModule } from '@broker/batch';
import { ConsentModule } from '@broker/consent';
import { DATA_SOURCE } from '@broker/database';
import { SourcesModule } from '@broker/sources';
import { AccessReportsRepository } from './access-reports.repository';
import { AccessReportsService } from './access-reports.service';
import { CitizenAccessLogRepository } from './citizen-access-log.repository';
import { CitizenAccessLogService } from './citizen-access-log.service';
import { CitizenAuthenticatorService } from './citizen-authenticator.service';
import { CitizenCallerService } from './citizen-caller.service';
import { CitizenConsentsService } from './citizen-consents.service';
import { DemoCitizensService } from './demo-citizens.service';
import { DevIdentityProvider } from './dev-identity-provider';
import { IssuerRevocationService } from './issuer-revocation.service';
import { SelfAccessService } from './self-access.service';

const SERVICES = [
  DevIdentityProvider,
  CitizenAuthenticatorService,
  CitizenCallerService,
  CitizenAccessLogService,
  CitizenConsentsService,
  AccessReportsService,
  SelfAccessService,
  IssuerRevocationService,
  DemoCitizensService,
];

/** The citizen page's capabilities: sign-in, own log, consents, self-access, flags, revocations. */
@Module({
  imports: [ConsentModule, AccessLogModule, SourcesModule, HeldResultsModule],
  providers: [
    ...SERVICES,
    {
      provide: CitizenAccessLogRepository,
      inject: [DATA_SOURCE],
      useFactory: (ds: DataSource) => new CitizenAccessLogRepository(ds),
    },
    {
      provide: AccessReportsRepository,
      inject: [DATA_SOURCE],
      useFactory: (ds: DataSource) => new AccessReportsRepository(ds),
    },
  ],
  exports: SERVICES,
})
export class CitizenModule {}
