import type { DataSource, QueryRunner } from 'typeorm';
import type { IsolationLevel } from 'typeorm/driver/types/IsolationLevel';
import { releaseQueryRunner, sqlState } from './database';

/**
 * The one way to run a database transaction: `work` gets a query runner inside a transaction
 * that commits when it returns and rolls back when it throws. After a client-side failure (a
 * statement whose answer never came) the connection is closed instead of rolled back: a ROLLBACK
 * would queue behind the unanswered statement, and the server ends a transaction whose
 * connection is gone. Repositories take the runner; services never write SQL.
 */
export async function withTransaction<T>(
  ds: DataSource,
  work: (q: QueryRunner) => Promise<T>,
  isolation: IsolationLevel = 'READ COMMITTED',
): Promise<T> {
  const q = ds.createQueryRunner();
  let broken: unknown;
  try {
    await q.connect();
    await q.startTransaction(isolation);
    const out = await work(q);
    await q.commitTransaction();
    return out;
  } catch (e) {
    if (sqlState(e) === undefined && isClientSide(e)) broken = e;
    else if (q.isTransactionActive) await q.rollbackTransaction().catch(() => undefined);
    throw e;
  } finally {
    await releaseQueryRunner(q, broken);
  }
}

/** A failure of the connection or of a statement's answer (no SQLSTATE), as opposed to an error of `work`'s own logic. */
function isClientSide(e: unknown): boolean {
  const msg = e instanceof Error ? e.message : '';
  return /timeout|terminated|ECONNRESET|Connection/i.test(msg);
}
