import { Module } from '@nestjs/common';
import { AccessLogModule } from '@broker/access-log';
import { ConsentModule } from '@broker/consent';
import { AuditExportService } from './audit-export.service';
import { BrokerSigner } from './broker-signer';
import { CheckpointService } from './checkpoint.service';
import { ExportJobsService } from './export-jobs.service';

/** Auditor exports, signed checkpoints and the broker's signing key. */
@Module({
  imports: [AccessLogModule, ConsentModule],
  providers: [BrokerSigner, CheckpointService, AuditExportService, ExportJobsService],
  exports: [BrokerSigner, CheckpointService, AuditExportService, ExportJobsService, ConsentModule],
})
export class AuditModule {}
