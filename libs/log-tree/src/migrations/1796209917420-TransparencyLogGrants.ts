import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The runtime role's rights on the transparency log's tables, which existed before the role's
 * grants were written (RuntimeRole1796208256449): the integrator inserts tree nodes (never
 * changes one: their trigger refuses it anyway), moves the tree head, records and publishes
 * checkpoints, and keeps each witness's last cosigned size. Nothing may be deleted.
 */
export class TransparencyLogGrants1796209917420 implements MigrationInterface {
  name = 'TransparencyLogGrants1796209917420';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      DO $$
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'broker_runtime') THEN
          RAISE NOTICE 'role broker_runtime is missing: no grants made (docs/operations.md)';
          RETURN;
        END IF;
        GRANT SELECT, INSERT ON log_tree_node TO broker_runtime;
        GRANT SELECT, UPDATE (size, root, updated_at) ON log_tree_head TO broker_runtime;
        GRANT SELECT, INSERT, UPDATE (published, cosigned_note, published_at) ON log_checkpoint TO broker_runtime;
        GRANT SELECT, INSERT, UPDATE ON log_witness_state TO broker_runtime;
      END
      $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DO $$
      BEGIN
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'broker_runtime') THEN
          REVOKE ALL ON log_tree_node, log_tree_head, log_checkpoint, log_witness_state FROM broker_runtime;
        END IF;
      END
      $$`);
  }
}
