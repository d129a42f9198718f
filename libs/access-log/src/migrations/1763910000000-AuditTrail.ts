import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Auditors' actions are logged like any access (channel `audit`, with the filter they used),
 * and the broker's signed checkpoints of the chain head are kept for export manifests.
 */
export class AuditTrail1763910000000 implements MigrationInterface {
  name = 'AuditTrail1763910000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE access_log DROP CONSTRAINT access_log_channel_check`);
    await q.query(
      `ALTER TABLE access_log ADD CONSTRAINT access_log_channel_check CHECK (channel IN ('sync', 'async', 'self', 'audit'))`,
    );
    await q.query(`ALTER TABLE access_log ADD COLUMN audit_filter text`);
    await q.query(`
      CREATE TABLE access_log_checkpoint (
        seq        bigint      PRIMARY KEY,
        hash       char(64)    NOT NULL,
        signed_at  timestamptz NOT NULL,
        kid        text        NOT NULL,
        jws        text        NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE access_log_checkpoint`);
    await q.query(`ALTER TABLE access_log DROP COLUMN audit_filter`);
    await q.query(`ALTER TABLE access_log DROP CONSTRAINT access_log_channel_check`);
    await q.query(
      `ALTER TABLE access_log ADD CONSTRAINT access_log_channel_check CHECK (channel IN ('sync', 'async', 'self'))`,
    );
  }
}
