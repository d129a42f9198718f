import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { compactVerify, createRemoteJWKSet } from 'jose';
import { request } from 'undici';
import {
  GRANTED_PURPOSE,
  mintCitizenToken,
  mintConsent,
  mintMemberAssertion,
  mintRevocation,
  mintStaffToken,
  sql,
} from '@broker/testing';
import { startRedis, startWorker, waitFor, type TestRedis, type TestWorker } from './support/processes';
import {
  codes,
  gql,
  runCli,
  startSimulator,
  startTestBroker,
  type GqlResponse,
  type TestBroker,
  type TestSimulator,
} from './support/test-broker';

const SUBMIT = `mutation S($input: PersonBatchInput!) { submitPersonBatch(input: $input) { id state total succeeded refused failed } }`;
const STATUS = `query J($id: ID!) { batchJob(id: $id) { id state total succeeded refused failed } }`;
const RESULTS = `query J($id: ID!, $o: Int, $l: Int) { batchJob(id: $id) { id state results(offset: $o, limit: $l) {
  index matricule person { matricule surname givenNames birthDate address { street locality } } error { code message } } } }`;

interface Job {
  id: string;
  state: string;
  total: number;
  succeeded: number;
  refused: number;
  failed: number;
}
interface Result {
  index: number;
  matricule: string;
  person: Record<string, unknown> | null;
  error: { code: string; message: string } | null;
}

/** Member one's Authorization header on broker `b`. */
async function asMemberOne(b: TestBroker): Promise<Record<string, string>> {
  const t = b.trust;
  return { authorization: `Bearer ${await mintMemberAssertion(t.m1.key, t.m1.id, t.brokerId)}` };
}

/** Citizen `m`'s consent to member one for the granted purpose (item `name` unless `over` says). */
function consentToMemberOne(
  b: TestBroker,
  m: string,
  over: Partial<Parameters<typeof mintConsent>[1]> = {},
): Promise<string> {
  const t = b.trust;
  return mintConsent(t.i1.key, {
    issuer: t.i1.id,
    subject: m,
    audience: t.m1.id,
    purpose: GRANTED_PURPOSE,
    scope: ['name'],
    ...over,
  });
}

/** submitPersonBatch of `requests` for item `name`, as member one. */
async function submitNames(
  b: TestBroker,
  requests: { matricule: string; consentToken: string }[],
): Promise<GqlResponse> {
  return gql(
    b.graphqlUrl,
    SUBMIT,
    { input: { purpose: GRANTED_PURPOSE, items: ['name'], requests } },
    await asMemberOne(b),
  );
}

/** Polls batchJob(id) as member one until it is COMPLETED. */
function completed(b: TestBroker, id: string, what: string, everyMs = 200): Promise<Job> {
  return waitFor(
    what,
    async () => {
      const s = await gql(b.graphqlUrl, STATUS, { id }, await asMemberOne(b));
      const j = s.body.data?.batchJob as Job | null;
      return j?.state === 'COMPLETED' ? j : undefined;
    },
    30_000,
    everyMs,
  );
}

describe('asynchronous batch jobs (real gateway, real worker processes, real Redis and PostgreSQL)', () => {
  let sim: TestSimulator;
  let redis: TestRedis;
  let broker: TestBroker;
  let persons: string[];
  const workers: TestWorker[] = [];

  beforeAll(async () => {
    sim = await startSimulator();
    redis = await startRedis();
    broker = await startTestBroker(sim.url, {
      REDIS_URL: redis.url,
      BATCH_EXECUTION: 'queue',
      BATCH_RECONCILE_INTERVAL_S: '1',
      BATCH_BACKOFF_MS: '50',
      BATCH_MAX_ATTEMPTS: '3',
      BATCH_MAX_IN_FLIGHT: '50',
      BATCH_MAX_ITEMS: '3000',
      BATCH_CHUNK_SIZE: '25',
      RNPP_MAX_ATTEMPTS: '1',
      // the dead-letter test opens the workers' circuits; later tests need them closed again soon
      RNPP_BREAKER_HALF_OPEN_MS: '200',
    });
    persons = sim.population.list(0, 2000).filter((m) => !sim.population.get(m)?.deathDate);
    workers.push(startWorker(broker.env), startWorker(broker.env));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await broker?.close();
    await redis?.stop();
    await sim?.close();
  });

  const t = () => broker.trust;
  const m1 = () => mintMemberAssertion(t().m1.key, t().m1.id, t().brokerId);
  const m2 = () => mintMemberAssertion(t().m2.key, t().m2.id, t().brokerId);
  const consent = (m: string, over: Partial<Parameters<typeof mintConsent>[1]> = {}) =>
    consentToMemberOne(broker, m, { scope: ['name', 'address'], ...over });

  async function submit(
    requests: { matricule: string; consentToken: string }[],
    extra: Record<string, unknown> = {},
  ) {
    return gql(
      broker.graphqlUrl,
      SUBMIT,
      { input: { purpose: GRANTED_PURPOSE, items: ['name', 'address'], requests, ...extra } },
      { authorization: `Bearer ${await m1()}` },
    );
  }
  async function status(id: string, token?: string): Promise<Job | null> {
    const r = await gql(
      broker.graphqlUrl,
      STATUS,
      { id },
      { authorization: `Bearer ${token ?? (await m1())}` },
    );
    return (r.body.data?.batchJob as Job | null) ?? null;
  }
  async function done(id: string, timeoutMs = 90_000): Promise<Job> {
    return waitFor(
      `job ${id}`,
      async () => {
        const j = await status(id);
        return j && (j.state === 'COMPLETED' || j.state === 'FAILED') ? j : undefined;
      },
      timeoutMs,
      200,
    );
  }
  async function results(id: string, total: number): Promise<Result[]> {
    const out: Result[] = [];
    for (let o = 0; o < total; o += 500) {
      const r = await gql(
        broker.graphqlUrl,
        RESULTS,
        { id, o, l: 500 },
        { authorization: `Bearer ${await m1()}` },
      );
      expect(r.body.errors).toBeUndefined();
      out.push(...(r.body.data?.batchJob as { results: Result[] }).results);
    }
    return out;
  }
  async function requestsFor(ms: string[]) {
    return Promise.all(ms.map(async (m) => ({ matricule: m, consentToken: await consent(m) })));
  }
  async function entriesOf(jobId: string) {
    return sql<{ outcome: string; subject: string; n: string }>(
      broker.databaseUrl,
      `SELECT outcome, subject, count(*) AS n FROM access_log WHERE job_id = $1 GROUP BY outcome, subject`,
      [jobId],
    );
  }

  it('answers a 1,000-item job with two workers: every item exactly once, only the asked items, one log entry per release', async () => {
    const ms = persons.slice(0, 1000);
    const res = await submit(await requestsFor(ms));
    expect(res.body.errors).toBeUndefined();
    const job = res.body.data?.submitPersonBatch as Job;
    expect(job).toMatchObject({ total: 1000, refused: 0 });
    expect(['QUEUED', 'RUNNING', 'COMPLETED']).toContain(job.state);
    const end = await done(job.id);
    expect(end).toMatchObject({ state: 'COMPLETED', total: 1000, succeeded: 1000, refused: 0, failed: 0 });
    const rs = await results(job.id, 1000);
    expect(rs.map((r) => r.index)).toEqual(ms.map((_, i) => i));
    rs.forEach((r, i) => {
      expect(r.matricule).toBe(ms[i]);
      expect(r.error).toBeNull();
      expect(r.person?.surname).toBe(sim.population.get(ms[i])?.surname);
      expect(r.person?.birthDate).toBeNull(); // not asked: never fetched, never stored
    });
    const entries = await entriesOf(job.id);
    expect(entries.every((e) => e.outcome === 'DISCLOSED' && e.n === '1')).toBe(true);
    expect(new Set(entries.map((e) => e.subject))).toEqual(new Set(ms));
    // the CLI finds them by job id (what auditors and the acceptance check use)
    const cli = await runCli(['access-log', 'find', '--job-id', job.id, '--json'], broker.databaseUrl);
    expect(cli.code).toBe(0);
    const found = JSON.parse(cli.stdout) as { channel: string; jobId: string }[];
    expect(found).toHaveLength(1000);
    expect(found.every((e) => e.channel === 'async' && e.jobId === job.id)).toBe(true);
    // the batch's consents are in the ledger the citizen page lists (written in one statement)
    const recorded = await sql<{ n: string }>(
      broker.databaseUrl,
      `SELECT count(*) AS n FROM consent_record WHERE audience = $1 AND subject = ANY($2::text[])`,
      [t().m1.id, ms],
    );
    expect(Number(recorded[0].n)).toBe(1000);
    // results are ciphertexts at rest
    const raw = await sql<{ result: Buffer }>(
      broker.databaseUrl,
      `SELECT result FROM batch_item WHERE job_id = $1 AND idx = 0`,
      [job.id],
    );
    expect(raw[0].result.includes(Buffer.from(String(sim.population.get(ms[0])?.surname)))).toBe(false);
  }, 180_000);

  it('refuses bad items at submission with their codes, logs them with the job id, and never queues them', async () => {
    const [a, b, c] = persons.slice(1000, 1003);
    const expired = await consent(a, { iat: Math.floor(Date.now() / 1000) - 7200, lifetimeS: 3600 });
    const wrongSubject = await consent(c);
    const otherPurpose = await consent(b, { purpose: 'P-OTHER' });
    const res = await submit([
      { matricule: a, consentToken: expired },
      { matricule: b, consentToken: await consent(b) },
      { matricule: b, consentToken: wrongSubject },
      { matricule: '1234', consentToken: await consent(c) },
      { matricule: c, consentToken: 'not-a-token' },
      { matricule: b, consentToken: otherPurpose },
    ]);
    const job = res.body.data?.submitPersonBatch as Job;
    expect(job).toMatchObject({ total: 6, refused: 5 });
    const r = await gql(
      broker.graphqlUrl,
      RESULTS,
      { id: job.id, o: 0, l: 10 },
      { authorization: `Bearer ${await m1()}` },
    );
    const early = (r.body.data?.batchJob as { results: Result[] }).results;
    expect(early.map((x) => x.error?.code ?? null)).toEqual([
      'CONSENT_EXPIRED',
      null,
      'CONSENT_SUBJECT_MISMATCH',
      'INVALID_MATRICULE',
      'CONSENT_INVALID',
      'PURPOSE_NOT_ALLOWED',
    ]);
    const refusals = await sql<{ reason_code: string; channel: string }>(
      broker.databaseUrl,
      `SELECT reason_code, channel FROM access_log WHERE job_id = $1 AND outcome = 'REFUSED' ORDER BY seq`,
      [job.id],
    );
    expect(refusals.map((x) => x.reason_code).sort()).toEqual([
      'CONSENT_EXPIRED',
      'CONSENT_INVALID',
      'CONSENT_SUBJECT_MISMATCH',
      'INVALID_MATRICULE',
      'PURPOSE_NOT_ALLOWED',
    ]);
    expect(refusals.every((x) => x.channel === 'async')).toBe(true);
    expect(await done(job.id)).toMatchObject({ state: 'COMPLETED', succeeded: 1, refused: 5 });
  }, 60_000);

  it('survives kill -9 of every worker and a Redis restart mid-job: nothing lost, nothing disclosed twice', async () => {
    await sim.setKnobs({ latencyMs: 5 });
    try {
      const ms = persons.slice(0, 1000);
      const job = (await submit(await requestsFor(ms))).body.data?.submitPersonBatch as Job;
      const mid = await waitFor(
        '20 % progress',
        async () => {
          const j = await status(job.id);
          return j && j.succeeded > 200 ? j : undefined;
        },
        90_000,
        50,
      );
      expect(mid.state).toBe('RUNNING');
      await Promise.all(workers.splice(0).map((w) => w.kill9()));
      await redis.restart(); // the queue is gone
      workers.push(startWorker(broker.env));
      const end = await done(job.id, 120_000);
      expect(end).toMatchObject({ state: 'COMPLETED', total: 1000, succeeded: 1000, refused: 0, failed: 0 });
      const entries = await entriesOf(job.id);
      expect(entries.filter((e) => e.n !== '1')).toEqual([]);
      expect(entries).toHaveLength(1000);
      const items = await sql<{ n: string; seqs: string }>(
        broker.databaseUrl,
        `SELECT count(*) AS n, count(DISTINCT log_seq) AS seqs FROM batch_item WHERE job_id = $1 AND state = 'RELEASED'`,
        [job.id],
      );
      expect(items[0]).toEqual({ n: '1000', seqs: '1000' });
      workers.push(startWorker(broker.env));
    } finally {
      await sim.setKnobs({ latencyMs: 0 });
    }
  }, 240_000);

  it('retries source failures with backoff, then dead-letters the items with the reason', async () => {
    await sim.setKnobs({ failureRate: 1 });
    try {
      const ms = persons.slice(1100, 1105);
      const job = (await submit(await requestsFor(ms))).body.data?.submitPersonBatch as Job;
      const end = await done(job.id);
      expect(end).toMatchObject({ state: 'FAILED', total: 5, succeeded: 0, failed: 5 });
      const rs = await results(job.id, 5);
      for (const r of rs) {
        expect(r.person).toBeNull();
        expect(r.error?.code).toBe('SOURCE_UNAVAILABLE');
        expect(r.error?.message).toMatch(/dead-lettered after 3 attempts/);
      }
      const attempts = await sql<{ attempts: number }>(
        broker.databaseUrl,
        `SELECT attempts FROM batch_item WHERE job_id = $1`,
        [job.id],
      );
      expect(attempts.every((a) => a.attempts === 3)).toBe(true);
      // dead letters are logged as refusals (nothing left the broker) and counted for operators
      const entries = await entriesOf(job.id);
      expect(entries.every((e) => e.outcome === 'REFUSED')).toBe(true);
      const metrics = await (await request(broker.metricsUrl)).body.text();
      expect(metrics).toMatch(/broker_batch_queue_jobs\{state="failed"\} [1-9]/);
    } finally {
      await sim.setKnobs({ failureRate: 0 });
    }
  }, 90_000);

  it('lets only the submitting member read a job', async () => {
    const job = (await submit(await requestsFor(persons.slice(1200, 1202)))).body.data
      ?.submitPersonBatch as Job;
    const other = await gql(
      broker.graphqlUrl,
      RESULTS,
      { id: job.id, o: 0, l: 10 },
      { authorization: `Bearer ${await m2()}` },
    );
    expect(other.body.data?.batchJob).toBeNull();
    expect(codes(other)).toEqual(['NOT_FOUND']);
    expect(JSON.stringify(other.body)).not.toContain(persons[1200]);
    const anon = await gql(broker.graphqlUrl, STATUS, { id: job.id });
    expect(codes(anon)).toEqual(['UNAUTHENTICATED']);
    // a citizen token is no member: FORBIDDEN, even for the job's own subject
    const citizen = await mintCitizenToken(t().idp.key, t().idp.issuer, t().brokerId, persons[1200]);
    const asCitizen = await gql(
      broker.graphqlUrl,
      STATUS,
      { id: job.id },
      { authorization: `Bearer ${citizen}` },
    );
    expect(codes(asCitizen)).toEqual(['FORBIDDEN']);
    expect(asCitizen.body.data?.batchJob ?? null).toBeNull();
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid', `${job.id}'--`]) {
      const r = await gql(broker.graphqlUrl, STATUS, { id }, { authorization: `Bearer ${await m1()}` });
      expect(codes(r)).toEqual(['NOT_FOUND']);
    }
  });

  it('returns the same job for the same idempotency key and refuses the key for another batch', async () => {
    const reqs = await requestsFor(persons.slice(1300, 1303));
    const key = `k-${Date.now()}`;
    const a = (await submit(reqs, { idempotencyKey: key })).body.data?.submitPersonBatch as Job;
    await done(a.id);
    const before = await entriesOf(a.id);
    const b = (await submit(reqs, { idempotencyKey: key })).body.data?.submitPersonBatch as Job;
    expect(b.id).toBe(a.id);
    expect(await entriesOf(a.id)).toEqual(before);
    const c = await submit(reqs.slice(0, 2), { idempotencyKey: key });
    expect(codes(c)).toEqual(['IDEMPOTENCY_CONFLICT']);
  });

  it('refuses an empty or oversized batch, and a large anonymous body before parsing it', async () => {
    expect(codes(await submit([]))).toEqual(['BATCH_TOO_LARGE']);
    const many = Array.from({ length: 3001 }, () => ({ matricule: persons[0], consentToken: 'x' }));
    expect(codes(await submit(many))).toEqual(['BATCH_TOO_LARGE']);
    const body = JSON.stringify({ query: SUBMIT, variables: { input: { requests: many } } });
    expect(body.length).toBeGreaterThan(64 * 1024);
    const anon = await request(broker.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(anon.statusCode).toBe(413);
    expect(
      ((await anon.body.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code,
    ).toBe('REQUEST_TOO_LARGE');
  });

  it('purges a job and its results once the retention is over', async () => {
    const job = (await submit(await requestsFor(persons.slice(1400, 1402)))).body.data
      ?.submitPersonBatch as Job;
    await done(job.id);
    await sql(
      broker.databaseUrl,
      `UPDATE batch_job SET purge_after = now() - interval '1 second' WHERE id = $1`,
      [job.id],
    );
    await waitFor('purge', async () => (await status(job.id)) === null, 20_000, 200);
    const left = await sql<{ n: string }>(
      broker.databaseUrl,
      `SELECT count(*) AS n FROM batch_item WHERE job_id = $1`,
      [job.id],
    );
    expect(left[0].n).toBe('0');
    // the access log keeps its entries: retention applies to results, not to the trail
    expect((await entriesOf(job.id)).length).toBe(2);
  }, 60_000);

  /** The stored state of a job's items, straight from PostgreSQL. */
  async function heldOf(jobId: string) {
    return sql<{ idx: number; state: string; held: boolean; error_code: string | null }>(
      broker.databaseUrl,
      `SELECT idx, state, result IS NOT NULL AS held, error_code FROM batch_item WHERE job_id = $1 ORDER BY idx`,
      [jobId],
    );
  }

  it("deletes a released result at once when the citizen withdraws its consent: the item reads CONSENT_REVOKED, the other's stays", async () => {
    const [a, b] = persons.slice(1500, 1502);
    const jti = randomUUID();
    const job = (
      await submit([
        { matricule: a, consentToken: await consent(a, { jti }) },
        { matricule: b, consentToken: await consent(b) },
      ])
    ).body.data?.submitPersonBatch as Job;
    expect(await done(job.id)).toMatchObject({ succeeded: 2, refused: 0 });
    expect((await heldOf(job.id)).map((i) => i.held)).toEqual([true, true]);

    const citizen = await mintCitizenToken(t().idp.key, t().idp.issuer, t().brokerId, a);
    const w = await gql(
      broker.graphqlUrl,
      'mutation W($j: ID!) { withdrawConsent(jti: $j) { status } }',
      { j: jti },
      { authorization: `Bearer ${citizen}` },
    );
    expect(w.body.data?.withdrawConsent).toEqual({ status: 'WITHDRAWN' });
    // at once: when the withdrawal answers, the ciphertext is gone
    expect(await heldOf(job.id)).toEqual([
      { idx: 0, state: 'REFUSED', held: false, error_code: 'CONSENT_REVOKED' },
      { idx: 1, state: 'RELEASED', held: true, error_code: null },
    ]);
    const rs = await results(job.id, 2);
    expect(rs[0]).toMatchObject({ index: 0, person: null, error: { code: 'CONSENT_REVOKED' } });
    expect(rs[1].person?.surname).toBe(sim.population.get(b)?.surname);
    expect(await status(job.id)).toMatchObject({ succeeded: 1, refused: 1 });
    // the trail keeps the release that happened
    expect((await entriesOf(job.id)).map((e) => e.outcome)).toEqual(['DISCLOSED', 'DISCLOSED']);
  }, 60_000);

  it('deletes a released result at once when the consent issuer revokes the consent (POST /consents/revocations)', async () => {
    const [a] = persons.slice(1502, 1503);
    const jti = randomUUID();
    const job = (await submit([{ matricule: a, consentToken: await consent(a, { jti }) }])).body.data
      ?.submitPersonBatch as Job;
    expect(await done(job.id)).toMatchObject({ succeeded: 1 });
    const revocation = await mintRevocation(t().i1.key, t().i1.id, jti);
    const r = await request(`${broker.baseUrl}/consents/revocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/jose' },
      body: revocation,
    });
    expect(r.statusCode).toBe(200);
    await r.body.dump();
    expect(await heldOf(job.id)).toEqual([
      { idx: 0, state: 'REFUSED', held: false, error_code: 'CONSENT_REVOKED' },
    ]);
    expect((await results(job.id, 1))[0]).toMatchObject({ person: null, error: { code: 'CONSENT_REVOKED' } });
  }, 60_000);

  it("purges a released result once its consent expires (the workers' sweep) and then reads it as CONSENT_REVOKED", async () => {
    const [a] = persons.slice(1503, 1504);
    const job = (await submit([{ matricule: a, consentToken: await consent(a, { lifetimeS: 10 }) }])).body
      .data?.submitPersonBatch as Job;
    expect(await done(job.id)).toMatchObject({ succeeded: 1 });
    expect((await heldOf(job.id))[0].held).toBe(true);
    // no read in between: the reconciler (every second here) deletes it after the expiry
    await waitFor(
      'the expired result purged',
      async () => ((await heldOf(job.id))[0].held ? undefined : true),
      30_000,
      250,
    );
    expect(await heldOf(job.id)).toEqual([
      { idx: 0, state: 'REFUSED', held: false, error_code: 'CONSENT_REVOKED' },
    ]);
    expect((await results(job.id, 1))[0]).toMatchObject({ person: null, error: { code: 'CONSENT_REVOKED' } });
  }, 60_000);
});

describe('batch jobs without a worker', () => {
  let sim: TestSimulator;
  let broker: TestBroker;
  let redis: TestRedis;
  beforeAll(async () => {
    sim = await startSimulator();
    redis = await startRedis();
    broker = await startTestBroker(sim.url, {
      REDIS_URL: redis.url,
      BATCH_EXECUTION: 'queue',
      BATCH_MAX_IN_FLIGHT: '2',
      CLOCK_TOLERANCE_S: '0',
    });
  }, 60_000);
  afterAll(async () => {
    await broker?.close();
    await redis?.stop();
    await sim?.close();
  });

  it('limits the jobs a member has in flight (TOO_MANY_JOBS), then a started worker drains them', async () => {
    const m = sim.population.list(0, 5);
    const submitOne = async (matricule: string) =>
      submitNames(broker, [{ matricule, consentToken: await consentToMemberOne(broker, matricule) }]);
    const a = await submitOne(m[0]);
    const b = await submitOne(m[1]);
    expect([a, b].map((r) => (r.body.data?.submitPersonBatch as Job).state)).toEqual(['QUEUED', 'QUEUED']);
    const c = await submitOne(m[2]);
    expect(codes(c)).toEqual(['TOO_MANY_JOBS']);
    expect(c.status).toBe(200);
    const worker = startWorker(broker.env);
    try {
      await completed(broker, (a.body.data?.submitPersonBatch as Job).id, 'drained');
      // a worker stopped with SIGTERM exits cleanly (graceful shutdown)
    } finally {
      const exit = await worker.stop();
      expect(exit.code === 0 || exit.signal === 'SIGTERM').toBe(true);
      expect(worker.output()).not.toMatch(/error/i);
    }
  }, 60_000);

  it('accepts a job while Redis is down (PostgreSQL holds it) and runs it once Redis is back', async () => {
    const ms = sim.population.list(30, 3);
    const requests = await Promise.all(
      ms.map(async (matricule) => ({ matricule, consentToken: await consentToMemberOne(broker, matricule) })),
    );
    await redis.stop();
    let id: string;
    try {
      const r = await submitNames(broker, requests);
      expect(r.body.errors).toBeUndefined();
      const job = r.body.data?.submitPersonBatch as Job;
      expect(job).toMatchObject({ state: 'QUEUED', total: 3 });
      id = job.id;
    } finally {
      await redis.restart();
    }
    const worker = startWorker(broker.env);
    try {
      const end = await completed(broker, id, 'the job after Redis came back');
      expect(end).toMatchObject({ succeeded: 3, refused: 0, failed: 0 });
      const log = await sql<{ n: string }>(
        broker.databaseUrl,
        `SELECT count(*) AS n FROM access_log WHERE job_id = $1 AND outcome = 'DISCLOSED'`,
        [id],
      );
      expect(log[0].n).toBe('3');
    } finally {
      await worker.stop();
    }
  }, 60_000);

  it('refuses at release a consent the citizen withdrew while the job was queued (CONSENT_REVOKED, logged)', async () => {
    const t = broker.trust;
    const [a, b] = sim.population.list(20, 2);
    const jti = randomUUID();
    const r = await submitNames(broker, [
      { matricule: a, consentToken: await consentToMemberOne(broker, a, { jti }) },
      { matricule: b, consentToken: await consentToMemberOne(broker, b) },
    ]);
    const id = (r.body.data?.submitPersonBatch as Job).id;
    // citizen A withdraws the consent on the citizen page before any worker runs
    const citizen = await mintCitizenToken(t.idp.key, t.idp.issuer, t.brokerId, a);
    const w = await gql(
      broker.graphqlUrl,
      'mutation W($j: ID!) { withdrawConsent(jti: $j) { status } }',
      { j: jti },
      { authorization: `Bearer ${citizen}` },
    );
    expect(w.body.data?.withdrawConsent).toEqual({ status: 'WITHDRAWN' });
    const worker = startWorker(broker.env);
    try {
      await completed(broker, id, 'settled');
      const res = await gql(broker.graphqlUrl, RESULTS, { id, o: 0, l: 10 }, await asMemberOne(broker));
      const rs = (res.body.data?.batchJob as { results: Result[] }).results;
      expect(rs[0]).toMatchObject({ person: null, error: { code: 'CONSENT_REVOKED' } });
      expect(rs[1].person?.surname).toBe(sim.population.get(b)?.surname);
      const log = await sql<{ outcome: string; reason_code: string | null; consent_jti: string }>(
        broker.databaseUrl,
        `SELECT outcome, reason_code, consent_jti FROM access_log WHERE job_id = $1 ORDER BY seq`,
        [id],
      );
      expect(log).toEqual(
        expect.arrayContaining([{ outcome: 'REFUSED', reason_code: 'CONSENT_REVOKED', consent_jti: jti }]),
      );
      expect(log).toHaveLength(2);
    } finally {
      await worker.stop();
    }
  }, 60_000);

  it('checks the consent again at release: one that expired while queued is refused then, and logged', async () => {
    const [m] = sim.population.list(10, 1);
    const consentToken = await consentToMemberOne(broker, m, { lifetimeS: 2 });
    const r = await submitNames(broker, [{ matricule: m, consentToken }]);
    const id = (r.body.data?.submitPersonBatch as Job).id;
    expect((r.body.data?.submitPersonBatch as Job).refused).toBe(0); // valid when submitted
    await new Promise((res) => setTimeout(res, 3000));
    const worker = startWorker(broker.env);
    try {
      const end = await completed(broker, id, 'settled');
      expect(end).toMatchObject({ succeeded: 0, refused: 1 });
      const log = await sql<{ outcome: string; reason_code: string; consent_jti: string | null }>(
        broker.databaseUrl,
        `SELECT outcome, reason_code, consent_jti FROM access_log WHERE job_id = $1`,
        [id],
      );
      expect(log).toHaveLength(1);
      expect(log[0]).toMatchObject({ outcome: 'REFUSED', reason_code: 'CONSENT_EXPIRED' });
      expect(log[0].consent_jti).not.toBeNull();
    } finally {
      await worker.stop();
    }
  }, 60_000);
});

describe('batch jobs where no Redis runs (development: in-process)', () => {
  let sim: TestSimulator;
  let broker: TestBroker;
  let hook: Server;
  const notices: { type: string | undefined; body: string }[] = [];
  beforeAll(async () => {
    sim = await startSimulator();
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        notices.push({ type: req.headers['content-type'], body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/batch-done`;
    broker = await startTestBroker(
      sim.url,
      { REDIS_URL: 'redis://127.0.0.1:1', BATCH_EXECUTION: 'auto' },
      undefined,
      (doc) => {
        doc.members[0].batchCallbackUrl = hookUrl;
      },
    );
  }, 60_000);
  afterAll(async () => {
    await broker?.close();
    await sim?.close();
    await new Promise((r) => hook?.close(r));
  });

  it('runs the job through the same processor in the gateway', async () => {
    const t = broker.trust;
    const ms = sim.population.list(0, 60);
    const requests = await Promise.all(
      ms.map(async (matricule) => ({ matricule, consentToken: await consentToMemberOne(broker, matricule) })),
    );
    const r = await submitNames(broker, requests);
    const id = (r.body.data?.submitPersonBatch as Job).id;
    const end = await completed(broker, id, 'in-process job', 100);
    expect(end).toMatchObject({
      total: 60,
      succeeded: sim.population.list(0, 60).filter((m) => sim.population.get(m)).length,
    });
    const logged = await sql<{ n: string }>(
      broker.databaseUrl,
      `SELECT count(*) AS n FROM access_log WHERE job_id = $1 AND outcome = 'DISCLOSED'`,
      [id],
    );
    expect(Number(logged[0].n)).toBe(end.succeeded);
    // the member is told, by a notice signed with the broker's published key
    const notice = await waitFor('the signed notice', async () => notices[0], 10_000, 50);
    expect(notice.type).toBe('application/jwt');
    const jwks = createRemoteJWKSet(new URL(`${broker.baseUrl}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await compactVerify(notice.body, jwks);
    expect(protectedHeader.typ).toBe('batch-event+jwt');
    const claims = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
    expect(claims).toMatchObject({ iss: t.brokerId, aud: t.m1.id, jobId: id, state: 'COMPLETED', total: 60 });
    expect(notice.body).not.toContain(ms[0]);
  }, 60_000);
});

describe('operator queue dashboard', () => {
  let sim: TestSimulator;
  let broker: TestBroker;
  let redis: TestRedis;
  beforeAll(async () => {
    sim = await startSimulator();
    redis = await startRedis();
    broker = await startTestBroker(sim.url, { REDIS_URL: redis.url, BATCH_EXECUTION: 'queue' });
  }, 60_000);
  afterAll(async () => {
    await broker?.close();
    await redis?.stop();
    await sim?.close();
  });

  it('is served at /ops/queues to operators only', async () => {
    const t = broker.trust;
    const get = async (auth?: string) => {
      const r = await request(`${broker.baseUrl}/ops/queues/api/queues`, {
        headers: auth ? { authorization: `Bearer ${auth}` } : {},
      });
      return { status: r.statusCode, text: await r.body.text() };
    };
    expect((await get()).status).toBe(401);
    expect((await get(await mintMemberAssertion(t.m1.key, t.m1.id, t.brokerId))).status).toBe(401);
    const auditor = await mintStaffToken(t.s1.key, t.s1.id, t.brokerId, 'a', { roles: ['auditor'] });
    expect((await get(auditor)).status).toBe(403);
    const operator = await mintStaffToken(t.s1.key, t.s1.id, t.brokerId, 'o', { roles: ['operator'] });
    const ok = await get(operator);
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('person-batch.v1');
    const page = await request(`${broker.baseUrl}/ops/queues`, {
      headers: { cookie: `broker_ops=${operator}` },
    });
    expect(page.statusCode).toBe(200);
    expect(await page.body.text()).toMatch(/<html/i);
  });
});
