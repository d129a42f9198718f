import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { AccessLogRepository } from '@broker/access-log';
import { BROKER_CONFIG, type BrokerConfig } from '@broker/config';
import { TRUST_REGISTRY, type TrustRegistry } from '@broker/trust';
import { BrokerSigner } from './broker-signer';
import { CheckpointRepository } from './checkpoint.repository';
import type { CheckpointRef } from './export-format';

/**
 * Signed checkpoints of the chain head (seq, hash, time), in the spirit of Certificate
 * Transparency's signed tree heads: made every CHECKPOINT_INTERVAL_S when the head moved, and
 * for every export. Several gateways may sign the same head; the first row wins.
 */
@Injectable()
export class CheckpointService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Checkpoints');
  private timer?: NodeJS.Timeout;

  constructor(
    @Inject(CheckpointRepository) private readonly repo: CheckpointRepository,
    @Inject(AccessLogRepository) private readonly log: AccessLogRepository,
    @Inject(BrokerSigner) private readonly signer: BrokerSigner,
    @Inject(TRUST_REGISTRY) private readonly trust: TrustRegistry,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => {
      this.checkpointHead().catch((e: unknown) =>
        this.logger.warn(`checkpoint failed: ${(e as Error).message}`),
      );
    }, this.config.checkpointIntervalS * 1000);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** The head as recorded now. */
  head(): Promise<{ seq: bigint; hash: string }> {
    return this.log.head();
  }

  /** A signed checkpoint of the current head (null while the log is empty). */
  async checkpointHead(): Promise<CheckpointRef | null> {
    const head = await this.head();
    return head.seq === 0n ? null : this.checkpointAt(head.seq);
  }

  /** The signed checkpoint of entry `seq` (signing it now if none exists yet). */
  async checkpointAt(seq: bigint): Promise<CheckpointRef | null> {
    const known = await this.repo.find(seq);
    if (known) return known;
    const hash = await this.log.hashOf(seq);
    if (hash === null) return null;
    const signedAt = new Date();
    const jws = await this.signer.sign(
      { iss: this.trust.brokerId, seq: seq.toString(), hash, iat: Math.floor(signedAt.getTime() / 1000) },
      'checkpoint+jwt',
    );
    await this.repo.insert({ seq, hash, signedAt, kid: this.signer.kid, jws });
    // another gateway may have signed the same entry meanwhile: its row won
    return this.repo.find(seq);
  }
}
