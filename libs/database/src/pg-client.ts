import type { DataSource } from 'typeorm';
import { sqlState } from './database';

/** A query as node-postgres takes it; `name` makes it a prepared statement on the connection. */
export interface PgQueryConfig {
  name?: string;
  text: string;
  values?: unknown[];
}

/** The part of a node-postgres client (checked out of the pool) that hot paths use. */
export interface PgClient {
  query<R = Record<string, unknown>>(config: PgQueryConfig): Promise<{ rows: R[]; rowCount: number | null }>;
  release(err?: Error): void;
}

/** The part of node-postgres's pool that hot paths use. */
export interface PgPool {
  connect(): Promise<PgClient>;
  query<R = Record<string, unknown>>(config: PgQueryConfig): Promise<{ rows: R[] }>;
}

/**
 * node-postgres's pool under a TypeORM DataSource (its PostgresDriver keeps it as `master`): the
 * same connections, pool size and statement and query timeouts, without a QueryRunner, its
 * logging and its result wrapping around every statement. Throws when the DataSource is not
 * initialised or already destroyed (its pool is gone).
 */
export function pgPool(ds: DataSource): PgPool {
  const pool = (ds.driver as { master?: PgPool }).master;
  if (!pool || typeof pool.connect !== 'function') {
    throw new Error('the database connection pool is not open (DataSource not initialised or destroyed)');
  }
  return pool;
}

/** Statement texts this process prepares by name, at most MAX_NAMED (beyond, a text is parsed each time). */
const names = new Map<string, string>();
const MAX_NAMED = 64;

/**
 * The name under which `text` is a prepared statement on every connection of this process
 * (parsed and planned once per connection instead of once per call), or undefined once
 * MAX_NAMED texts have names: only constant texts should come here, never built ones.
 */
export function statementName(text: string): string | undefined {
  let name = names.get(text);
  if (name === undefined && names.size < MAX_NAMED) {
    name = `broker_stmt_${names.size + 1}`;
    names.set(text, name);
  }
  return name;
}

/**
 * `q.query(sql, params)` as a TypeORM QueryRunner answers it (the rows), on a node-postgres
 * client, each text a named prepared statement: for ports that take "the caller's open
 * transaction" (the withdrawal check) when the caller holds a pg client.
 */
export function pgRunner(client: PgClient): { query(sql: string, params?: unknown[]): Promise<unknown[]> } {
  return {
    query: async (text, values) => (await client.query({ name: statementName(text), text, values })).rows,
  };
}

/**
 * Gives `client` back to the pool, closed when `broken` says its state is unknown (a statement
 * whose answer never came is still pending on it): as releaseQueryRunner, for a pg client.
 */
export function releasePgClient(client: PgClient, broken?: unknown): void {
  if (!broken || sqlState(broken)) return client.release();
  const socket = (client as { connection?: { stream?: { destroy(): void } } }).connection?.stream;
  // pg-pool removes a client released with an error instead of reusing it
  client.release(broken instanceof Error ? broken : new Error(String(broken)));
  // at once: a graceful close would wait on a peer that does not answer
  socket?.destroy();
}
