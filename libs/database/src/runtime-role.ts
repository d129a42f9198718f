import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { Client } from 'pg';
import type { BrokerConfig } from '@broker/config';

/** The NOLOGIN group role that holds the broker's runtime rights (created or expected by the RuntimeRole migration). */
export const RUNTIME_GROUP_ROLE = 'broker_runtime';

/** Roles are cluster-wide: one setup at a time across processes, under a lock taken in the `postgres` database. */
const ROLE_SETUP_LOCK = 746_100_214;

/** What the broker connects its pools with, and why. */
export interface RuntimeConnection {
  /** The URL the pools use. */
  url: string;
  /** The role they connect as. */
  role: string;
  /** True when the development setup created or reused DB_RUNTIME_ROLE for them. */
  setUp: boolean;
}

function withUser(url: string, user: string, password: string | undefined): string {
  const u = new URL(url);
  u.username = encodeURIComponent(user);
  u.password = password ? encodeURIComponent(password) : '';
  return u.toString();
}

function onDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

function userOf(url: string): string {
  return decodeURIComponent(new URL(url).username) || process.env.PGUSER || process.env.USER || 'postgres';
}

/** The password of the development login role: generated once (mode 0600), then read. */
async function runtimePassword(file: string): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  await mkdir(path.dirname(file), { recursive: true });
  const password = randomBytes(24).toString('base64url');
  try {
    // 'wx': another process may have written it meanwhile; then its password is the one
    await writeFile(file, `${password}\n`, { mode: 0o600, flag: 'wx' });
    return password;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    return (await readFile(file, 'utf8')).trim();
  }
}

/** Runs `sql`, ignoring "already exists" from a concurrent creator (42710, or 23505 on the catalogue's index). */
async function idempotent(c: Client, sql: string): Promise<void> {
  try {
    await c.query(sql);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code !== '42710' && code !== '23505') throw e;
  }
}

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * Ensures, as the role of `adminUrl` (a superuser or a role with CREATEROLE), the NOLOGIN group
 * role `broker_runtime` and the LOGIN role `login`, a member of it, with `password` when given.
 * Idempotent and safe when several processes do it at once.
 */
export async function ensureRuntimeLogin(adminUrl: string, login: string, password?: string): Promise<void> {
  const c = new Client({ connectionString: onDatabase(adminUrl, 'postgres'), connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    await c.query('SELECT pg_advisory_lock($1)', [ROLE_SETUP_LOCK]);
    const exists = async (name: string) =>
      ((await c.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [name])).rowCount ?? 0) > 0;
    if (!(await exists(RUNTIME_GROUP_ROLE))) await idempotent(c, `CREATE ROLE ${RUNTIME_GROUP_ROLE} NOLOGIN`);
    if (!(await exists(login))) await idempotent(c, `CREATE ROLE ${ident(login)} LOGIN`);
    const attrs = await c.query<{ rolsuper: boolean; rolcanlogin: boolean; member: boolean }>(
      `SELECT r.rolsuper, r.rolcanlogin, pg_has_role(r.oid, $2, 'MEMBER') AS member
       FROM pg_roles r WHERE r.rolname = $1`,
      [login, RUNTIME_GROUP_ROLE],
    );
    const a = attrs.rows[0];
    // a name already taken by a powerful role would defeat the point: refuse rather than use it
    if (a.rolsuper) throw new Error(`DB_RUNTIME_ROLE ${login} is a superuser: choose another name`);
    if (!a.rolcanlogin) await c.query(`ALTER ROLE ${ident(login)} LOGIN`);
    if (!a.member) await idempotent(c, `GRANT ${RUNTIME_GROUP_ROLE} TO ${ident(login)}`);
    if (password) {
      // pg escapes the literal; the statement is not logged by the broker
      const literal = `'${password.replace(/'/g, "''")}'`;
      await c.query(`ALTER ROLE ${ident(login)} PASSWORD ${literal}`);
    }
  } finally {
    await c.query('SELECT pg_advisory_unlock($1)', [ROLE_SETUP_LOCK]).catch(() => undefined);
    await c.end();
  }
}

/** Whether the role of `url` may create roles, and whether it is already a runtime role. */
async function rightsOf(url: string): Promise<{ createsRoles: boolean; runtime: boolean }> {
  const c = new Client({ connectionString: onDatabase(url, 'postgres'), connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    const r = await c.query<{ creates: boolean; runtime: boolean }>(
      `SELECT rolsuper OR rolcreaterole AS creates,
              NOT rolsuper AND EXISTS (SELECT 1 FROM pg_roles g WHERE g.rolname = $1
                                       AND pg_has_role(current_user, g.oid, 'MEMBER')) AS runtime
       FROM pg_roles WHERE rolname = current_user`,
      [RUNTIME_GROUP_ROLE],
    );
    return { createsRoles: r.rows[0]?.creates ?? false, runtime: r.rows[0]?.runtime ?? false };
  } finally {
    await c.end();
  }
}

/**
 * The URL of the broker's pools. With DB_ROLE_SETUP=auto (development) and a DATABASE_URL whose
 * role may create roles, the login role DB_RUNTIME_ROLE (member of `broker_runtime`) on the same
 * server and database; its password, generated under .data/, is set only when DATABASE_URL
 * carries one (password authentication). Otherwise DATABASE_URL as given.
 */
export async function runtimeConnection(config: BrokerConfig): Promise<RuntimeConnection> {
  const given: RuntimeConnection = {
    url: config.databaseUrl,
    role: userOf(config.databaseUrl),
    setUp: false,
  };
  if (config.dbRoleSetup !== 'auto') return given;
  const rights = await rightsOf(config.databaseUrl);
  if (rights.runtime || !rights.createsRoles) return given;
  const password = new URL(config.databaseUrl).password
    ? await runtimePassword(path.resolve(config.dbRuntimePasswordFile))
    : undefined;
  await ensureRuntimeLogin(config.databaseUrl, config.dbRuntimeRole, password);
  return {
    url: withUser(config.databaseUrl, config.dbRuntimeRole, password),
    role: config.dbRuntimeRole,
    setUp: true,
  };
}

/** The URL migrations run with: DATABASE_OWNER_URL, else DATABASE_URL. */
export function ownerUrl(config: Pick<BrokerConfig, 'databaseUrl' | 'databaseOwnerUrl'>): string {
  return config.databaseOwnerUrl ?? config.databaseUrl;
}

/**
 * Why the role behind `query` could rewrite the access log, or undefined when it cannot: a
 * superuser, the owner of access_log (or a member of its owner), or a holder of UPDATE, DELETE or
 * TRUNCATE on it.
 */
export async function logRewriteRights(
  query: (sql: string) => Promise<{ role: string; superuser: boolean; owner: boolean; writes: boolean }[]>,
): Promise<string | undefined> {
  const [r] = await query(
    `SELECT current_user AS role, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser,
            pg_has_role(current_user, c.relowner, 'MEMBER') AS owner,
            has_table_privilege(c.oid, 'UPDATE') OR has_table_privilege(c.oid, 'DELETE')
              OR has_table_privilege(c.oid, 'TRUNCATE') AS writes
     FROM pg_class c WHERE c.oid = to_regclass('access_log')`,
  );
  if (!r) return undefined;
  if (r.superuser) return `${r.role} is a superuser`;
  if (r.owner) return `${r.role} owns access_log`;
  if (r.writes) return `${r.role} may update, delete or truncate access_log`;
  return undefined;
}
