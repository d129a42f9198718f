import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Results held under a consent are purged as soon as it is withdrawn or expires: find a
 * consent's open items (pending ones too, whose release may be committing as the withdrawal
 * lands) and the released results whose consent has expired without scanning every item.
 */
export class BatchHeldResults1796189307643 implements MigrationInterface {
  name = 'BatchHeldResults1796189307643';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX batch_item_open_consent ON batch_item ((consent->>'jti'))
       WHERE state IN ('PENDING', 'RELEASED')`,
    );
    await q.query(
      `CREATE INDEX batch_item_released_expiry ON batch_item (((consent->>'exp')::numeric))
       WHERE state = 'RELEASED'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX batch_item_released_expiry`);
    await q.query(`DROP INDEX batch_item_open_consent`);
  }
}
