/**
 * Per-member quotas (issue 14): two gateways over one database and one real Redis share each
 * member's budget of requests per second; a request over it is refused with RATE_LIMITED, an
 * HTTP Retry-After and exactly one access-log entry; a member without a quota has the default
 * (QUOTA_REQUESTS_PER_SECOND); concurrent batch jobs are limited per member even when two
 * submissions race on two gateways; and a Redis that stops answering does not stop the
 * synchronous path (each process counts alone meanwhile).
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DataItem } from '@broker/data-items';
import { GRANTED_PURPOSE, OTHER_PURPOSE, mintConsent, mintMemberAssertion, sql } from '@broker/testing';
import { startRedis, type TestRedis } from './support/processes';
import {
  codes,
  gql,
  personQuery,
  startSimulator,
  startTestBroker,
  type GqlResponse,
  type TestBroker,
  type TestSimulator,
} from './support/test-broker';

const SUBMIT = `mutation S($input: PersonBatchInput!) { submitPersonBatch(input: $input) { id state } }`;
/** A fixed window of one second: waiting this long starts a fresh one. */
const NEXT_WINDOW_MS = 1100;

interface LogRow {
  channel: string;
  member_id: string;
  outcome: string;
  reason_code: string | null;
  subject: string | null;
  purpose: string | null;
}

describe('per-member quotas (two gateways, one PostgreSQL, one Redis)', () => {
  let sim: TestSimulator;
  let redis: TestRedis;
  let a: TestBroker;
  let b: TestBroker;
  let people: string[];

  beforeAll(async () => {
    sim = await startSimulator();
    redis = await startRedis();
    const env = {
      REDIS_URL: redis.url,
      // jobs stay QUEUED (no worker runs): the concurrent-jobs quota is reached and stays so
      BATCH_EXECUTION: 'queue',
      QUOTA_REQUESTS_PER_SECOND: '8',
    };
    a = await startTestBroker(sim.url, env, undefined, (doc) => {
      doc.members[0].quota = { requestsPerSecond: 5, concurrentJobs: 1 };
    });
    b = await startTestBroker(sim.url, env, a);
    people = sim.population.list(0, 40);
  }, 60_000);

  afterAll(async () => {
    await b?.close();
    await a?.close();
    await redis?.stop();
    await sim?.close();
  });

  const t = () => a.trust;

  /** One person request as member one (m1) or two (m2), on gateway `g`, under its own correlation id. */
  async function ask(g: TestBroker, member: 'm1' | 'm2' = 'm1', i = 0) {
    const m = t()[member];
    const correlationId = `quota-${randomUUID()}`;
    const consent = await mintConsent(t().i1.key, {
      issuer: t().i1.id,
      subject: people[i % people.length],
      audience: m.id,
      purpose: member === 'm1' ? GRANTED_PURPOSE : OTHER_PURPOSE,
      scope: ['name'] as DataItem[],
    });
    const res = await gql(
      g.graphqlUrl,
      personQuery('surname'),
      { m: people[i % people.length] },
      {
        authorization: `Bearer ${await mintMemberAssertion(m.key, m.id, t().brokerId)}`,
        'consent-token': consent,
        'x-correlation-id': correlationId,
      },
    );
    return { res, correlationId };
  }

  const entries = (correlationId: string) =>
    sql<LogRow>(a.databaseUrl, 'SELECT * FROM access_log WHERE correlation_id = $1 ORDER BY seq', [
      correlationId,
    ]);
  const limited = (r: GqlResponse) => codes(r).includes('RATE_LIMITED');
  const granted = (r: GqlResponse) => r.body.data?.person != null && !r.body.errors;

  it('refuses some of 30 simultaneous requests over a 5/s quota, with Retry-After and one log entry each', async () => {
    await sleep(NEXT_WINDOW_MS);
    const all = await Promise.all(Array.from({ length: 30 }, (_, i) => ask(i % 2 ? b : a, 'm1', i)));
    const refused = all.filter((x) => limited(x.res));
    const answered = all.filter((x) => granted(x.res));
    expect(refused.length + answered.length).toBe(30);
    expect(answered.length).toBeGreaterThan(0);
    // one window holds 5; the 30 may straddle two windows, never more
    expect(answered.length).toBeLessThanOrEqual(10);
    for (const { res, correlationId } of refused) {
      // the convention of the GraphQL path: a refusal after authentication is HTTP 200 with a code
      expect(res.status).toBe(200);
      expect(res.body.data?.person).toBeNull();
      const retryAfter = Number(res.headers['retry-after']);
      expect(Number.isInteger(retryAfter) && retryAfter >= 1).toBe(true);
      expect(res.body.errors?.[0].extensions).toMatchObject({
        code: 'RATE_LIMITED',
        retryable: true,
        retryAfterSeconds: retryAfter,
        quota: 'requestsPerSecond',
        limit: 5,
      });
      const rows = await entries(correlationId);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        channel: 'sync',
        member_id: t().m1.id,
        outcome: 'REFUSED',
        reason_code: 'RATE_LIMITED',
        purpose: GRANTED_PURPOSE,
      });
    }
    for (const { res, correlationId } of answered) {
      expect(res.headers['retry-after']).toBeUndefined();
      expect((await entries(correlationId)).map((r) => r.outcome)).toEqual(['DISCLOSED']);
    }
  });

  it('shares one budget between the gateways: five on one, the sixth on the other is refused', async () => {
    await sleep(NEXT_WINDOW_MS);
    const onA: GqlResponse[] = [];
    for (let i = 0; i < 5; i++) onA.push((await ask(a, 'm1', i)).res);
    const onB = await ask(b, 'm1', 5);
    expect(onA.map(granted)).toEqual([true, true, true, true, true]);
    expect(codes(onB.res)).toEqual(['RATE_LIMITED']);
  });

  it('gives a member without a quota the default (QUOTA_REQUESTS_PER_SECOND=8)', async () => {
    await sleep(NEXT_WINDOW_MS);
    const results: GqlResponse[] = [];
    for (let i = 0; i < 9; i++) results.push((await ask(i % 2 ? b : a, 'm2', i)).res);
    expect(results.slice(0, 8).map(granted)).toEqual(Array(8).fill(true));
    expect(codes(results[8])).toEqual(['RATE_LIMITED']);
    expect(results[8].body.errors?.[0].extensions).toMatchObject({ limit: 8 });
  });

  it('lets one of two racing batch submissions through a concurrentJobs quota of 1, and logs the refusal', async () => {
    const submit = async (g: TestBroker, i: number) => {
      const correlationId = `quota-batch-${randomUUID()}`;
      const matricule = people[i];
      const consentToken = await mintConsent(t().i1.key, {
        issuer: t().i1.id,
        subject: matricule,
        audience: t().m1.id,
        purpose: GRANTED_PURPOSE,
        scope: ['name'] as DataItem[],
      });
      const res = await gql(
        g.graphqlUrl,
        SUBMIT,
        { input: { purpose: GRANTED_PURPOSE, items: ['name'], requests: [{ matricule, consentToken }] } },
        {
          authorization: `Bearer ${await mintMemberAssertion(t().m1.key, t().m1.id, t().brokerId)}`,
          'x-correlation-id': correlationId,
        },
      );
      return { res, correlationId };
    };
    const race = await Promise.all([submit(a, 1), submit(b, 2)]);
    const queued = race.filter(
      (x) => (x.res.body.data?.submitPersonBatch as { state?: string } | null)?.state,
    );
    const refused = race.filter((x) => limited(x.res));
    expect([queued.length, refused.length]).toEqual([1, 1]);
    const { res, correlationId } = refused[0];
    expect(res.headers['retry-after']).toBe('10');
    expect(res.body.errors?.[0].extensions).toMatchObject({
      code: 'RATE_LIMITED',
      quota: 'concurrentJobs',
      limit: 1,
    });
    const rows = await entries(correlationId);
    expect(rows).toEqual([
      expect.objectContaining({
        channel: 'async',
        outcome: 'REFUSED',
        reason_code: 'RATE_LIMITED',
        subject: null,
        purpose: GRANTED_PURPOSE,
      }),
    ]);
    // and another submission later, on either gateway, while the first job is still queued
    expect(codes((await submit(a, 3)).res)).toEqual(['RATE_LIMITED']);
  });

  it('keeps answering while Redis is down (each process counts alone), and shares again once it is back', async () => {
    await redis.stop();
    try {
      await sleep(200);
      const { res } = await ask(a, 'm2', 20);
      expect(codes(res)).toEqual([]);
      expect(granted(res)).toBe(true);
    } finally {
      await redis.restart();
    }
    // ioredis reconnects by itself; once it has, the budget is shared again
    let shared = false;
    for (let attempt = 0; attempt < 20 && !shared; attempt++) {
      await sleep(NEXT_WINDOW_MS);
      const first: GqlResponse[] = [];
      for (let i = 0; i < 5; i++) first.push((await ask(a, 'm1', i)).res);
      shared = first.every(granted) && limited((await ask(b, 'm1', 5)).res);
    }
    expect(shared).toBe(true);
  });
});
