import { Client } from 'pg';
import { DataSource, type DataSourceOptions } from 'typeorm';
// imported by path, not through @broker/access-log, which itself depends on this lib
import { CreateAccessLog1763900000000 } from '../../access-log/src/migrations/1763900000000-CreateAccessLog';
import { AuditTrail1763910000000 } from '../../access-log/src/migrations/1763910000000-AuditTrail';
import { BatchJobs1764100000000 } from '../../batch/src/migrations/1764100000000-BatchJobs';
import { BatchHeldResults1796189307643 } from '../../batch/src/migrations/1796189307643-BatchHeldResults';
import { ConsentLedger1764000000000 } from '../../consent/src/migrations/1764000000000-ConsentLedger';
import { CitizenPage1764000001000 } from '../../citizen/src/migrations/1764000001000-CitizenPage';

/** Every migration of the broker, in order. New ones are appended, landed ones never edited. */
export const MIGRATIONS = [
  CreateAccessLog1763900000000,
  AuditTrail1763910000000,
  ConsentLedger1764000000000,
  CitizenPage1764000001000,
  BatchJobs1764100000000,
  BatchHeldResults1796189307643,
];

/** Creates the database named in `url` when it does not exist (as the README promises). */
export async function ensureDatabaseExists(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, '')) || 'postgres';
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString(), connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) {
      try {
        await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
      } catch (e) {
        // another process created it at the same moment
        if ((e as { code?: string }).code !== '42P04') throw e;
      }
    }
  } finally {
    await client.end();
  }
}

/** TypeORM options: synchronize is off everywhere; the schema comes from MIGRATIONS only. */
export function dataSourceOptions(url: string, poolSize = 20): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    synchronize: false,
    migrationsRun: false,
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migrations',
    migrationsTransactionMode: 'each',
    entities: [],
    // off: TypeORM would print failed queries with their parameters, i.e. matricules; failures are logged by the callers without them
    logging: false,
    extra: { max: poolSize, connectionTimeoutMillis: 5000, application_name: 'once-only-broker' },
  };
}

const MIGRATION_LOCK = 746_100_213; // arbitrary, fixed: one migrator at a time across processes

/** Applies pending migrations under an advisory lock, so that many processes may boot at once. */
export async function runMigrations(ds: DataSource): Promise<string[]> {
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const done = await ds.runMigrations({ transaction: 'each' });
    return done.map((m) => m.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await runner.release();
  }
}

/** Opens a DataSource (creating the database if needed) and optionally migrates it. */
export async function openDatabase(
  url: string,
  opts: { migrate: boolean; poolSize?: number },
): Promise<DataSource> {
  await ensureDatabaseExists(url);
  const ds = new DataSource(dataSourceOptions(url, opts.poolSize));
  await ds.initialize();
  if (opts.migrate) await runMigrations(ds);
  return ds;
}
