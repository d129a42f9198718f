import { Client, type ClientConfig } from 'pg';
import { DataSource, type DataSourceOptions, type QueryRunner } from 'typeorm';
import type { DatabaseLimits } from '@broker/config';
// imported by path, not through @broker/access-log, which itself depends on this lib
import { CreateAccessLog1763900000000 } from '../../access-log/src/migrations/1763900000000-CreateAccessLog';
import { AuditTrail1763910000000 } from '../../access-log/src/migrations/1763910000000-AuditTrail';
import { BatchJobs1764100000000 } from '../../batch/src/migrations/1764100000000-BatchJobs';
import { AuditExportJobs1765302000000 } from '../../audit/src/migrations/1765302000000-AuditExportJobs';
import { BatchHeldResults1796189307643 } from '../../batch/src/migrations/1796189307643-BatchHeldResults';
import { ConsentLedger1764000000000 } from '../../consent/src/migrations/1764000000000-ConsentLedger';
import { CitizenPage1764000001000 } from '../../citizen/src/migrations/1764000001000-CitizenPage';
import { PerSourceOutcomes1796204196909 } from '../../access-log/src/migrations/1796204196909-PerSourceOutcomes';
import { TransparencyLog1796208149129 } from '../../log-tree/src/migrations/1796208149129-TransparencyLog';
import { RuntimeRole1796208256449 } from './migrations/1796208256449-RuntimeRole';
import { TransparencyLogGrants1796209917420 } from '../../log-tree/src/migrations/1796209917420-TransparencyLogGrants';

/** Every migration of the broker, in order. New ones are appended, landed ones never edited. */
export const MIGRATIONS = [
  CreateAccessLog1763900000000,
  AuditTrail1763910000000,
  ConsentLedger1764000000000,
  CitizenPage1764000001000,
  BatchJobs1764100000000,
  AuditExportJobs1765302000000,
  BatchHeldResults1796189307643,
  PerSourceOutcomes1796204196909,
  TransparencyLog1796208149129,
  RuntimeRole1796208256449,
  TransparencyLogGrants1796209917420,
];

/** The defaults of DB_* (libs/config), for callers without a BrokerConfig (benchmarks, tools). */
export const DEFAULT_DATABASE_LIMITS: DatabaseLimits = {
  poolSize: 20,
  statementTimeoutMs: 5000,
  idleInTransactionTimeoutMs: 10_000,
  queryTimeoutMs: 6000,
  connectTimeoutMs: 5000,
  keepAliveDelayMs: 10_000,
};

/**
 * pg connection settings that bound every wait: the server cancels a long statement and ends a
 * session idle in a transaction (releasing its locks, the chain head's included); the client
 * gives up on a query or a connection whose answer does not come (a stalled network never
 * answers, so server-side limits alone cannot help); TCP keepalive notices a dead peer.
 */
export function connectionLimits(limits: DatabaseLimits): ClientConfig {
  return {
    statement_timeout: limits.statementTimeoutMs || undefined,
    idle_in_transaction_session_timeout: limits.idleInTransactionTimeoutMs,
    query_timeout: limits.queryTimeoutMs || undefined,
    connectionTimeoutMillis: limits.connectTimeoutMs,
    keepAlive: true,
    keepAliveInitialDelayMillis: limits.keepAliveDelayMs,
  };
}

/** Migrations may run long (an index on a large table, the advisory lock of another migrator): no statement or query timeout. */
const MIGRATION_LIMITS: DatabaseLimits = {
  ...DEFAULT_DATABASE_LIMITS,
  poolSize: 2,
  statementTimeoutMs: 0,
  queryTimeoutMs: 0,
};

/** Creates the database named in `url` when it does not exist (as the README promises). */
export async function ensureDatabaseExists(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, '')) || 'postgres';
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString(), ...connectionLimits(MIGRATION_LIMITS) });
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
export function dataSourceOptions(
  url: string,
  limits: DatabaseLimits = DEFAULT_DATABASE_LIMITS,
  applicationName = 'once-only-broker',
): DataSourceOptions {
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
    extra: { max: limits.poolSize, application_name: applicationName, ...connectionLimits(limits) },
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

/**
 * Creates the database named in `url` when missing and applies pending migrations as the role of
 * `url` (the tables' owner), over a short-lived connection without statement timeouts.
 */
export async function migrateDatabase(url: string): Promise<string[]> {
  await ensureDatabaseExists(url);
  const migrator = new DataSource(dataSourceOptions(url, MIGRATION_LIMITS, 'once-only-broker-migrate'));
  await migrator.initialize();
  try {
    return await runMigrations(migrator);
  } finally {
    await migrator.destroy();
  }
}

/**
 * Opens a DataSource bounded by `limits` (creating the database if needed), after applying
 * pending migrations when asked, over a short-lived connection without statement timeouts.
 */
export async function openDatabase(
  url: string,
  opts: { migrate: boolean; limits?: DatabaseLimits; poolSize?: number; applicationName?: string },
): Promise<DataSource> {
  const base = opts.limits ?? DEFAULT_DATABASE_LIMITS;
  const limits = opts.poolSize ? { ...base, poolSize: opts.poolSize } : base;
  if (opts.migrate) await migrateDatabase(url);
  else await ensureDatabaseExists(url);
  const ds = new DataSource(dataSourceOptions(url, limits, opts.applicationName));
  await ds.initialize();
  return ds;
}

/** Opens a DataSource for a migration command: no statement or query timeout. */
export function openMigrator(url: string): Promise<DataSource> {
  return openDatabase(url, {
    migrate: false,
    limits: MIGRATION_LIMITS,
    applicationName: 'once-only-broker-migrate',
  });
}

/**
 * Gives `q`'s connection back to the pool, closed when `broken` says its state is unknown (a
 * query whose answer never came is still pending on it: a ROLLBACK would wait behind it).
 */
export async function releaseQueryRunner(q: QueryRunner, broken?: unknown): Promise<void> {
  if (!broken || sqlState(broken)) return q.release();
  // TypeORM's postgres runner: pg-pool closes a client released with an error instead of reusing it
  const pg = q as unknown as {
    databaseConnection?: { connection?: { stream?: { destroy(): void } } };
    releasePostgresConnection?: (err: Error) => Promise<void>;
  };
  if (typeof pg.releasePostgresConnection !== 'function') return q.release();
  const socket = pg.databaseConnection?.connection?.stream;
  await pg.releasePostgresConnection(broken instanceof Error ? broken : new Error(String(broken)));
  // at once: a graceful close would wait on a peer that does not answer
  socket?.destroy();
}

/** The SQLSTATE of a server error (its connection is healthy), or undefined (client-side: timeout, network). */
export function sqlState(e: unknown): string | undefined {
  const err = e as { code?: unknown; driverError?: { code?: unknown } };
  const code = err?.driverError?.code ?? err?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}
