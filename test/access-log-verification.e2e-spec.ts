/**
 * The access log as an auditor meets it: the CLI (the built binary, as operators run it) verifies
 * the chain that real requests made, finds the entries of one request, and detects an altered,
 * deleted, swapped, duplicated or truncated entry. Also: two gateway instances writing at once
 * keep one chain.
 */
import { randomUUID } from 'node:crypto';
import { AccessLogRepository, verifyAccessLog } from '@broker/access-log';
import { openDatabase } from '@broker/database';
import { GRANTED_PURPOSE, mintConsent, mintMemberAssertion, sql } from '@broker/testing';
import {
  gql,
  personQuery,
  runCli,
  startSimulator,
  startTestBroker,
  type TestBroker,
  type TestSimulator,
} from './support/test-broker';

interface VerifyDoc {
  ok: boolean;
  entries: number;
  head: string;
  firstBroken: number | null;
}

describe('access-log verification (CLI) over entries made by real requests', () => {
  let sim: TestSimulator;
  let broker: TestBroker;
  let second: TestBroker;
  const correlationIds: string[] = [];

  const verify = async (): Promise<{ code: number; doc: VerifyDoc }> => {
    const r = await runCli(['access-log', 'verify', '--json'], broker.databaseUrl);
    return { code: r.code, doc: JSON.parse(r.stdout.trim().split('\n').pop() as string) as VerifyDoc };
  };

  /** Runs SQL with triggers off (as a superuser would), so that the append-only guard does not stop the tampering. */
  const tamper = (text: string) =>
    sql(broker.databaseUrl, `BEGIN; SET LOCAL session_replication_role = replica; ${text}; COMMIT;`);

  beforeAll(async () => {
    sim = await startSimulator();
    broker = await startTestBroker(sim.url);
    second = await startTestBroker(sim.url, {}, broker);
    const t = broker.trust;
    const people = sim.population.list(0, 20);
    // 60 requests spread over two gateway instances at once, granted and refused
    await Promise.all(
      Array.from({ length: 60 }, async (_, i) => {
        const m = people[i % people.length];
        const correlationId = `verify-${i}-${randomUUID()}`;
        correlationIds[i] = correlationId;
        const consent = await mintConsent(t.i1.key, {
          issuer: t.i1.id,
          subject: m,
          audience: t.m1.id,
          purpose: GRANTED_PURPOSE,
          scope: i % 3 === 0 ? ['name'] : ['name', 'birth'],
        });
        const token = await mintMemberAssertion(t.m1.key, t.m1.id, t.brokerId);
        const url = i % 2 ? second.graphqlUrl : broker.graphqlUrl;
        await gql(
          url,
          personQuery(i % 3 === 0 ? 'surname birthDate' : 'surname birthDate'),
          { m },
          {
            authorization: `Bearer ${token}`,
            'consent-token': consent,
            'x-correlation-id': correlationId,
          },
        );
      }),
    );
  });

  afterAll(async () => {
    await second?.close();
    await broker?.close();
    await sim?.close();
  });

  it('verifies the chain written by two gateway instances at once', async () => {
    const { code, doc } = await verify();
    expect(code).toBe(0);
    expect(doc).toMatchObject({ ok: true, entries: 60, firstBroken: null });
    const [head] = await sql<{ hash: string }>(broker.databaseUrl, 'SELECT hash FROM access_log_head');
    expect(doc.head).toBe(head.hash);
    const outcomes = await sql<{ outcome: string; n: string }>(
      broker.databaseUrl,
      'SELECT outcome, count(*) AS n FROM access_log GROUP BY outcome ORDER BY outcome',
    );
    expect(outcomes).toEqual([
      { outcome: 'DISCLOSED', n: '40' },
      { outcome: 'REFUSED', n: '20' },
    ]);
  });

  it('finds the entries of one request by correlation id', async () => {
    const r = await runCli(
      ['access-log', 'find', '--correlation-id', correlationIds[3], '--json'],
      broker.databaseUrl,
    );
    expect(r.code).toBe(0);
    const arr = JSON.parse(r.stdout) as { correlationId: string; outcome: string; reasonCode: string }[];
    expect(arr).toHaveLength(1);
    expect(arr[0]).toMatchObject({
      correlationId: correlationIds[3],
      outcome: 'REFUSED',
      reasonCode: 'SCOPE_NOT_GRANTED',
    });
    const none = await runCli(
      ['access-log', 'find', '--correlation-id', 'nothing-here', '--json'],
      broker.databaseUrl,
    );
    expect(JSON.parse(none.stdout)).toEqual([]);
  });

  it('refuses changes through the append-only trigger', async () => {
    await expect(
      sql(broker.databaseUrl, "UPDATE access_log SET purpose = 'X' WHERE seq = 1"),
    ).rejects.toThrow(/append-only/);
    await expect(sql(broker.databaseUrl, 'DELETE FROM access_log WHERE seq = 1')).rejects.toThrow(
      /append-only/,
    );
    await expect(sql(broker.databaseUrl, 'TRUNCATE access_log')).rejects.toThrow(/append-only/);
  });

  describe('detects tampering and names the first broken entry', () => {
    type Row = Record<string, unknown>;
    let snapshot: Row[];
    beforeAll(async () => {
      snapshot = await sql<Row>(broker.databaseUrl, 'SELECT * FROM access_log ORDER BY seq');
    });
    afterEach(async () => {
      // put the table back exactly as it was (inserts pass the append-only guard), then check
      // that verification agrees again: a verifier that always says "broken" would fail here
      await tamper('DELETE FROM access_log');
      for (const row of snapshot) {
        const cols = Object.keys(row);
        await sql(
          broker.databaseUrl,
          `INSERT INTO access_log (${cols.join(', ')}) VALUES (${cols.map((_, k) => `$${k + 1}`).join(', ')})`,
          Object.values(row),
        );
      }
      expect((await verify()).doc.ok).toBe(true);
    });

    it('an altered field', async () => {
      await tamper("UPDATE access_log SET purpose = 'P-TESX' WHERE seq = 20");
      const { code, doc } = await verify();
      expect(code).not.toBe(0);
      expect(doc).toMatchObject({ ok: false, firstBroken: 20 });
    });

    it('an altered field whose hash was recomputed is caught at the next link', async () => {
      await tamper("UPDATE access_log SET purpose = 'P-TESX', hash = repeat('a', 64) WHERE seq = 20");
      expect((await verify()).doc).toMatchObject({ ok: false, firstBroken: 20 });
    });

    it('a deleted entry', async () => {
      await tamper('DELETE FROM access_log WHERE seq = 31');
      expect((await verify()).doc).toMatchObject({ ok: false, firstBroken: 31 });
    });

    it('two entries swapped', async () => {
      await tamper(
        'UPDATE access_log SET seq = -1 WHERE seq = 12; UPDATE access_log SET seq = 12 WHERE seq = 13; UPDATE access_log SET seq = 13 WHERE seq = -1',
      );
      expect((await verify()).doc).toMatchObject({ ok: false, firstBroken: 12 });
    });

    it('an inserted copy of an entry', async () => {
      const cols = Object.keys(snapshot[0]).filter((c) => c !== 'occurred_at');
      await sql(
        broker.databaseUrl,
        `INSERT INTO access_log (occurred_at, ${cols.join(', ')})
         SELECT occurred_at + interval '1 millisecond', ${cols.join(', ')} FROM access_log WHERE seq = 40`,
      );
      expect((await verify()).doc.ok).toBe(false);
    });

    it('the last entry deleted (caught against the recorded head)', async () => {
      await tamper('DELETE FROM access_log WHERE seq = 60');
      expect((await verify()).doc).toMatchObject({ ok: false, firstBroken: 60 });
    });
  });
});

describe('access-log verify walks in pages without one snapshot for the whole walk', () => {
  let sim: TestSimulator;
  let broker: TestBroker;

  const request = async (i: number) => {
    const t = broker.trust;
    const m = sim.population.list(0, 20)[i % 20];
    const consent = await mintConsent(t.i1.key, {
      issuer: t.i1.id,
      subject: m,
      audience: t.m1.id,
      purpose: GRANTED_PURPOSE,
      scope: ['name'],
    });
    const r = await gql(
      broker.graphqlUrl,
      personQuery('surname'),
      { m },
      {
        authorization: `Bearer ${await mintMemberAssertion(t.m1.key, t.m1.id, t.brokerId)}`,
        'consent-token': consent,
        'x-correlation-id': `paging-${i}-${randomUUID()}`,
      },
    );
    expect(r.status).toBe(200);
  };

  beforeAll(async () => {
    sim = await startSimulator();
    // the transparency log's integrator (ADR 0010) commits in short transactions of its own; it
    // ticks once a minute here, so that the count of open transactions between pages is the verifier's alone
    broker = await startTestBroker(sim.url, { LOG_INTEGRATE_INTERVAL_MS: '60000' });
    for (let i = 0; i < 25; i++) await request(i);
  });

  afterAll(async () => {
    await broker?.close();
    await sim?.close();
  });

  it('holds no transaction between pages; entries appended during the walk are beyond its head', async () => {
    const ds = await openDatabase(broker.databaseUrl, { migrate: false, poolSize: 2 });
    try {
      const openTransactions: number[] = [];
      let appended = 0;
      const report = await verifyAccessLog(
        ds,
        new AccessLogRepository(ds),
        async () => {
          // between two pages: nobody (the verifier included) sits in an open transaction
          const [row] = await sql<{ n: string }>(
            broker.databaseUrl,
            "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'",
          );
          openTransactions.push(Number(row.n));
          if (appended < 3) await request(100 + appended++);
        },
        10,
      );
      expect(openTransactions).toHaveLength(3);
      expect(openTransactions.every((n) => n === 0)).toBe(true);
      expect(report).toMatchObject({ ok: true, entries: 25, firstBroken: null });
      const [head] = await sql<{ seq: string }>(broker.databaseUrl, 'SELECT seq FROM access_log_head');
      expect(head.seq).toBe('28');
    } finally {
      await ds.destroy();
    }
    // the CLI, run now, walks the new head
    const r = await runCli(['access-log', 'verify', '--json'], broker.databaseUrl);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').pop() as string)).toMatchObject({ ok: true, entries: 28 });
  });
});
