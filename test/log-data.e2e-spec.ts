/**
 * What goes into the access log and what leaves as an answer (issue 10, "Data in the log"):
 * strings the log cannot record are refused for their own request only, never failing another
 * request's group commit; a register answer for another person, or of the wrong shape, is
 * refused as SOURCE_UNAVAILABLE with exactly one entry. A real gateway over a fresh PostgreSQL
 * database with the real migrations; the register is a small node:http server that answers
 * from the simulator's population and can be told to answer wrongly for one matricule.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { AccessEntryRejected, AccessLogAppender, type NewAccessEntry } from '@broker/access-log';
import { ErrorCode } from '@broker/errors';
import {
  GRANTED_PURPOSE,
  mintCitizenToken,
  mintConsent,
  mintMemberAssertion,
  mintStaffToken,
  sql,
} from '@broker/testing';
import { generatePopulation } from '../apps/rnpp-simulator/src/population';
import type { RnppPerson } from '@broker/sources';
import { startRedis, startWorker, waitFor, type TestRedis, type TestWorker } from './support/processes';
import { codes, gql, personQuery, runCli, startTestBroker, type TestBroker } from './support/test-broker';

interface LogRow {
  outcome: string;
  reason_code: string | null;
  source: string | null;
  purpose: string | null;
  consent_issuer: string | null;
  consent_jti: string | null;
  items_disclosed: string[];
  correlation_id: string;
}

const population = generatePopulation({ size: 2000, seed: 20131128 });
const people = population
  .list(0, 400)
  .map((m) => population.get(m) as RnppPerson)
  .filter((p) => p.address !== null && p.deathDate === null);

/** How the fake register changes its answer for one matricule. */
const tampering = new Map<string, (answer: Record<string, unknown>) => unknown>();

/** An RNPP that answers like the simulator (matricule plus the fields asked), unless told otherwise. */
function startRegister(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://register');
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/health') return json(200, { status: 'ok' });
    const matricule = /^\/persons\/([0-9]{13})$/.exec(url.pathname)?.[1];
    const person = matricule ? population.get(matricule) : undefined;
    if (!matricule || !person) return json(404, { status: 404 });
    const fields = (url.searchParams.get('fields') ?? '').split(',').filter((f) => f && f !== 'matricule');
    const answer: Record<string, unknown> = { matricule: person.matricule };
    for (const f of fields) answer[f] = person[f as keyof RnppPerson];
    json(200, (tampering.get(matricule) ?? ((a) => a))(answer));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server }),
    ),
  );
}

describe('data in the access log and in answers', () => {
  let register: { url: string; server: Server };
  let broker: TestBroker;

  beforeAll(async () => {
    register = await startRegister();
    broker = await startTestBroker(register.url);
  });

  afterAll(async () => {
    await broker?.close();
    await new Promise((r) => register?.server.close(r));
  });

  const t = () => broker.trust;
  const consent = (subject: string, jti?: string) =>
    mintConsent(t().i1.key, {
      issuer: t().i1.id,
      subject,
      audience: t().m1.id,
      purpose: GRANTED_PURPOSE,
      scope: ['name', 'birth', 'address'],
      jti,
    });

  async function ask(subject: string, consentToken: string, selection = 'surname', correlationId?: string) {
    const id = correlationId ?? `logdata-${randomUUID()}`;
    const res = await gql(
      broker.graphqlUrl,
      personQuery(selection),
      { m: subject },
      {
        authorization: `Bearer ${await mintMemberAssertion(t().m1.key, t().m1.id, t().brokerId)}`,
        'consent-token': consentToken,
        'x-correlation-id': id,
      },
    );
    return { res, correlationId: res.headers['x-correlation-id'] as string };
  }

  const entries = (correlationId: string) =>
    sql<LogRow>(broker.databaseUrl, 'SELECT * FROM access_log WHERE correlation_id = $1 ORDER BY seq', [
      correlationId,
    ]);

  const verify = async () => {
    const r = await runCli(['access-log', 'verify', '--json'], broker.databaseUrl);
    return JSON.parse(r.stdout.trim().split('\n').pop() as string) as { ok: boolean; entries: number };
  };

  describe('strings the log cannot record', () => {
    it('refuses a jti with a NUL and one with a lone surrogate (CONSENT_INVALID, logged without it) while 12 good requests get data, and the log verifies', async () => {
      const nul = await consent(people[0].matricule, 'c-\u0000-1');
      const surrogate = await consent(people[1].matricule, 'c-\ud800');
      // the payload carries the lone surrogate as a JSON \u escape, as an attacker would send it
      expect(Buffer.from(surrogate.split('.')[1], 'base64url').toString('utf8')).toContain(
        '"jti":"c-\\ud800"',
      );
      const good = people.slice(2, 14);
      const [bad1, bad2, ...ok] = await Promise.all([
        ask(people[0].matricule, nul),
        ask(people[1].matricule, surrogate),
        ...good.map(async (p) => ask(p.matricule, await consent(p.matricule))),
      ]);

      for (const bad of [bad1, bad2]) {
        expect(bad.res.status).toBe(200);
        expect(codes(bad.res)).toEqual([ErrorCode.CONSENT_INVALID]);
        expect(bad.res.body.data?.person ?? null).toBeNull();
        const log = await entries(bad.correlationId);
        expect(log).toHaveLength(1);
        expect(log[0]).toMatchObject({
          outcome: 'REFUSED',
          reason_code: ErrorCode.CONSENT_INVALID,
          consent_jti: null,
          purpose: null,
        });
      }
      expect(ok).toHaveLength(12);
      ok.forEach((r, i) => {
        expect(r.res.body.errors).toBeUndefined();
        expect(r.res.body.data?.person).toEqual({ surname: good[i].surname });
      });
      for (const r of ok) expect(await entries(r.correlationId)).toMatchObject([{ outcome: 'DISCLOSED' }]);
      expect(await verify()).toMatchObject({ ok: true });
    });

    it('turns away a bad entry at the appender alone: the others of its group commit are written', async () => {
      const appender = broker.app.get(AccessLogAppender);
      const entry = (i: number, over: Partial<NewAccessEntry> = {}): NewAccessEntry => ({
        occurredAt: new Date(),
        channel: 'sync',
        memberId: t().m1.id,
        purpose: GRANTED_PURPOSE,
        consentIssuer: t().i1.id,
        consentJti: randomUUID(),
        subject: people[0].matricule,
        itemsRequested: ['name'],
        itemsDisclosed: ['name'],
        outcome: 'DISCLOSED',
        reasonCode: null,
        source: 'rnpp',
        correlationId: `appender-${i}-${randomUUID()}`,
        jobId: null,
        ...over,
      });
      const batch = [
        ...Array.from({ length: 20 }, (_, i) => entry(i)),
        entry(20, { consentJti: 'x\u0000y' }),
        entry(21, { purpose: 'p\ud800' }),
        entry(22, { auditFilter: '{"m":"a\u0000"}', channel: 'audit' }),
      ];
      const results = await Promise.allSettled(batch.map((e) => appender.append(e)));
      expect(results.slice(0, 20).every((r) => r.status === 'fulfilled')).toBe(true);
      for (const r of results.slice(20)) {
        expect(r.status).toBe('rejected');
        const reason = (r as PromiseRejectedResult).reason as AccessEntryRejected;
        expect(reason).toBeInstanceOf(AccessEntryRejected);
        expect(reason.code).toBe(ErrorCode.INTERNAL_ERROR);
      }
      for (const e of batch.slice(20)) expect(await entries(e.correlationId)).toHaveLength(0);
      expect(await verify()).toMatchObject({ ok: true });
    });

    it('replaces an X-Correlation-Id outside the identifier alphabet by a generated one, and answers with data', async () => {
      const p = people[14];
      for (const given of ['-starts-with-a-dash', '.dot', 'a'.repeat(129)]) {
        const { res, correlationId } = await ask(p.matricule, await consent(p.matricule), 'surname', given);
        expect(res.body.errors).toBeUndefined();
        expect(res.body.data?.person).toEqual({ surname: p.surname });
        expect(correlationId).not.toBe(given);
        expect(correlationId).toMatch(/^[0-9a-f-]{36}$/);
        expect(await entries(correlationId)).toMatchObject([{ outcome: 'DISCLOSED' }]);
      }
    });
  });

  describe('strings at the other entry points', () => {
    const SUBMIT = `mutation S($input: PersonBatchInput!) { submitPersonBatch(input: $input) { id total refused } }`;
    const asMember = async () => ({
      authorization: `Bearer ${await mintMemberAssertion(t().m1.key, t().m1.id, t().brokerId)}`,
    });

    it('refuses only the batch item whose consent jti has a NUL (CONSENT_INVALID); the job holds the others', async () => {
      const ps = people.slice(20, 23);
      const requests = await Promise.all(
        ps.map(async (p, i) => ({
          matricule: p.matricule,
          consentToken: await consent(p.matricule, i === 1 ? 'batch-\u0000' : undefined),
        })),
      );
      const correlationId = `logdata-batch-${randomUUID()}`;
      const res = await gql(
        broker.graphqlUrl,
        SUBMIT,
        { input: { purpose: GRANTED_PURPOSE, items: ['name'], requests } },
        { ...(await asMember()), 'x-correlation-id': correlationId },
      );
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data?.submitPersonBatch).toMatchObject({ total: 3, refused: 1 });
      expect(await entries(correlationId)).toMatchObject([
        { outcome: 'REFUSED', reason_code: ErrorCode.CONSENT_INVALID, consent_jti: null },
      ]);
    });

    it.each([
      ['a purpose with a NUL', { purpose: `${GRANTED_PURPOSE}\u0000` }],
      ['an idempotency key with a lone surrogate', { idempotencyKey: 'key-\ud800' }],
    ])('refuses a batch with %s (BAD_REQUEST) before storing anything', async (_label, over) => {
      const p = people[23];
      const res = await gql(
        broker.graphqlUrl,
        SUBMIT,
        {
          input: {
            purpose: GRANTED_PURPOSE,
            items: ['name'],
            requests: [{ matricule: p.matricule, consentToken: await consent(p.matricule) }],
            ...over,
          },
        },
        await asMember(),
      );
      expect(codes(res)).toEqual([ErrorCode.BAD_REQUEST]);
      expect(res.body.data?.submitPersonBatch ?? null).toBeNull();
    });

    it('refuses a staff token whose sub is not an identifier (UNAUTHENTICATED), so that no audit entry has to be refused', async () => {
      const reports = async (sub: string) => {
        const token = await mintStaffToken(t().s1.key, t().s1.id, t().brokerId, sub);
        const r = await request(`${broker.baseUrl}/audit/reports`, {
          headers: { authorization: `Bearer ${token}` },
        });
        return {
          status: r.statusCode,
          body: (await r.body.json()) as { errors?: { extensions?: { code?: string } }[] },
        };
      };
      for (const sub of ['Jane Doe', 'a\u0000', 'x\ud800']) {
        const r = await reports(sub);
        expect(r.status).toBe(401);
        expect(r.body.errors?.[0]?.extensions?.code).toBe(ErrorCode.UNAUTHENTICATED);
      }
      expect((await reports('jane.doe@ministry.lu')).status).toBe(200);
    });
  });

  describe('register answers that cannot leave', () => {
    afterEach(() => tampering.clear());

    async function expectRefused(subject: RnppPerson, selection: string, leaked: string[]) {
      const { res, correlationId } = await ask(
        subject.matricule,
        await consent(subject.matricule),
        selection,
      );
      expect(codes(res)).toEqual([ErrorCode.SOURCE_UNAVAILABLE]);
      expect(res.body.data?.person ?? null).toBeNull();
      for (const v of leaked) expect(JSON.stringify(res.body)).not.toContain(v);
      const log = await entries(correlationId);
      expect(log).toHaveLength(1);
      expect(log[0]).toMatchObject({
        outcome: 'REFUSED',
        reason_code: ErrorCode.SOURCE_UNAVAILABLE,
        source: 'rnpp',
        items_disclosed: [],
      });
    }

    it('refuses the record of another person (SOURCE_UNAVAILABLE, exactly one entry, nothing of theirs leaks)', async () => {
      const [asked, other] = [people[15], people[16]];
      tampering.set(asked.matricule, (a) => {
        const wrong: Record<string, unknown> = { matricule: other.matricule };
        for (const k of Object.keys(a)) if (k !== 'matricule') wrong[k] = other[k as keyof RnppPerson];
        return wrong;
      });
      await expectRefused(asked, 'matricule surname', [other.matricule, other.surname]);
    });

    it.each<[string, (a: Record<string, unknown>) => unknown]>([
      ['a surname that is a number', (a) => ({ ...a, surname: 42 })],
      ['a birth date in another format', (a) => ({ ...a, birthDate: '01/02/1980' })],
      ['a missing field that was asked for', ({ address: _dropped, ...a }) => a],
      ['an array instead of a record', (a) => [a]],
    ])('refuses %s (SOURCE_UNAVAILABLE, exactly one entry)', async (_label, change) => {
      const p = people[17];
      tampering.set(p.matricule, change);
      await expectRefused(p, 'surname birthDate address { street }', []);
    });

    it("refuses another person's record on the citizen's own page too (SOURCE_UNAVAILABLE, one self entry)", async () => {
      const [me, other] = [people[18], people[19]];
      tampering.set(me.matricule, () => ({ ...(other as unknown as Record<string, unknown>) }));
      const correlationId = `logdata-self-${randomUUID()}`;
      const token = await mintCitizenToken(t().idp.key, t().idp.issuer, t().brokerId, me.matricule);
      const res = await gql(
        broker.graphqlUrl,
        '{ myData { matricule surname } }',
        {},
        {
          authorization: `Bearer ${token}`,
          'x-correlation-id': correlationId,
        },
      );
      expect(codes(res)).toEqual([ErrorCode.SOURCE_UNAVAILABLE]);
      expect(JSON.stringify(res.body)).not.toContain(other.surname);
      // "My data" reads every register; the CCSS and the RCS do not run here, so none answered
      expect(await entries(correlationId)).toMatchObject([
        { outcome: 'REFUSED', reason_code: ErrorCode.SOURCE_UNAVAILABLE, source: 'rnpp+ccss+rcs' },
      ]);
    });

    it('still answers the same person asked with an untampered register, and the log verifies', async () => {
      const p = people[17];
      const { res } = await ask(p.matricule, await consent(p.matricule), 'surname birthDate');
      expect(res.body.data?.person).toEqual({ surname: p.surname, birthDate: p.birthDate });
      expect(await verify()).toMatchObject({ ok: true });
    });
  });
});

describe('register answers that cannot leave, on the batch path (queue and worker)', () => {
  const SUBMIT = `mutation S($input: PersonBatchInput!) { submitPersonBatch(input: $input) { id } }`;
  const JOB = `query J($id: ID!) { batchJob(id: $id) { state succeeded failed refused
    results(offset: 0, limit: 10) { index person { matricule surname } error { code } } } }`;
  let register: { url: string; server: Server };
  let redis: TestRedis;
  let broker: TestBroker;
  let worker: TestWorker;

  beforeAll(async () => {
    register = await startRegister();
    redis = await startRedis();
    broker = await startTestBroker(register.url, {
      REDIS_URL: redis.url,
      BATCH_EXECUTION: 'queue',
      BATCH_RECONCILE_INTERVAL_S: '1',
      BATCH_BACKOFF_MS: '50',
      BATCH_MAX_ATTEMPTS: '2',
      RNPP_MAX_ATTEMPTS: '1',
    });
    worker = startWorker(broker.env);
  }, 120_000);

  afterAll(async () => {
    await worker?.stop();
    await broker?.close();
    await redis?.stop();
    await new Promise((r) => register?.server.close(r));
    tampering.clear();
  });

  it('fails the items whose answer is another person or of the wrong shape (SOURCE_UNAVAILABLE), one entry each', async () => {
    const t = broker.trust;
    const [fine, wrongPerson, wrongShape, other] = people.slice(30, 34);
    tampering.set(wrongPerson.matricule, () => ({ matricule: other.matricule, surname: other.surname }));
    tampering.set(wrongShape.matricule, (a) => ({ ...a, surname: ['not', 'a', 'string'] }));
    const member = async () => ({
      authorization: `Bearer ${await mintMemberAssertion(t.m1.key, t.m1.id, t.brokerId)}`,
    });
    const requests = await Promise.all(
      [fine, wrongPerson, wrongShape].map(async (p) => ({
        matricule: p.matricule,
        consentToken: await mintConsent(t.i1.key, {
          issuer: t.i1.id,
          subject: p.matricule,
          audience: t.m1.id,
          purpose: GRANTED_PURPOSE,
          scope: ['name'],
        }),
      })),
    );
    const submitted = await gql(
      broker.graphqlUrl,
      SUBMIT,
      { input: { purpose: GRANTED_PURPOSE, items: ['name'], requests } },
      await member(),
    );
    expect(submitted.body.errors).toBeUndefined();
    const id = (submitted.body.data?.submitPersonBatch as { id: string }).id;
    const job = await waitFor(
      `job ${id}`,
      async () => {
        const r = await gql(broker.graphqlUrl, JOB, { id }, await member());
        const j = r.body.data?.batchJob as
          | {
              state: string;
              succeeded: number;
              failed: number;
              results: {
                index: number;
                person: { surname: string } | null;
                error: { code: string } | null;
              }[];
            }
          | undefined;
        return j && (j.state === 'COMPLETED' || j.state === 'FAILED') ? j : undefined;
      },
      90_000,
      200,
    );
    expect(job).toMatchObject({ state: 'COMPLETED', succeeded: 1, failed: 2 });
    expect(job.results.map((r) => [r.person?.surname ?? null, r.error?.code ?? null])).toEqual([
      [fine.surname, null],
      [null, ErrorCode.SOURCE_UNAVAILABLE],
      [null, ErrorCode.SOURCE_UNAVAILABLE],
    ]);
    expect(JSON.stringify(job)).not.toContain(other.surname);
    const log = await sql<{ subject: string; outcome: string; reason_code: string | null; source: string }>(
      broker.databaseUrl,
      'SELECT subject, outcome, reason_code, source FROM access_log WHERE job_id = $1 ORDER BY subject',
      [id],
    );
    expect(log).toEqual(
      [
        { subject: fine.matricule, outcome: 'DISCLOSED', reason_code: null, source: 'rnpp' },
        {
          subject: wrongPerson.matricule,
          outcome: 'REFUSED',
          reason_code: ErrorCode.SOURCE_UNAVAILABLE,
          source: 'rnpp',
        },
        {
          subject: wrongShape.matricule,
          outcome: 'REFUSED',
          reason_code: ErrorCode.SOURCE_UNAVAILABLE,
          source: 'rnpp',
        },
      ].sort((a, b) => a.subject.localeCompare(b.subject)),
    );
  });
});
