import { Module, type Provider } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { AccessLogModule } from '@broker/access-log';
import { ConsentModule } from '@broker/consent';
import { DATA_SOURCE } from '@broker/database';
import { LogTreeRepository } from '@broker/log-tree';
import { AuditExportService } from './audit-export.service';
import { BrokerSigner } from './broker-signer';
import { CheckpointRepository } from './checkpoint.repository';
import { CheckpointService } from './checkpoint.service';
import { ExportFilesCleaner } from './export-files.cleaner';
import { ExportJobProcessor } from './export-job.processor';
import { ExportJobsRepository } from './export-jobs.repository';
import { ExportJobsService } from './export-jobs.service';

const SHARED: Provider[] = [
  BrokerSigner,
  // the manifests' anchors read published checkpoints and tree nodes (not the integrator)
  {
    provide: LogTreeRepository,
    inject: [DATA_SOURCE],
    useFactory: (ds: DataSource) => new LogTreeRepository(ds),
  },
  {
    provide: CheckpointRepository,
    inject: [DATA_SOURCE],
    useFactory: (ds: DataSource) => new CheckpointRepository(ds),
  },
  CheckpointService,
  AuditExportService,
  {
    provide: ExportJobsRepository,
    inject: [DATA_SOURCE],
    useFactory: (ds: DataSource) => new ExportJobsRepository(ds),
  },
  ExportJobProcessor,
  ExportFilesCleaner,
];

/** Auditor exports, signed checkpoints and the broker's signing key (the gateway's side: export jobs are queued). */
@Module({
  imports: [AccessLogModule, ConsentModule],
  providers: [...SHARED, ExportJobsService],
  exports: [
    BrokerSigner,
    CheckpointService,
    AuditExportService,
    ExportJobsService,
    ExportFilesCleaner,
    ExportJobsRepository,
    ConsentModule,
  ],
})
export class AuditModule {}

/**
 * The worker's side of auditor exports: what ExportJobsWorker (the `audit-export.v2` processor,
 * which the worker's job registry provides) needs to write files and delete expired ones.
 */
@Module({
  imports: [AccessLogModule, ConsentModule],
  providers: SHARED,
  exports: [ExportJobProcessor, ExportFilesCleaner],
})
export class AuditWorkerModule {}
