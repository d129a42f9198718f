import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Several authentic sources behind one request: each entry records which source holds each
 * requested item (`item_sources`, `item:source`) and which items failed while the others were
 * disclosed (`items_failed`). Both are null on older entries, whose hashes do not include them.
 */
export class PerSourceOutcomes1796204196909 implements MigrationInterface {
  name = 'PerSourceOutcomes1796204196909';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE access_log ADD COLUMN item_sources text[], ADD COLUMN items_failed text[]`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE access_log DROP COLUMN item_sources, DROP COLUMN items_failed`);
  }
}
