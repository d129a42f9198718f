import type { DataSource } from 'typeorm';
import type { CheckpointRef } from './export-format';

interface Row {
  seq: string;
  hash: string;
  signed_at: Date;
  jws: string;
}

/** SQL of the signed checkpoints of the chain head (access_log_checkpoint). */
export class CheckpointRepository {
  constructor(private readonly ds: DataSource) {}

  /** The checkpoint of entry `seq`, if one was signed. */
  async find(seq: bigint): Promise<CheckpointRef | null> {
    const rows: Row[] = await this.ds.query(
      'SELECT seq, hash, signed_at, jws FROM access_log_checkpoint WHERE seq = $1',
      [seq.toString()],
    );
    return rows[0]
      ? { seq: rows[0].seq, hash: rows[0].hash, signedAt: rows[0].signed_at.toISOString(), jws: rows[0].jws }
      : null;
  }

  /** Stores a checkpoint unless one of `seq` exists already (several gateways may sign the same head: the first wins). */
  async insert(c: { seq: bigint; hash: string; signedAt: Date; kid: string; jws: string }): Promise<void> {
    await this.ds.query(
      'INSERT INTO access_log_checkpoint (seq, hash, signed_at, kid, jws) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (seq) DO NOTHING',
      [c.seq.toString(), c.hash, c.signedAt, c.kid, c.jws],
    );
  }
}
