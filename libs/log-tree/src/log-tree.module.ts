import { Logger, Module } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { AccessLogModule, AccessLogRepository } from '@broker/access-log';
import { BROKER_CONFIG, type BrokerConfig } from '@broker/config';
import { DATA_SOURCE } from '@broker/database';
import { Ed25519NoteSigner } from '@broker/transparency';
import { TRUST_REGISTRY, type TrustRegistry } from '@broker/trust';
import { LogIntegrator } from './log-integrator.service';
import { loadOrCreateNoteKey } from './log-note-key';
import { LogProofsService } from './log-proofs.service';
import { LogTreeRepository } from './log-tree.repository';
import { WitnessClient } from './witness-client';

/** The broker's note signer: its key name is the checkpoint origin, the trust file's brokerId. */
export const LOG_NOTE_SIGNER = Symbol('LOG_NOTE_SIGNER');

/** The witnessed transparency log in a gateway: the tree's store, its integrator, the proofs served. */
@Module({
  imports: [AccessLogModule],
  providers: [
    {
      provide: LogTreeRepository,
      inject: [DATA_SOURCE],
      useFactory: (ds: DataSource) => new LogTreeRepository(ds),
    },
    {
      provide: LOG_NOTE_SIGNER,
      inject: [BROKER_CONFIG, TRUST_REGISTRY],
      useFactory: (config: BrokerConfig, trust: TrustRegistry): Ed25519NoteSigner => {
        const key = loadOrCreateNoteKey(config.transparencyLog.noteKeyFile, config.mode);
        const signer = new Ed25519NoteSigner(trust.brokerId, key);
        const { witnesses, quorum } = trust.witnessPolicy;
        new Logger('TransparencyLog').log(
          `note key ${signer.vkey}; ${witnesses.length} witnesses, quorum ${quorum}`,
        );
        return signer;
      },
    },
    {
      provide: LogIntegrator,
      inject: [
        DATA_SOURCE,
        LogTreeRepository,
        AccessLogRepository,
        LOG_NOTE_SIGNER,
        TRUST_REGISTRY,
        BROKER_CONFIG,
      ],
      useFactory: (
        ds: DataSource,
        tree: LogTreeRepository,
        entries: AccessLogRepository,
        signer: Ed25519NoteSigner,
        trust: TrustRegistry,
        config: BrokerConfig,
      ) => {
        const { witnesses, quorum } = trust.witnessPolicy;
        const clients = witnesses.map(
          (w) => new WitnessClient(w, signer.vkey, config.transparencyLog.witnessTimeoutMs),
        );
        return new LogIntegrator(ds, tree, entries, signer, clients, {
          origin: trust.brokerId,
          intervalMs: config.transparencyLog.integrateIntervalMs,
          quorum,
        });
      },
    },
    {
      provide: LogProofsService,
      inject: [LogTreeRepository, AccessLogRepository],
      useFactory: (tree: LogTreeRepository, entries: AccessLogRepository) =>
        new LogProofsService(tree, entries),
    },
  ],
  exports: [LogTreeRepository, LogIntegrator, LogProofsService, LOG_NOTE_SIGNER],
})
export class LogTreeModule {}
