import { Logger, Module, type DynamicModule } from '@nestjs/common';
import { AccessLogModule } from '@broker/access-log';
import { BrokerSigner, redisAnswers } from '@broker/audit';
import { BROKER_CONFIG, type BrokerConfig } from '@broker/config';
import { ConsentModule } from '@broker/consent';
import { SourcesModule } from '@broker/sources';
import { TRUST_REGISTRY, type TrustRegistry } from '@broker/trust';
import { BatchNotifier } from './batch-notifier.service';
import { BatchProcessorService } from './batch-processor.service';
import { BatchQueryService } from './batch-query.service';
import { BatchReconciler, RECONCILE } from './batch-reconciler.service';
import { BatchSubmissionService } from './batch-submission.service';
import { BullMqDispatcher, queuePrefix } from './bullmq-dispatcher';
import { CHUNK_DISPATCHER, type ChunkDispatcher } from './chunk-dispatcher';
import { HeldResultsModule } from './held-results.module';
import { InProcessDispatcher } from './in-process-dispatcher';
import { ResultsCipher, loadOrCreateResultsKey } from './results-cipher';

export interface BatchModuleOptions {
  /** `gateway`: submits and reads; runs jobs itself only without Redis (development). `worker`: always BullMQ, reconciles. */
  role: 'gateway' | 'worker';
}

/** Asynchronous and bulk fetches: submission, processing, reconciliation, results. */
@Module({})
export class BatchModule {
  static forRoot(options: BatchModuleOptions): DynamicModule {
    return {
      module: BatchModule,
      imports: [AccessLogModule, ConsentModule, SourcesModule, HeldResultsModule],
      providers: [
        {
          provide: ResultsCipher,
          inject: [BROKER_CONFIG],
          useFactory: async (c: BrokerConfig) =>
            new ResultsCipher(await loadOrCreateResultsKey(c.batchResultsKeyFile, c.mode)),
        },
        BrokerSigner,
        BatchNotifier,
        BatchProcessorService,
        BatchSubmissionService,
        BatchQueryService,
        {
          provide: CHUNK_DISPATCHER,
          inject: [BROKER_CONFIG, TRUST_REGISTRY, BatchProcessorService, BatchNotifier],
          useFactory: async (
            c: BrokerConfig,
            trust: TrustRegistry,
            processor: BatchProcessorService,
            notifier: BatchNotifier,
          ): Promise<ChunkDispatcher> => {
            const logger = new Logger('Batch');
            const prefix = queuePrefix(trust.brokerId, c.databaseUrl);
            if (
              options.role === 'worker' ||
              c.batchExecution === 'queue' ||
              (await redisAnswers(c.redisUrl))
            ) {
              if (options.role === 'gateway')
                logger.log(`batch jobs go through BullMQ at ${new URL(c.redisUrl).host}`);
              return new BullMqDispatcher(c, prefix);
            }
            logger.warn(
              `no Redis answers at ${new URL(c.redisUrl).host}: batch jobs run in-process in this gateway (development only)`,
            );
            return new InProcessDispatcher(processor, c, (id) => void notifier.jobFinished(id));
          },
        },
        {
          provide: RECONCILE,
          inject: [CHUNK_DISPATCHER],
          useFactory: (d: ChunkDispatcher) => options.role === 'worker' || d.mode === 'in-process',
        },
        BatchReconciler,
        {
          provide: 'BATCH_DISPATCHER_CLOSER',
          inject: [CHUNK_DISPATCHER],
          useFactory: (d: ChunkDispatcher) => ({ onApplicationShutdown: () => d.close() }),
        },
      ],
      exports: [
        BatchSubmissionService,
        BatchQueryService,
        BatchProcessorService,
        BatchReconciler,
        BatchNotifier,
        HeldResultsModule,
        CHUNK_DISPATCHER,
      ],
    };
  }
}
