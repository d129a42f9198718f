import { Module, type DynamicModule } from '@nestjs/common';
import { AUDIT_EXPORT_QUEUE, AuditWorkerModule, ExportJobsWorker } from '@broker/audit';
import { BatchModule, BatchWorkerService, PERSON_BATCH_QUEUE } from '@broker/batch';
import { BrokerConfigModule, type BrokerConfig } from '@broker/config';
import { DatabaseModule } from '@broker/database';
import { MetricsModule } from '@broker/metrics';
import { TelemetryModule } from '@broker/telemetry';
import { TrustModule } from '@broker/trust';
import { buildJobRegistry, type QueueProcessorRegistration } from './job-registry';

/** Every queue of the broker: a worker consumes them all unless WORKER_QUEUES names fewer. */
export const BROKER_QUEUES = [PERSON_BATCH_QUEUE, AUDIT_EXPORT_QUEUE];

/** The processor of each queue (the job registry checks that each consumed queue has exactly one). */
export const QUEUE_PROCESSORS: QueueProcessorRegistration[] = [
  { queue: PERSON_BATCH_QUEUE, processor: BatchWorkerService },
  { queue: AUDIT_EXPORT_QUEUE, processor: ExportJobsWorker },
];

/** The worker process: no public HTTP (only its loopback /metrics); BullMQ processors for batch chunks and export jobs, and the reconciler. */
@Module({})
export class WorkerModule {
  /** Throws a JobRegistryError (the worker does not boot) when a queue has no processor or two. */
  static forRoot(config: BrokerConfig, queues: readonly string[] = BROKER_QUEUES): DynamicModule {
    const registry = buildJobRegistry(queues, QUEUE_PROCESSORS);
    const batch = BatchModule.forRoot({ role: 'worker' });
    return {
      module: WorkerModule,
      imports: [
        BrokerConfigModule.forRoot(config),
        // the worker's /metrics on loopback WORKER_METRICS_PORT: jobs, queue depth, sources, log appends, process
        MetricsModule.forRoot({
          port: config.workerMetricsPort,
          explicit: config.workerMetricsPortExplicit,
          variable: 'WORKER_METRICS_PORT',
        }),
        TrustModule,
        DatabaseModule,
        batch,
        AuditWorkerModule,
        TelemetryModule,
      ],
      providers: [...new Set(registry.values())],
    };
  }
}
