/**
 * Withdrawals against the real gateway, the RNPP simulator over HTTP and PostgreSQL: keyed by
 * (issuer, jti), and checked again in the transaction that writes the access-log entry, so that
 * a withdrawal committed while the register answers still refuses (sync and batch paths). Also
 * the token rules an integrator sees on the wire (issue 10).
 */
import { randomUUID } from 'node:crypto';
import { SignJWT, importJWK } from 'jose';
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
import { waitFor } from './support/processes';
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
const RESULTS = `query J($id: ID!) { batchJob(id: $id) { state succeeded refused
  results(offset: 0, limit: 10) { index person { surname } error { code } } } }`;
const WITHDRAW = `mutation W($j: ID!) { withdrawConsent(jti: $j) { status } }`;
/** Long enough that a withdrawal sent after the consent check lands while the register answers. */
const REGISTER_LATENCY_MS = 1500;

interface LogRow {
  outcome: string;
  reason_code: string | null;
  items_disclosed: string[];
  consent_issuer: string;
}

describe('consent withdrawals (gateway + simulator + PostgreSQL)', () => {
  let sim: TestSimulator;
  let broker: TestBroker;
  let persons: string[];

  beforeAll(async () => {
    sim = await startSimulator();
    // no Redis answers there: batch jobs run in the gateway, through the same processor
    broker = await startTestBroker(sim.url, {
      REDIS_URL: 'redis://127.0.0.1:1',
      BATCH_EXECUTION: 'auto',
      // the register is slowed on purpose below: one attempt that waits for it
      RNPP_ATTEMPT_TIMEOUT_MS: '5000',
      RNPP_TOTAL_TIMEOUT_MS: '10000',
      RNPP_MAX_ATTEMPTS: '1',
    });
    persons = sim.population
      .list(0, 400)
      .filter((m) => !sim.population.get(m)?.deathDate)
      .slice(0, 20);
  }, 60_000);

  afterAll(async () => {
    await broker?.close();
    await sim?.close();
  });

  afterEach(async () => {
    await sim.setKnobs({ latencyMs: 0 });
  });

  const t = () => broker.trust;
  const member = () => mintMemberAssertion(t().m1.key, t().m1.id, t().brokerId);
  const consent = (subject: string, over: { issuer?: 1 | 2; jti?: string } = {}) => {
    const i = over.issuer === 2 ? t().i2 : t().i1;
    return mintConsent(i.key, {
      issuer: i.id,
      subject,
      audience: t().m1.id,
      purpose: GRANTED_PURPOSE,
      scope: ['name'],
      jti: over.jti,
    });
  };
  const ask = async (token: string, matricule: string, assertion?: string): Promise<GqlResponse> =>
    gql(
      broker.graphqlUrl,
      personQuery('matricule surname'),
      { m: matricule },
      {
        authorization: `Bearer ${assertion ?? (await member())}`,
        'consent-token': token,
      },
    );
  const withdrawAsCitizen = async (subject: string, jti: string) => {
    const citizen = await mintCitizenToken(t().idp.key, t().idp.issuer, t().brokerId, subject);
    return gql(broker.graphqlUrl, WITHDRAW, { j: jti }, { authorization: `Bearer ${citizen}` });
  };
  const revokeAsIssuer = async (issuer: 1 | 2, jti: string): Promise<number> => {
    const i = issuer === 2 ? t().i2 : t().i1;
    const res = await request(`${broker.baseUrl}/consents/revocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/jose' },
      body: await mintRevocation(i.key, i.id, jti),
    });
    await res.body.dump();
    return res.statusCode;
  };
  const entriesOf = (jti: string) =>
    sql<LogRow>(
      broker.databaseUrl,
      `SELECT outcome, reason_code, items_disclosed, consent_issuer FROM access_log WHERE consent_jti = $1 ORDER BY seq`,
      [jti],
    );
  /** Resolves once the broker has recorded the consent, i.e. the request is past its consent check. */
  const seen = (jti: string) =>
    waitFor(
      'the consent recorded by the gateway',
      async () =>
        (await sql(broker.databaseUrl, 'SELECT 1 FROM consent_record WHERE jti = $1', [jti])).length > 0 ||
        undefined,
      10_000,
      20,
    );
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

  describe('keyed by (issuer, jti)', () => {
    it("does not refuse one issuer's consent because another issuer withdrew the same jti", async () => {
      const [a] = persons;
      const jti = randomUUID();
      // issuer two revokes a jti it never issued (it cannot know whether another issuer did)
      expect(await revokeAsIssuer(2, jti)).toBe(200);
      const mine = await ask(await consent(a, { issuer: 1, jti }), a);
      expect(mine.body.errors).toBeUndefined();
      expect(mine.body.data?.person?.matricule).toBe(a);
      // issuer two's own consent with that jti is the one withdrawn
      expect(codes(await ask(await consent(a, { issuer: 2, jti }), a))).toEqual(['CONSENT_REVOKED']);
      expect((await entriesOf(jti)).map((e) => [e.consent_issuer, e.outcome, e.reason_code])).toEqual([
        [t().i1.id, 'DISCLOSED', null],
        [t().i2.id, 'REFUSED', 'CONSENT_REVOKED'],
      ]);
    });

    it("does not let an issuer revoke another issuer's consent it has seen (FORBIDDEN), which stays usable", async () => {
      const [, b] = persons;
      const jti = randomUUID();
      const token = await consent(b, { issuer: 1, jti });
      expect((await ask(token, b)).body.errors).toBeUndefined();
      expect(await revokeAsIssuer(2, jti)).toBe(403);
      expect((await ask(token, b)).body.errors).toBeUndefined();
    });

    it("withdraws only the citizen's own consent when another citizen's consent has the same jti", async () => {
      const [, , c, d] = persons;
      const jti = randomUUID();
      const forC = await consent(c, { issuer: 1, jti });
      const forD = await consent(d, { issuer: 2, jti });
      expect((await ask(forC, c)).body.errors).toBeUndefined();
      expect((await ask(forD, d)).body.errors).toBeUndefined();
      expect((await withdrawAsCitizen(d, jti)).body.data?.withdrawConsent).toEqual({ status: 'WITHDRAWN' });
      expect(codes(await ask(forD, d))).toEqual(['CONSENT_REVOKED']);
      expect((await ask(forC, c)).body.errors).toBeUndefined();
    });
  });

  describe('a consent the gateway has verified before (its verified-token cache)', () => {
    /** The decisions about one consent, with the sources asked (none: refused before any register read). */
    const decisionsOf = (jti: string) =>
      sql<{ outcome: string; reason_code: string | null; source: string | null }>(
        broker.databaseUrl,
        'SELECT outcome, reason_code, source FROM access_log WHERE consent_jti = $1 ORDER BY seq',
        [jti],
      );

    it.each([
      ['the citizen withdraws it', 'citizen'],
      ['its issuer revokes it', 'issuer'],
    ])(
      'refuses a reused consent at once when %s, before the register is read (CONSENT_REVOKED)',
      async (_, by) => {
        const m = persons[8 + (by === 'citizen' ? 0 : 1)];
        const jti = randomUUID();
        const token = await consent(m, { jti });
        // verified once, then served from the cache
        for (let i = 0; i < 3; i++) expect((await ask(token, m)).body.errors).toBeUndefined();
        if (by === 'citizen')
          expect((await withdrawAsCitizen(m, jti)).body.data?.withdrawConsent).toEqual({
            status: 'WITHDRAWN',
          });
        else expect(await revokeAsIssuer(1, jti)).toBe(200);
        expect(codes(await ask(token, m))).toEqual(['CONSENT_REVOKED']);
        expect(codes(await ask(token, m))).toEqual(['CONSENT_REVOKED']);
        const rows = await decisionsOf(jti);
        expect(rows.map((r) => [r.outcome, r.reason_code])).toEqual([
          ['DISCLOSED', null],
          ['DISCLOSED', null],
          ['DISCLOSED', null],
          ['REFUSED', 'CONSENT_REVOKED'],
          ['REFUSED', 'CONSENT_REVOKED'],
        ]);
        // refused by the check at the consent, not only by the one where the entry is written
        expect(rows.slice(3).map((r) => r.source)).toEqual([null, null]);
      },
    );
  });

  describe('checked again in the transaction that writes the entry', () => {
    it('refuses a person request whose consent the citizen withdraws while the register answers (CONSENT_REVOKED, one entry)', async () => {
      const [, , , , e] = persons;
      const jti = randomUUID();
      const token = await consent(e, { jti });
      await sim.setKnobs({ latencyMs: REGISTER_LATENCY_MS });
      const answer = ask(token, e);
      await seen(jti);
      await pause(200); // past the consent check, well inside the register's answer
      expect((await withdrawAsCitizen(e, jti)).body.data?.withdrawConsent).toEqual({ status: 'WITHDRAWN' });
      const r = await answer;
      expect(codes(r)).toEqual(['CONSENT_REVOKED']);
      expect(r.body.data?.person ?? null).toBeNull();
      expect(await entriesOf(jti)).toEqual([
        {
          outcome: 'REFUSED',
          reason_code: 'CONSENT_REVOKED',
          items_disclosed: [],
          consent_issuer: t().i1.id,
        },
      ]);
    });

    it('refuses the same request when its issuer revokes the consent while the register answers', async () => {
      const [, , , , , f] = persons;
      const jti = randomUUID();
      const token = await consent(f, { jti });
      await sim.setKnobs({ latencyMs: REGISTER_LATENCY_MS });
      const answer = ask(token, f);
      await seen(jti);
      await pause(200);
      expect(await revokeAsIssuer(1, jti)).toBe(200);
      expect(codes(await answer)).toEqual(['CONSENT_REVOKED']);
      const entries = await entriesOf(jti);
      expect(entries.map((x) => [x.outcome, x.reason_code])).toEqual([['REFUSED', 'CONSENT_REVOKED']]);
    });

    it('refuses a batch item whose consent is withdrawn between submission and release (CONSENT_REVOKED, logged, no result)', async () => {
      const [, , , , , , g, h] = persons;
      const jti = randomUUID();
      await sim.setKnobs({ latencyMs: REGISTER_LATENCY_MS });
      const submitted = await gql(
        broker.graphqlUrl,
        SUBMIT,
        {
          input: {
            purpose: GRANTED_PURPOSE,
            items: ['name'],
            requests: [
              { matricule: g, consentToken: await consent(g, { jti }) },
              { matricule: h, consentToken: await consent(h) },
            ],
          },
        },
        { authorization: `Bearer ${await member()}` },
      );
      expect(submitted.body.errors).toBeUndefined();
      const id = (submitted.body.data?.submitPersonBatch as { id: string }).id;
      // the processor has checked the withdrawals and is reading the register
      await waitFor(
        'the job running',
        async () =>
          (
            await sql<{ state: string }>(broker.databaseUrl, 'SELECT state FROM batch_job WHERE id = $1', [
              id,
            ])
          )[0]?.state === 'RUNNING' || undefined,
        10_000,
        20,
      );
      await pause(300);
      expect(await revokeAsIssuer(1, jti)).toBe(200);
      const done = await waitFor(
        'the job settled',
        async () => {
          const r = await gql(
            broker.graphqlUrl,
            RESULTS,
            { id },
            { authorization: `Bearer ${await member()}` },
          );
          const job = r.body.data?.batchJob as {
            state: string;
            results: { index: number; person: { surname: string } | null; error: { code: string } | null }[];
          } | null;
          return job?.state === 'COMPLETED' ? job : undefined;
        },
        30_000,
        100,
      );
      expect(done.results[0]).toMatchObject({ index: 0, person: null, error: { code: 'CONSENT_REVOKED' } });
      expect(done.results[1].person?.surname).toBe(sim.population.get(h)?.surname);
      expect(await entriesOf(jti)).toEqual([
        {
          outcome: 'REFUSED',
          reason_code: 'CONSENT_REVOKED',
          items_disclosed: [],
          consent_issuer: t().i1.id,
        },
      ]);
      const stored = await sql<{ state: string; error_code: string; result: Buffer | null }>(
        broker.databaseUrl,
        'SELECT state, error_code, result FROM batch_item WHERE job_id = $1 AND idx = 0',
        [id],
      );
      expect(stored).toEqual([{ state: 'REFUSED', error_code: 'CONSENT_REVOKED', result: null }]);
    }, 60_000);
  });

  describe('token rules seen on the wire', () => {
    it('refuses a member assertion whose aud is an array (UNAUTHENTICATED)', async () => {
      const [a] = persons;
      const k = t().m1.key;
      const now = Math.floor(Date.now() / 1000);
      const arrayAud = await new SignJWT({})
        .setProtectedHeader({ alg: k.alg, typ: 'JWT', kid: k.kid })
        .setIssuer(t().m1.id)
        .setSubject(t().m1.id)
        .setAudience([t().brokerId])
        .setIssuedAt(now)
        .setExpirationTime(now + 60)
        .sign(await importJWK(k.privateJwk, k.alg));
      expect(codes(await ask(await consent(a), a, arrayAud))).toEqual(['UNAUTHENTICATED']);
    });

    it('refuses with 401 a staff token living 30 days, and one issued ten years ahead', async () => {
      const now = Math.floor(Date.now() / 1000);
      for (const opts of [{ lifetimeS: 30 * 86400 }, { iat: now + 10 * 366 * 86400, lifetimeS: 60 }]) {
        const token = await mintStaffToken(t().s1.key, t().s1.id, t().brokerId, 'auditor-1', opts);
        const res = await request(`${broker.baseUrl}/audit/reports`, {
          headers: { authorization: `Bearer ${token}` },
        });
        const body = (await res.body.json()) as { errors?: { extensions?: { code?: string } }[] };
        expect([res.statusCode, body.errors?.[0]?.extensions?.code]).toEqual([401, 'UNAUTHENTICATED']);
      }
    });
  });
});
