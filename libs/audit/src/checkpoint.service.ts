import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { BROKER_CONFIG, type BrokerConfig } from '@broker/config';
import { DATA_SOURCE } from '@broker/database';
import { TRUST_REGISTRY, type TrustRegistry } from '@broker/trust';
import { BrokerSigner } from './broker-signer';
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
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
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
  async head(): Promise<{ seq: bigint; hash: string }> {
    const rows: { seq: string; hash: string }[] = await this.ds.query(
      'SELECT seq, hash FROM access_log_head WHERE id = 1',
    );
    return { seq: BigInt(rows[0].seq), hash: rows[0].hash };
  }

  /** A signed checkpoint of the current head (null while the log is empty). */
  async checkpointHead(): Promise<CheckpointRef | null> {
    const head = await this.head();
    return head.seq === 0n ? null : this.checkpointAt(head.seq);
  }

  /** The signed checkpoint of entry `seq` (signing it now if none exists yet). */
  async checkpointAt(seq: bigint): Promise<CheckpointRef | null> {
    const known: { seq: string; hash: string; signed_at: Date; jws: string }[] = await this.ds.query(
      'SELECT seq, hash, signed_at, jws FROM access_log_checkpoint WHERE seq = $1',
      [seq.toString()],
    );
    if (known.length)
      return {
        seq: known[0].seq,
        hash: known[0].hash,
        signedAt: known[0].signed_at.toISOString(),
        jws: known[0].jws,
      };
    const rows: { hash: string }[] = await this.ds.query(
      'SELECT hash FROM access_log WHERE seq = $1 LIMIT 1',
      [seq.toString()],
    );
    if (!rows.length) return null;
    const signedAt = new Date();
    const jws = await this.signer.sign(
      {
        iss: this.trust.brokerId,
        seq: seq.toString(),
        hash: rows[0].hash,
        iat: Math.floor(signedAt.getTime() / 1000),
      },
      'checkpoint+jwt',
    );
    await this.ds.query(
      'INSERT INTO access_log_checkpoint (seq, hash, signed_at, kid, jws) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (seq) DO NOTHING',
      [seq.toString(), rows[0].hash, signedAt, this.signer.kid, jws],
    );
    return this.checkpointAt(seq);
  }
}
