/**
 * The synchronous once-only path end to end: a real gateway (Fastify + Apollo) over a fresh
 * PostgreSQL database with the real migrations, the RNPP simulator over real HTTP, tokens
 * signed in the test with keys made in the test.
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair, importJWK } from 'jose';
import { request } from 'undici';
import { makeMatricule } from '@broker/matricule';
import {
  GRANTED_PURPOSE,
  OTHER_PURPOSE,
  generateSigningKey,
  mintConsent,
  mintMemberAssertion,
  sql,
  type SigningKey,
} from '@broker/testing';
import type { DataItem } from '@broker/data-items';
import {
  codes,
  gql,
  personQuery,
  startSimulator,
  startTestBroker,
  type TestBroker,
  type TestSimulator,
} from './support/test-broker';

interface LogRow {
  seq: string;
  channel: string;
  member_id: string;
  purpose: string | null;
  consent_issuer: string | null;
  consent_jti: string | null;
  subject: string | null;
  items_requested: string[];
  items_disclosed: string[];
  outcome: string;
  reason_code: string | null;
  source: string | null;
  correlation_id: string;
}

const b64u = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

describe('synchronous path (gateway + simulator + PostgreSQL)', () => {
  let sim: TestSimulator;
  let broker: TestBroker;
  let A: string;
  let B: string;
  let absent: string;

  beforeAll(async () => {
    sim = await startSimulator();
    broker = await startTestBroker(sim.url);
    // two living residents (with an address), so that every granted item has a value
    [A, B] = sim.population
      .list(0, 200)
      .filter((m) => sim.population.get(m)?.address && !sim.population.get(m)?.deathDate)
      .slice(0, 2);
    for (let serial = 999; ; serial--) {
      const m = makeMatricule('19700101', serial);
      if (!sim.population.get(m)) {
        absent = m;
        break;
      }
    }
  });

  afterAll(async () => {
    await broker?.close();
    await sim?.close();
  });

  const t = () => broker.trust;
  const m1 = (opts?: Parameters<typeof mintMemberAssertion>[3]) =>
    mintMemberAssertion(t().m1.key, t().m1.id, t().brokerId, opts);
  const m2 = () => mintMemberAssertion(t().m2.key, t().m2.id, t().brokerId);
  const consent = (
    subject: string,
    over: Partial<{
      audience: string;
      purpose: string;
      scope: DataItem[];
      lifetimeS: number;
      iat: number;
      issuer: 1 | 2;
    }> = {},
  ) => {
    const issuer = over.issuer === 2 ? t().i2 : t().i1;
    return mintConsent(issuer.key, {
      issuer: issuer.id,
      subject,
      audience: over.audience ?? t().m1.id,
      purpose: over.purpose ?? GRANTED_PURPOSE,
      scope: over.scope ?? (t().m1.items as DataItem[]),
      lifetimeS: over.lifetimeS,
      iat: over.iat,
    });
  };

  async function ask(
    token: string | null,
    consentToken: string | null,
    matricule: unknown,
    selection = 'surname',
    extra: Record<string, string> = {},
  ) {
    const correlationId = `e2e-${randomUUID()}`;
    const headers: Record<string, string> = { 'x-correlation-id': correlationId, ...extra };
    if (token !== null) headers.authorization = `Bearer ${token}`;
    if (consentToken !== null) headers['consent-token'] = consentToken;
    const res = await gql(broker.graphqlUrl, personQuery(selection), { m: matricule }, headers);
    return { res, correlationId };
  }

  async function entries(correlationId: string): Promise<LogRow[]> {
    return sql<LogRow>(
      broker.databaseUrl,
      'SELECT * FROM access_log WHERE correlation_id = $1 ORDER BY seq',
      [correlationId],
    );
  }

  describe('granted queries', () => {
    it('returns exactly the selected fields and logs one disclosure with its consent', async () => {
      const c = await consent(A);
      const { res, correlationId } = await ask(
        await m1(),
        c,
        A,
        'matricule surname givenNames birthDate birthPlace { locality country } address { street postalCode commune }',
      );
      expect(res.status).toBe(200);
      expect(res.body.errors).toBeUndefined();
      const person = res.body.data?.person as Record<string, unknown>;
      expect(Object.keys(person).sort()).toEqual([
        'address',
        'birthDate',
        'birthPlace',
        'givenNames',
        'matricule',
        'surname',
      ]);
      expect(person.matricule).toBe(A);
      const truth = sim.population.get(A)!;
      expect(person.surname).toBe(truth.surname);
      expect(person.givenNames).toEqual(truth.givenNames);
      expect(person.birthDate).toBe(truth.birthDate);
      expect(Object.keys(person.address as object).sort()).toEqual(['commune', 'postalCode', 'street']);
      expect(res.headers['x-correlation-id']).toBe(correlationId);

      const log = await entries(correlationId);
      expect(log).toHaveLength(1);
      const [e] = log;
      const claims = JSON.parse(Buffer.from(c.split('.')[1], 'base64url').toString()) as { jti: string };
      expect(e).toMatchObject({
        channel: 'sync',
        member_id: t().m1.id,
        purpose: GRANTED_PURPOSE,
        consent_issuer: t().i1.id,
        consent_jti: claims.jti,
        subject: A,
        items_requested: ['name', 'birth', 'address'],
        items_disclosed: ['name', 'birth', 'address'],
        outcome: 'DISCLOSED',
        reason_code: null,
        source: 'rnpp',
      });
    });

    it('accepts an EdDSA member with an EdDSA consent issuer for its own purpose', async () => {
      const { res } = await ask(
        await m2(),
        await consent(A, {
          audience: t().m2.id,
          purpose: OTHER_PURPOSE,
          scope: ['name', 'civilStatus'],
          issuer: 2,
        }),
        A,
        'surname civilStatus',
      );
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data?.person).toEqual({
        surname: sim.population.get(A)!.surname,
        civilStatus: sim.population.get(A)!.civilStatus,
      });
    });

    it('lets a member reuse its assertion until it expires', async () => {
      const token = await m1();
      for (const m of [A, B]) {
        const { res } = await ask(token, await consent(m, { scope: ['name'] }), m, 'surname');
        expect(res.body.data?.person).toEqual({ surname: sim.population.get(m)!.surname });
      }
    });

    it('needs no data item for the matricule alone, and discloses relatives only as matricules', async () => {
      const { res } = await ask(await m1(), await consent(A, { scope: [] }), A, 'matricule __typename');
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data?.person).toEqual({ matricule: A, __typename: 'Person' });
    });

    it('generates a correlation id when none (or a malformed one) is given', async () => {
      const res = await gql(
        broker.graphqlUrl,
        personQuery('surname'),
        { m: A },
        { 'x-correlation-id': 'bad id with spaces' },
      );
      const id = res.headers['x-correlation-id'] as string;
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
    });
  });

  describe('refusals: each code from the input that should produce it, one log entry each', () => {
    type Case = [
      name: string,
      run: () => Promise<{ res: Awaited<ReturnType<typeof gql>>; correlationId: string }>,
      code: string,
      logged: boolean,
    ];
    const cases: Case[] = [
      ['no Authorization header', async () => ask(null, await consent(A), A), 'UNAUTHENTICATED', false],
      [
        'Basic scheme',
        async () => ask(null, await consent(A), A, 'surname', { authorization: 'Basic dTpw' }),
        'UNAUTHENTICATED',
        false,
      ],
      [
        'expired assertion',
        async () => ask(await m1({ iat: Math.floor(Date.now() / 1000) - 3600 }), await consent(A), A),
        'UNAUTHENTICATED',
        false,
      ],
      [
        'assertion lifetime above 300 s',
        async () => ask(await m1({ lifetimeS: 3600 }), await consent(A), A),
        'UNAUTHENTICATED',
        false,
      ],
      [
        'consent token used as member assertion',
        async () => ask(await consent(A), await consent(A), A),
        'UNAUTHENTICATED',
        false,
      ],
      [
        'alg none assertion',
        async () => {
          const [h, p] = (await m1()).split('.');
          const header = { ...JSON.parse(Buffer.from(h, 'base64url').toString()), alg: 'none' };
          return ask(`${b64u(JSON.stringify(header))}.${p}.`, await consent(A), A);
        },
        'UNAUTHENTICATED',
        false,
      ],
      [
        'HS256 assertion keyed with the member public JWK',
        async () => {
          const [h, p] = (await m1()).split('.');
          const header = b64u(
            JSON.stringify({ ...JSON.parse(Buffer.from(h, 'base64url').toString()), alg: 'HS256' }),
          );
          const mac = createHmac('sha256', JSON.stringify(t().m1.key.publicJwk))
            .update(`${header}.${p}`)
            .digest();
          return ask(`${header}.${p}.${b64u(mac)}`, await consent(A), A);
        },
        'UNAUTHENTICATED',
        false,
      ],
      ['missing Consent-Token', async () => ask(await m1(), null, A), 'CONSENT_INVALID', true],
      ['member assertion as consent', async () => ask(await m1(), await m1(), A), 'CONSENT_INVALID', true],
      [
        'consent forged with an embedded attacker jwk',
        async () => {
          const attacker = await generateKeyPair('ES256', { extractable: true });
          const jwk = { ...(await exportJWK(attacker.publicKey)), kid: t().i1.key.kid };
          const forged = await new SignJWT({ purpose: GRANTED_PURPOSE, scope: ['name'] })
            .setProtectedHeader({ alg: 'ES256', typ: 'consent+jwt', kid: t().i1.key.kid, jwk })
            .setIssuer(t().i1.id)
            .setSubject(A)
            .setAudience(t().m1.id)
            .setIssuedAt()
            .setExpirationTime('1h')
            .setJti(randomUUID())
            .sign(attacker.privateKey);
          return ask(await m1(), forged, A);
        },
        'CONSENT_INVALID',
        true,
      ],
      [
        'consent signed by a member key',
        async () => {
          const fake: SigningKey = t().m1.key;
          return ask(
            await m1(),
            await mintConsent(fake, {
              issuer: t().i1.id,
              subject: A,
              audience: t().m1.id,
              purpose: GRANTED_PURPOSE,
              scope: ['name'],
            }),
            A,
          );
        },
        'CONSENT_INVALID',
        true,
      ],
      [
        'expired consent',
        async () =>
          ask(
            await m1(),
            await consent(A, { iat: Math.floor(Date.now() / 1000) - 7200, lifetimeS: 3600 }),
            A,
          ),
        'CONSENT_EXPIRED',
        true,
      ],
      [
        'consent for another person',
        async () => ask(await m1(), await consent(B), A),
        'CONSENT_SUBJECT_MISMATCH',
        true,
      ],
      [
        'consent for another member',
        async () => ask(await m1(), await consent(A, { audience: t().m2.id }), A),
        'CONSENT_AUDIENCE_MISMATCH',
        true,
      ],
      [
        'item not in the consent',
        async () => ask(await m1(), await consent(A, { scope: ['name'] }), A, 'surname address { street }'),
        'SCOPE_NOT_GRANTED',
        true,
      ],
      [
        'item consented but not granted',
        async () => ask(await m1(), await consent(A, { scope: ['name', 'sex'] }), A, 'surname sex'),
        'SCOPE_NOT_GRANTED',
        true,
      ],
      [
        'filiation neither consented nor granted',
        async () => ask(await m1(), await consent(A), A, 'surname parents { matricule }'),
        'SCOPE_NOT_GRANTED',
        true,
      ],
      [
        'purpose of another member',
        async () => ask(await m1(), await consent(A, { purpose: OTHER_PURPOSE, scope: ['name'] }), A),
        'PURPOSE_NOT_ALLOWED',
        true,
      ],
      [
        'unknown purpose',
        async () => ask(await m1(), await consent(A, { purpose: 'P-NOPE', scope: ['name'] }), A),
        'PURPOSE_NOT_ALLOWED',
        true,
      ],
      [
        'wrong Verhoeff digit',
        async () => ask(await m1(), await consent(A), A.slice(0, 12) + String((Number(A[12]) + 1) % 10)),
        'INVALID_MATRICULE',
        true,
      ],
      [
        'impossible date',
        async () => ask(await m1(), await consent(A), '1999023012345'),
        'INVALID_MATRICULE',
        true,
      ],
      [
        'fullwidth digits',
        async () =>
          ask(
            await m1(),
            await consent(A),
            [...A].map((d) => String.fromCharCode(0xff10 + Number(d))).join(''),
          ),
        'INVALID_MATRICULE',
        true,
      ],
      [
        'valid but absent matricule',
        async () => ask(await m1(), await consent(absent), absent),
        'PERSON_NOT_FOUND',
        true,
      ],
    ];

    it.each(cases)('%s', async (_name, run, code, logged) => {
      const { res, correlationId } = await run();
      expect(res.status).toBeLessThan(500);
      expect(codes(res)).toEqual([code]);
      expect(res.body.data?.person ?? null).toBeNull();
      const log = await entries(correlationId);
      if (!logged) {
        expect(log).toHaveLength(0);
        return;
      }
      expect(log).toHaveLength(1);
      expect(log[0]).toMatchObject({
        outcome: 'REFUSED',
        reason_code: code,
        items_disclosed: [],
        member_id: t().m1.id,
      });
    });

    it('logs the consent of a refusal that comes after the consent was verified', async () => {
      const { correlationId } = await ask(
        await m1(),
        await consent(A, { scope: ['name'] }),
        A,
        'surname address { street }',
      );
      const [e] = await entries(correlationId);
      expect(e).toMatchObject({
        purpose: GRANTED_PURPOSE,
        consent_issuer: t().i1.id,
        subject: A,
        items_requested: ['name', 'address'],
      });
    });

    it('names the issuer, jti and purpose of an expired (but authentic) consent', async () => {
      const c = await consent(A, { iat: Math.floor(Date.now() / 1000) - 7200, lifetimeS: 3600 });
      const { correlationId } = await ask(await m1(), c, A);
      const jti = (JSON.parse(Buffer.from(c.split('.')[1], 'base64url').toString()) as { jti: string }).jti;
      const [e] = await entries(correlationId);
      expect(e).toMatchObject({
        reason_code: 'CONSENT_EXPIRED',
        consent_issuer: t().i1.id,
        consent_jti: jti,
        purpose: GRANTED_PURPOSE,
      });
    });

    it('does not store an invalid matricule as a subject', async () => {
      const { correlationId } = await ask(await m1(), await consent(A), 'not-a-matricule');
      const [e] = await entries(correlationId);
      expect(e.subject).toBeNull();
    });
  });

  describe('abusive requests get a coded refusal before any resolver runs', () => {
    it('refuses two person fields in one request', async () => {
      const res = await gql(
        broker.graphqlUrl,
        'query($m: ID!) { a: person(matricule: $m) { surname } b: person(matricule: $m) { surname } }',
        { m: A },
        {
          authorization: `Bearer ${await m1()}`,
          'consent-token': await consent(A),
        },
      );
      expect(codes(res)).toEqual(['QUERY_TOO_COMPLEX']);
      expect(res.body.data ?? null).toBeNull();
    });

    it('refuses batched operations', async () => {
      const res = await request(broker.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }]),
      });
      expect(res.statusCode).toBe(400);
      expect(
        ((await res.body.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code,
      ).toBe('BATCHING_NOT_SUPPORTED');
    });

    it('refuses an oversized body with REQUEST_TOO_LARGE', async () => {
      const res = await request(broker.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: `{ __typename } #${'x'.repeat(200_000)}` }),
      });
      expect(res.statusCode).toBe(413);
      expect(
        ((await res.body.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code,
      ).toBe('REQUEST_TOO_LARGE');
    });

    it('refuses headers over 16 KiB at the transport, with a coded text answer (no JSON: the broker never read the request)', async () => {
      const res = await request(broker.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'consent-token': 'A'.repeat(200_000) },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      expect(res.statusCode).toBe(431);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      expect(await res.body.text()).toMatch(/^REQUEST_TOO_LARGE/);
    });

    it('refuses a body that is not JSON with BAD_REQUEST', async () => {
      const res = await request(broker.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{nope',
      });
      expect(res.statusCode).toBe(400);
      expect(
        ((await res.body.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code,
      ).toBe('BAD_REQUEST');
    });
  });

  describe('access log durability', () => {
    it('does not disclose when the access log cannot be written (ACCESS_LOG_UNAVAILABLE)', async () => {
      await sql(broker.databaseUrl, 'ALTER TABLE access_log_head RENAME TO access_log_head_away');
      try {
        const { res, correlationId } = await ask(await m1(), await consent(A), A, 'surname');
        expect(codes(res)).toEqual(['ACCESS_LOG_UNAVAILABLE']);
        expect(res.body.data?.person ?? null).toBeNull();
        expect(JSON.stringify(res.body)).not.toContain(sim.population.get(A)!.surname);
        await sql(broker.databaseUrl, 'ALTER TABLE access_log_head_away RENAME TO access_log_head');
        expect(await entries(correlationId)).toHaveLength(0);
      } finally {
        await sql(broker.databaseUrl, 'ALTER TABLE IF EXISTS access_log_head_away RENAME TO access_log_head');
      }
      const { res } = await ask(await m1(), await consent(A), A, 'surname');
      expect(res.body.data?.person).toEqual({ surname: sim.population.get(A)!.surname });
    });

    it('answers ACCESS_LOG_UNAVAILABLE, not the refusal, when a refusal cannot be logged', async () => {
      await sql(broker.databaseUrl, 'ALTER TABLE access_log_head RENAME TO access_log_head_away');
      try {
        const { res } = await ask(
          await m1(),
          await consent(A, { scope: ['name'] }),
          A,
          'surname address { street }',
        );
        expect(codes(res)).toEqual(['ACCESS_LOG_UNAVAILABLE']);
      } finally {
        await sql(broker.databaseUrl, 'ALTER TABLE IF EXISTS access_log_head_away RENAME TO access_log_head');
      }
    });

    it('keeps one chain under concurrent requests', async () => {
      const token = await m1();
      const results = await Promise.all(
        Array.from({ length: 40 }, async (_, i) =>
          ask(token, await consent(i % 2 ? A : B, { scope: ['name'] }), i % 2 ? A : B, 'surname'),
        ),
      );
      expect(results.every(({ res }) => res.body.data?.person)).toBe(true);
      const rows = await sql<{ seq: string; prev_hash: string; hash: string }>(
        broker.databaseUrl,
        'SELECT seq, prev_hash, hash FROM access_log ORDER BY seq',
      );
      rows.forEach((r, i) => {
        expect(r.seq).toBe(String(i + 1));
        if (i > 0) expect(r.prev_hash).toBe(rows[i - 1].hash);
      });
      const [head] = await sql<{ seq: string; hash: string }>(
        broker.databaseUrl,
        'SELECT seq, hash FROM access_log_head',
      );
      expect(head).toEqual({ seq: rows[rows.length - 1].seq, hash: rows[rows.length - 1].hash });
    });

    it('stores a hash that anyone can recompute from the documented canonical form', async () => {
      const { correlationId } = await ask(await m1(), await consent(A, { scope: ['name'] }), A, 'surname');
      const [row] = await sql<Record<string, unknown>>(
        broker.databaseUrl,
        'SELECT * FROM access_log WHERE correlation_id = $1',
        [correlationId],
      );
      const doc = {
        channel: row.channel,
        consentIssuer: row.consent_issuer,
        consentJti: row.consent_jti,
        correlationId: row.correlation_id,
        // keys in UTF-16 order: itemSources (capital S) sorts before itemsDisclosed
        itemSources: row.item_sources,
        itemsDisclosed: row.items_disclosed,
        itemsRequested: row.items_requested,
        jobId: row.job_id,
        memberId: row.member_id,
        occurredAt: (row.occurred_at as Date).toISOString(),
        outcome: row.outcome,
        prevHash: row.prev_hash,
        purpose: row.purpose,
        reasonCode: row.reason_code,
        // the entry's random salt (ADR 0010), so that its leaf hash reveals nothing guessable
        salt: row.salt,
        seq: row.seq,
        source: row.source,
        subject: row.subject,
        v: 1,
      };
      expect(row.salt).toMatch(/^[A-Za-z0-9_-]{22,}$/);
      expect(createHash('sha256').update(JSON.stringify(doc)).digest('hex')).toBe(row.hash);
    });
  });

  describe('the register', () => {
    it('answers SOURCE_UNAVAILABLE, logged once, when the register fails', async () => {
      const failing = await startSimulator();
      const other = await startTestBroker(failing.url, { RNPP_MAX_ATTEMPTS: '2' });
      try {
        await failing.setKnobs({ failureRate: 1 });
        const correlationId = `e2e-${randomUUID()}`;
        const token = await mintMemberAssertion(other.trust.m1.key, other.trust.m1.id, other.trust.brokerId);
        const c = await mintConsent(other.trust.i1.key, {
          issuer: other.trust.i1.id,
          subject: A,
          audience: other.trust.m1.id,
          purpose: GRANTED_PURPOSE,
          scope: ['name'],
        });
        const res = await gql(
          other.graphqlUrl,
          personQuery('surname'),
          { m: A },
          {
            authorization: `Bearer ${token}`,
            'consent-token': c,
            'x-correlation-id': correlationId,
          },
        );
        expect(codes(res)).toEqual(['SOURCE_UNAVAILABLE']);
        const rows = await sql<LogRow>(
          other.databaseUrl,
          'SELECT * FROM access_log WHERE correlation_id = $1',
          [correlationId],
        );
        expect(rows).toHaveLength(1);
        expect(rows[0]).toMatchObject({
          outcome: 'REFUSED',
          reason_code: 'SOURCE_UNAVAILABLE',
          source: 'rnpp',
          subject: A,
        });
        const ready = await request(`${other.baseUrl}/health/ready`);
        await ready.body.dump();
        expect(ready.statusCode).toBe(200); // the register is up, it just fails reads
      } finally {
        await other.close();
        await failing.close();
      }
    });

    it('is not ready and answers SOURCE_UNAVAILABLE without hanging when the register is down', async () => {
      const other = await startTestBroker('http://127.0.0.1:9');
      try {
        const ready = await request(`${other.baseUrl}/health/ready`);
        expect(ready.statusCode).toBe(503);
        expect(await ready.body.json()).toMatchObject({ database: 'up', rnpp: 'down' });
        const token = await mintMemberAssertion(other.trust.m1.key, other.trust.m1.id, other.trust.brokerId);
        const c = await mintConsent(other.trust.i1.key, {
          issuer: other.trust.i1.id,
          subject: A,
          audience: other.trust.m1.id,
          purpose: GRANTED_PURPOSE,
          scope: ['name'],
        });
        // a functional bound (no hang), not a speed measurement: the budget is RNPP_TOTAL_TIMEOUT_MS
        const started = Date.now();
        const res = await gql(
          other.graphqlUrl,
          personQuery('surname'),
          { m: A },
          { authorization: `Bearer ${token}`, 'consent-token': c },
        );
        expect(codes(res)).toEqual(['SOURCE_UNAVAILABLE']);
        expect(Date.now() - started).toBeLessThan(5000);
      } finally {
        await other.close();
      }
    });
  });

  it('turns introspection and the landing page off in production mode', async () => {
    const prod = await startTestBroker(sim.url, { BROKER_MODE: 'production', DB_MIGRATE: 'auto' });
    try {
      const res = await gql(prod.graphqlUrl, '{ __schema { queryType { name } } }', {});
      expect(codes(res)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
      const landing = await request(prod.graphqlUrl, { headers: { accept: 'text/html' } });
      expect(await landing.body.text()).not.toMatch(/sandbox|embeddable/i);
      const dev = await gql(broker.graphqlUrl, '{ __schema { queryType { name } } }', {});
      expect(dev.body.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    } finally {
      await prod.close();
    }
  });

  it('serves health, metrics and refuses what it does not know', async () => {
    const live = await request(`${broker.baseUrl}/health/live`);
    expect(live.statusCode).toBe(200);
    await live.body.dump();
    const metrics = await request(broker.metricsUrl);
    const text = await metrics.body.text();
    expect(text).toMatch(/broker_access_log_appended_total [1-9]/);
    expect(text).toMatch(/broker_unauthenticated_total [1-9]/);
    expect(text).not.toContain(A);
  });

  it('keeps the importJWK of a consent issuer usable for later requests (no key mutation)', async () => {
    await importJWK(t().i1.key.publicJwk, 'ES256');
    const { res } = await ask(await m1(), await consent(A), A, 'surname');
    expect(res.body.data?.person).toBeTruthy();
    const forged = await generateSigningKey('ES256', t().i1.key.kid);
    const { res: bad } = await ask(
      await m1(),
      await mintConsent(forged, {
        issuer: t().i1.id,
        subject: A,
        audience: t().m1.id,
        purpose: GRANTED_PURPOSE,
        scope: ['name'],
      }),
      A,
    );
    expect(codes(bad)).toEqual(['CONSENT_INVALID']);
  });
});
