import { Module } from '@nestjs/common';
import { AccessLogModule } from '@broker/access-log';
import { ConsentModule } from '@broker/consent';
import { QuotaModule } from '@broker/quota';
import { SourcesModule } from '@broker/sources';
import { PersonDisclosureService } from './person-disclosure.service';

/** The decision and orchestration of disclosures. */
@Module({
  imports: [AccessLogModule, ConsentModule, QuotaModule, SourcesModule],
  providers: [PersonDisclosureService],
  exports: [PersonDisclosureService, ConsentModule, AccessLogModule, SourcesModule],
})
export class DisclosureModule {}
