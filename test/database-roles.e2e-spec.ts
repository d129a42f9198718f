/**
 * Least privilege: the broker migrates as the tables' owner and connects as a member of
 * `broker_runtime`, which may append to the access log but neither update, delete, truncate,
 * alter nor drop it, nor switch its triggers off; the appender's head moves forward only. The
 * same role serves the broker's ordinary paths end to end (every e2e file's gateway runs as it:
 * startTestBroker is development mode over a superuser's DATABASE_URL).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { loadBrokerConfig } from '@broker/config';
import { migrateDatabase, runtimeConnection, RUNTIME_GROUP_ROLE } from '@broker/database';
import { GRANTED_PURPOSE, createTestDatabase, mintConsent, mintMemberAssertion, sql } from '@broker/testing';
import {
  gql,
  personQuery,
  runCli,
  startSimulator,
  startTestBroker,
  type TestBroker,
  type TestSimulator,
} from './support/test-broker';

/** The SQLSTATE `text` fails with as `c`'s role (inside a savepoint, so `c` stays usable), or 'ok'. */
async function outcome(c: Client, text: string): Promise<string> {
  await c.query('BEGIN');
  try {
    await c.query(text);
    return 'ok';
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  } finally {
    await c.query('ROLLBACK');
  }
}

function asUser(url: string, user: string): string {
  const u = new URL(url);
  u.username = user;
  u.password = '';
  return u.toString();
}

/** The role the tests' server URL names: the tables' owner. */
const ownerOf = (url: string) => decodeURIComponent(new URL(url).username) || 'postgres';

const ENTRY = `INSERT INTO access_log (seq, occurred_at, channel, member_id, items_requested, items_disclosed,
                 outcome, correlation_id, prev_hash, hash)
               VALUES ($1, now(), 'sync', 'member', '{name}', '{name}', 'DISCLOSED', $2, repeat('0', 64), repeat('1', 64))`;

describe('database roles (the runtime role against real PostgreSQL)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let runtime: Client;
  let role: string;

  beforeAll(async () => {
    db = await createTestDatabase('broker_roles');
    await migrateDatabase(db.url);
    const conn = await runtimeConnection(
      loadBrokerConfig({ BROKER_MODE: 'development', DATABASE_URL: db.url }, 'tool'),
    );
    role = conn.role;
    runtime = new Client({ connectionString: conn.url });
    await runtime.connect();
    // the current month's partition, as the appender makes it at boot
    await runtime.query('SELECT access_log_ensure_month(current_date)');
  });

  afterAll(async () => {
    await runtime?.end();
    await db?.drop();
  });

  it('connects as a login role that is a member of broker_runtime, neither superuser nor owner', async () => {
    expect(role).toBe('broker_app');
    const [r] = (
      await runtime.query<{ user: string; superuser: boolean; member: boolean; owner: string }>(
        `SELECT current_user AS user, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser,
                pg_has_role(current_user, $1, 'MEMBER') AS member,
                (SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'access_log') AS owner`,
        [RUNTIME_GROUP_ROLE],
      )
    ).rows;
    expect(r).toEqual({ user: 'broker_app', superuser: false, member: true, owner: ownerOf(db.url) });
  });

  it('may append to the access log and read it', async () => {
    const cid = `roles-${randomUUID()}`;
    await runtime.query(ENTRY, [1, cid]);
    const rows = await runtime.query('SELECT seq FROM access_log WHERE correlation_id = $1', [cid]);
    expect(rows.rowCount).toBe(1);
  });

  it.each([
    ['UPDATE', "UPDATE access_log SET purpose = 'x'"],
    ['DELETE', 'DELETE FROM access_log'],
    ['TRUNCATE', 'TRUNCATE access_log'],
    ['DISABLE TRIGGER', 'ALTER TABLE access_log DISABLE TRIGGER access_log_append_only'],
    ['DISABLE TRIGGER ALL', 'ALTER TABLE access_log DISABLE TRIGGER ALL'],
    ['ALTER TABLE', 'ALTER TABLE access_log ADD COLUMN x int'],
    ['DROP TABLE', 'DROP TABLE access_log'],
    ['SET session_replication_role', 'SET session_replication_role = replica'],
    ['DETACH PARTITION', 'ALTER TABLE access_log DETACH PARTITION access_log_default'],
    ['UPDATE a partition', "UPDATE access_log_default SET purpose = 'x'"],
    ['DELETE from a partition', 'DELETE FROM access_log_default'],
    ['TRUNCATE a partition', 'TRUNCATE access_log_default'],
    ['DISABLE TRIGGER on a partition', 'ALTER TABLE access_log_default DISABLE TRIGGER ALL'],
    ['DROP a partition', 'DROP TABLE access_log_default'],
    ['move the head back', 'UPDATE access_log_head SET seq = seq - 1'],
    ['DELETE the head', 'DELETE FROM access_log_head'],
    ['DISABLE the head trigger', 'ALTER TABLE access_log_head DISABLE TRIGGER ALL'],
    ['DELETE checkpoints', 'DELETE FROM access_log_checkpoint'],
    ['UPDATE checkpoints', "UPDATE access_log_checkpoint SET jws = 'x'"],
    [
      'replace the refusing trigger function',
      'CREATE OR REPLACE FUNCTION access_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$',
    ],
    ['alter the partition function', 'ALTER FUNCTION access_log_ensure_month(date) SECURITY INVOKER'],
    ['create a table', 'CREATE TABLE access_log_shadow (x int)'],
  ])('is refused: %s (42501)', async (_what, text) => {
    expect(await outcome(runtime, text)).toBe('42501');
  });

  it('moves the head forward, as the appender does', async () => {
    expect(await outcome(runtime, 'UPDATE access_log_head SET seq = seq + 1, updated_at = now()')).toBe('ok');
    expect(await outcome(runtime, 'SELECT seq FROM access_log_head WHERE id = 1 FOR UPDATE')).toBe('ok');
  });

  it('gets next months partitions made on the owner’s rights, and none of its own rights on them', async () => {
    await runtime.query("SELECT access_log_ensure_month(date '2099-01-15')");
    const [p] = await sql<{ owner: string; direct: boolean }>(
      db.url,
      `SELECT pg_get_userbyid(relowner) AS owner, has_table_privilege($1, 'access_log_2099_01', 'INSERT') AS direct
       FROM pg_class WHERE relname = 'access_log_2099_01'`,
      [role],
    );
    expect(p).toEqual({ owner: ownerOf(db.url), direct: false });
    await runtime.query(ENTRY.replace('now()', "timestamptz '2099-01-20T00:00:00Z'"), [
      2,
      `roles-${randomUUID()}`,
    ]);
    expect(await outcome(runtime, 'TRUNCATE access_log_2099_01')).toBe('42501');
  });

  it('has no UPDATE, DELETE or TRUNCATE on any access-log table (what an outside check asks)', async () => {
    const rows = await sql<{ relname: string; priv: string }>(
      db.url,
      `SELECT c.relname, p.priv FROM pg_class c
         CROSS JOIN (VALUES ('UPDATE'), ('DELETE'), ('TRUNCATE')) AS p(priv)
       WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
         AND c.relname LIKE 'access_log%' AND c.relname <> 'access_log_head'
         AND has_table_privilege($1, c.oid, p.priv)`,
      [role],
    );
    expect(rows).toEqual([]);
  });

  it('sets the login role up idempotently when several processes do it at once', async () => {
    const name = `broker_app_${randomBytes(4).toString('hex')}`;
    try {
      const config = loadBrokerConfig(
        { BROKER_MODE: 'development', DATABASE_URL: db.url, DB_RUNTIME_ROLE: name },
        'tool',
      );
      const conns = await Promise.all(Array.from({ length: 4 }, () => runtimeConnection(config)));
      expect(conns.map((c) => c.role)).toEqual(Array(4).fill(name));
      const again = await runtimeConnection(config);
      const c = new Client({ connectionString: again.url });
      await c.connect();
      try {
        expect(await outcome(c, "UPDATE access_log SET purpose = 'x'")).toBe('42501');
        expect(await outcome(c, 'SELECT count(*) FROM access_log')).toBe('ok');
      } finally {
        await c.end();
      }
    } finally {
      await sql(db.url, `DROP ROLE IF EXISTS "${name}"`);
    }
  });

  it('uses DATABASE_URL as given when its role is already a runtime role, or when setup is off', async () => {
    const asRuntime = await runtimeConnection(
      loadBrokerConfig({ BROKER_MODE: 'development', DATABASE_URL: asUser(db.url, 'broker_app') }, 'tool'),
    );
    expect([asRuntime.role, asRuntime.setUp]).toEqual(['broker_app', false]);
    const off = await runtimeConnection(
      loadBrokerConfig({ BROKER_MODE: 'development', DATABASE_URL: db.url, DB_ROLE_SETUP: 'off' }, 'tool'),
    );
    expect([off.url, off.setUp]).toEqual([db.url, false]);
  });
});

describe('database roles (a development gateway)', () => {
  let sim: TestSimulator;
  let broker: TestBroker;

  beforeAll(async () => {
    sim = await startSimulator();
    broker = await startTestBroker(sim.url);
  });

  afterAll(async () => {
    await broker?.close();
    await sim?.close();
  });

  it('connects its pools as broker_app only, and serves a disclosure logged through them', async () => {
    const t = broker.trust;
    const [m] = sim.population.list(0, 1);
    const r = await gql(
      broker.graphqlUrl,
      personQuery('surname'),
      { m },
      {
        authorization: `Bearer ${await mintMemberAssertion(t.m1.key, t.m1.id, t.brokerId)}`,
        'consent-token': await mintConsent(t.i1.key, {
          issuer: t.i1.id,
          subject: m,
          audience: t.m1.id,
          purpose: GRANTED_PURPOSE,
          scope: ['name'],
        }),
      },
    );
    expect([r.status, r.body.errors]).toEqual([200, undefined]);
    const name = new URL(broker.databaseUrl).pathname.slice(1);
    const roles = await sql<{ usename: string }>(
      broker.databaseUrl,
      `SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
      [name],
    );
    expect(roles.map((x) => x.usename)).toEqual(['broker_app']);
    const logged = await sql<{ n: string }>(broker.databaseUrl, 'SELECT count(*) AS n FROM access_log');
    expect(Number(logged[0].n)).toBeGreaterThan(0);
    const verify = await runCli(['access-log', 'verify', '--json'], broker.databaseUrl);
    expect(verify.code).toBe(0);
  });
});
