/**
 * The citizen page's backend end to end: a real gateway over a fresh PostgreSQL database with the
 * real migrations, the RNPP simulator over real HTTP, member, consent and citizen tokens signed in
 * the test with keys made in the test. Above all: a citizen reads their own entries and nothing
 * of another citizen, whatever the operation or parameter.
 */
import { randomUUID } from 'node:crypto';
import { parse as parseCsv } from 'csv-parse/sync';
import { SignJWT, importJWK } from 'jose';
import { request } from 'undici';
import { AccessLogAppender } from '@broker/access-log';
import type { DataItem } from '@broker/data-items';
import {
  GRANTED_PURPOSE,
  OTHER_PURPOSE,
  generateSigningKey,
  mintCitizenToken,
  mintConsent,
  mintMemberAssertion,
  mintStaffToken,
  sql,
} from '@broker/testing';
import {
  codes,
  gql,
  personQuery,
  runCli,
  startSimulator,
  startTestBroker,
  type GqlResponse,
  type TestBroker,
  type TestSimulator,
} from './support/test-broker';

const NODE = `id occurredAt channel member { id name } purpose { code labels { en fr de lb } }
  itemsRequested itemsDisclosed outcome reasonCode consentJti consentIssuer jobId reported`;
const LOG = `query Log($first: Int, $after: String, $from: DateTime, $to: DateTime, $memberId: String) {
  myAccessLog(first: $first, after: $after, from: $from, to: $to, memberId: $memberId) {
    edges { cursor node { ${NODE} } } pageInfo { hasNextPage endCursor } totalCount } }`;
const CONSENTS = `{ myConsents { jti issuer issuerName member { id name } purpose { code labels { en } } scope
  issuedAt expiresAt status withdrawnAt withdrawnBy firstSeenAt lastUsedAt } }`;
const WITHDRAW = `mutation W($j: ID!) { withdrawConsent(jti: $j) { jti status withdrawnAt withdrawnBy } }`;
const REPORT = `mutation R($e: ID!, $t: String!) { reportAccess(entryId: $e, text: $t) }`;

interface Entry {
  id: string;
  occurredAt: string;
  channel: string;
  member: { id: string; name: string };
  purpose: { code: string; labels: Record<string, string | null> } | null;
  itemsRequested: string[];
  itemsDisclosed: string[];
  outcome: string;
  reasonCode: string | null;
  consentJti: string | null;
  consentIssuer: string | null;
  reported: boolean;
}
interface Connection {
  edges: { cursor: string; node: Entry }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount: number;
}

const jtiOf = (token: string): string =>
  (JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { jti: string }).jti;

describe('citizen page (gateway + simulator + PostgreSQL)', () => {
  let sim: TestSimulator;
  let broker: TestBroker;
  let A: string;
  let B: string;
  let C: string;

  beforeAll(async () => {
    sim = await startSimulator();
    broker = await startTestBroker(sim.url);
    [A, B, C] = sim.population
      .list(0, 200)
      .filter((m) => sim.population.get(m)?.address && !sim.population.get(m)?.deathDate)
      .slice(0, 3);
  });

  afterAll(async () => {
    await broker?.close();
    await sim?.close();
  });

  const t = () => broker.trust;
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const citizen = (m: string, opts?: Parameters<typeof mintCitizenToken>[4]) =>
    mintCitizenToken(t().idp.key, t().idp.issuer, t().brokerId, m, opts);
  const m1 = () => mintMemberAssertion(t().m1.key, t().m1.id, t().brokerId);
  const m2 = () => mintMemberAssertion(t().m2.key, t().m2.id, t().brokerId);
  const consent = (subject: string, over: { member?: 1 | 2; scope?: DataItem[]; issuer?: 1 | 2 } = {}) => {
    const issuer = over.issuer === 2 ? t().i2 : t().i1;
    return mintConsent(issuer.key, {
      issuer: issuer.id,
      subject,
      audience: over.member === 2 ? t().m2.id : t().m1.id,
      purpose: over.member === 2 ? OTHER_PURPOSE : GRANTED_PURPOSE,
      scope: over.scope ?? ['name'],
    });
  };
  const ask = async (member: string, consentToken: string, m: string, selection = 'surname', url?: string) =>
    gql(
      url ?? broker.graphqlUrl,
      personQuery(selection),
      { m },
      { ...bearer(member), 'consent-token': consentToken },
    );
  const myLog = async (token: string, vars: Record<string, unknown> = { first: 50 }): Promise<GqlResponse> =>
    gql(broker.graphqlUrl, LOG, vars, bearer(token));
  const conn = (r: GqlResponse): Connection => {
    expect(r.body.errors).toBeUndefined();
    return r.body.data!.myAccessLog as Connection;
  };
  const nodes = (r: GqlResponse): Entry[] => conn(r).edges.map((e) => e.node);
  const http = async (
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    headers: Record<string, string> = {},
    body?: string,
  ) => {
    const res = await request(`${broker.baseUrl}${path}`, { method, headers, body });
    // bytes as sent (undici's text() would drop a BOM)
    const text = Buffer.from(await res.body.arrayBuffer()).toString('utf8');
    return { status: res.statusCode, headers: res.headers, text };
  };

  // member requests made once for the isolation suite: A 2 granted + 1 refused, B 2 granted
  let ca1: string;
  let ca2: string;
  let cb1: string;
  let cb2: string;
  beforeAll(async () => {
    ca1 = await consent(A);
    ca2 = await consent(A, { member: 2, issuer: 2 });
    cb1 = await consent(B);
    cb2 = await consent(B, { scope: ['name', 'address'] });
    expect((await ask(await m1(), ca1, A)).body.data?.person).toBeTruthy();
    expect((await ask(await m2(), ca2, A)).body.data?.person).toBeTruthy();
    expect(codes(await ask(await m1(), await consent(A), A, 'surname address { street }'))).toEqual([
      'SCOPE_NOT_GRANTED',
    ]);
    expect((await ask(await m1(), cb1, B)).body.data?.person).toBeTruthy();
    expect((await ask(await m1(), cb2, B, 'surname address { street }')).body.data?.person).toBeTruthy();
  });

  describe('who may call: UNAUTHENTICATED and FORBIDDEN', () => {
    it('answers a valid citizen token', async () => {
      expect(nodes(await myLog(await citizen(A)))).toHaveLength(3);
    });

    it.each<[string, () => Promise<string | null>]>([
      ['no token', async () => null],
      ['garbage', async () => 'not-a-token'],
      [
        'an unknown key',
        async () =>
          mintCitizenToken(await generateSigningKey('ES256', 'stranger'), t().idp.issuer, t().brokerId, A),
      ],
      [
        "an unknown key under the provider's kid",
        async () =>
          mintCitizenToken(
            await generateSigningKey('ES256', t().idp.key.kid),
            t().idp.issuer,
            t().brokerId,
            A,
          ),
      ],
      ['a wrong aud', async () => mintCitizenToken(t().idp.key, t().idp.issuer, 'another-broker', A)],
      ['an unknown iss', async () => mintCitizenToken(t().idp.key, 'https://ghost.invalid', t().brokerId, A)],
      [
        'an expired token',
        async () => citizen(A, { iat: Math.floor(Date.now() / 1000) - 7200, lifetimeS: 3600 }),
      ],
      ['a lifetime above the maximum', async () => citizen(A, { lifetimeS: 7200 })],
      ['an iat in the future', async () => citizen(A, { iat: Math.floor(Date.now() / 1000) + 600 })],
      ['a sub that is not a matricule', async () => citizen('1234567890123')],
      ['typ other than JWT', async () => citizen(A, { header: { typ: 'at+jwt' } })],
      [
        'alg none',
        async () => {
          const [, p] = (await citizen(A)).split('.');
          const h = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT', kid: t().idp.key.kid })).toString(
            'base64url',
          );
          return `${h}.${p}.`;
        },
      ],
      [
        'HS256 keyed with the public JWK',
        async () =>
          new SignJWT({ sub: A })
            .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: t().idp.key.kid })
            .setIssuer(t().idp.issuer)
            .setAudience(t().brokerId)
            .setIssuedAt()
            .setExpirationTime('5m')
            .sign(new TextEncoder().encode(JSON.stringify(t().idp.key.publicJwk))),
      ],
      [
        "a member's key with the provider's iss",
        async () => mintCitizenToken(t().m1.key, t().idp.issuer, t().brokerId, A),
      ],
      [
        'no exp',
        async () =>
          new SignJWT({ sub: A })
            .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: t().idp.key.kid })
            .setIssuer(t().idp.issuer)
            .setAudience(t().brokerId)
            .setIssuedAt()
            .sign(await importJWK(t().idp.key.privateJwk, 'ES256')),
      ],
    ])('refuses %s with UNAUTHENTICATED and no data', async (_label, make) => {
      const token = await make();
      const r = await gql(broker.graphqlUrl, LOG, { first: 5 }, token === null ? {} : bearer(token));
      expect(codes(r)).toEqual(['UNAUTHENTICATED']);
      expect(r.body.data ?? null).toBeNull();
    });

    const citizenOps: [string, string, Record<string, unknown>][] = [
      ['myAccessLog', LOG, { first: 5 }],
      ['myConsents', CONSENTS, {}],
      ['myData', '{ myData { matricule surname } }', {}],
      ['myMembers', '{ myMembers { id name } }', {}],
      ['withdrawConsent', WITHDRAW, { j: 'x' }],
      ['reportAccess', REPORT, { e: '1', t: 'x' }],
    ];

    it.each(citizenOps)('refuses a member assertion on %s with FORBIDDEN', async (_op, query, vars) => {
      const r = await gql(broker.graphqlUrl, query, vars, bearer(await m1()));
      expect(codes(r)).toEqual(['FORBIDDEN']);
      expect(r.body.data ?? null).toBeNull();
    });

    it.each(citizenOps)('refuses an auditor token on %s with FORBIDDEN', async (_op, query, vars) => {
      const staff = await mintStaffToken(t().s1.key, t().s1.id, t().brokerId, 'auditor-1');
      expect(codes(await gql(broker.graphqlUrl, query, vars, bearer(staff)))).toEqual(['FORBIDDEN']);
    });

    it('refuses an invalid member assertion on a citizen operation with UNAUTHENTICATED', async () => {
      const expired = await mintMemberAssertion(t().m1.key, t().m1.id, t().brokerId, {
        iat: Math.floor(Date.now() / 1000) - 600,
        lifetimeS: 60,
      });
      expect(codes(await myLog(expired))).toEqual(['UNAUTHENTICATED']);
    });

    it("refuses a citizen token on person, their own or another's, with FORBIDDEN", async () => {
      for (const m of [A, B]) {
        const r = await gql(
          broker.graphqlUrl,
          personQuery('surname'),
          { m },
          {
            ...bearer(await citizen(A)),
            'consent-token': ca1,
          },
        );
        expect(codes(r)).toEqual(['FORBIDDEN']);
        expect(r.body.data?.person ?? null).toBeNull();
      }
      const expired = await citizen(A, { iat: Math.floor(Date.now() / 1000) - 7200, lifetimeS: 3600 });
      const r = await gql(broker.graphqlUrl, personQuery('surname'), { m: A }, bearer(expired));
      expect(codes(r)).toEqual(['UNAUTHENTICATED']);
    });
  });

  describe('isolation: citizen A never reads anything of citizen B', () => {
    it("lists exactly A's entries, with member names and purposes, and none of B's", async () => {
      const r = await myLog(await citizen(A));
      const list = nodes(r);
      expect(list).toHaveLength(3);
      expect(conn(r).totalCount).toBe(3);
      expect(JSON.stringify(r.body)).not.toContain(B);
      expect(JSON.stringify(r.body)).not.toContain(jtiOf(cb1));
      expect(new Set(list.map((e) => e.member.name))).toEqual(
        new Set(['Test member one', 'Test member two']),
      );
      expect(new Set(list.map((e) => e.purpose?.code))).toEqual(new Set([GRANTED_PURPOSE, OTHER_PURPOSE]));
      expect(list.map((e) => e.outcome).sort()).toEqual(['DISCLOSED', 'DISCLOSED', 'REFUSED']);
      const refused = list.find((e) => e.outcome === 'REFUSED')!;
      expect(refused).toMatchObject({ reasonCode: 'SCOPE_NOT_GRANTED', itemsDisclosed: [], reported: false });
      // newest first
      const ids = list.map((e) => BigInt(e.id));
      expect([...ids].sort((a, b) => (a > b ? -1 : 1))).toEqual(ids);
      expect(nodes(await myLog(await citizen(B)))).toHaveLength(2);
    });

    it("gives nothing of B to A paging with B's cursor", async () => {
      const bPage = conn(await myLog(await citizen(B), { first: 1 }));
      expect(bPage.pageInfo.hasNextPage).toBe(true);
      const r = await myLog(await citizen(A), { first: 50, after: bPage.pageInfo.endCursor });
      expect(JSON.stringify(r.body)).not.toContain(B);
      for (const e of nodes(r)) expect(BigInt(e.id) < BigInt(bPage.edges[0].node.id)).toBe(true);
      const aIds = new Set(nodes(await myLog(await citizen(A))).map((e) => e.id));
      for (const e of nodes(r)) expect(aIds.has(e.id)).toBe(true);
    });

    it('ignores extra variables naming B, and the memberId filter stays within A', async () => {
      const r = await gql(
        broker.graphqlUrl,
        LOG,
        { first: 50, subject: B, matricule: B, sub: B },
        bearer(await citizen(A)),
      );
      expect(nodes(r)).toHaveLength(3);
      expect(JSON.stringify(r.body)).not.toContain(B);
      const onlyM2 = nodes(await myLog(await citizen(A), { first: 50, memberId: t().m2.id }));
      expect(onlyM2.map((e) => e.member.id)).toEqual([t().m2.id]);
      // m2 never asked about B: B filtered on m2 sees nothing
      expect(nodes(await myLog(await citizen(B), { first: 50, memberId: t().m2.id }))).toEqual([]);
    });

    it('refuses a subject argument: the schema has none', async () => {
      const r = await gql(
        broker.graphqlUrl,
        `{ myAccessLog(first: 5, subject: "${B}") { totalCount } }`,
        {},
        bearer(await citizen(A)),
      );
      expect(codes(r)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    });

    it("lists A's consents only, and lists no consent of B", async () => {
      const r = await gql(broker.graphqlUrl, CONSENTS, {}, bearer(await citizen(A)));
      expect(r.body.errors).toBeUndefined();
      const list = r.body.data!.myConsents as { jti: string; status: string; member: { name: string } }[];
      const jtis = list.map((c) => c.jti);
      expect(jtis).toEqual(expect.arrayContaining([jtiOf(ca1), jtiOf(ca2)]));
      expect(JSON.stringify(r.body)).not.toContain(jtiOf(cb1));
      expect(JSON.stringify(r.body)).not.toContain(jtiOf(cb2));
      expect(JSON.stringify(r.body)).not.toContain(B);
      expect(list.find((c) => c.jti === jtiOf(ca1))).toMatchObject({
        status: 'ACTIVE',
        member: { name: 'Test member one' },
      });
    });

    it("cannot withdraw B's consent (NOT_FOUND), and B's consent keeps working", async () => {
      const r = await gql(broker.graphqlUrl, WITHDRAW, { j: jtiOf(cb1) }, bearer(await citizen(A)));
      expect(codes(r)).toEqual(['NOT_FOUND']);
      expect(JSON.stringify(r.body)).not.toContain(B);
      expect(
        codes(await gql(broker.graphqlUrl, WITHDRAW, { j: 'no-such-jti' }, bearer(await citizen(A)))),
      ).toEqual(['NOT_FOUND']);
      expect((await ask(await m1(), cb1, B)).body.data?.person).toBeTruthy();
    });

    it("cannot flag B's entry (NOT_FOUND), nor a made-up id", async () => {
      const bEntry = nodes(await myLog(await citizen(B)))[0];
      for (const e of [bEntry.id, '999999999', 'abc', '-1', '0', '99999999999999999999']) {
        const r = await gql(broker.graphqlUrl, REPORT, { e, t: 'not me' }, bearer(await citizen(A)));
        expect(codes(r)).toEqual(['NOT_FOUND']);
      }
      const rows = await sql(broker.databaseUrl, 'SELECT * FROM access_report WHERE entry_seq = $1', [
        bEntry.id,
      ]);
      expect(rows).toEqual([]);
      expect(nodes(await myLog(await citizen(B)))[0].reported).toBe(false);
    });

    it("lists in myMembers only the members of A's own log", async () => {
      const r = await gql(broker.graphqlUrl, '{ myMembers { id name } }', {}, bearer(await citizen(A)));
      expect(r.body.data!.myMembers).toEqual([
        { id: t().m1.id, name: 'Test member one' },
        { id: t().m2.id, name: 'Test member two' },
      ]);
      const rb = await gql(broker.graphqlUrl, '{ myMembers { id name } }', {}, bearer(await citizen(B)));
      expect(rb.body.data!.myMembers).toEqual([{ id: t().m1.id, name: 'Test member one' }]);
    });

    it("downloads A's log only, as JSON and CSV, by Bearer or by cookie", async () => {
      const tokenA = await citizen(A);
      const json = await http('GET', '/me/access-log.json', bearer(tokenA));
      expect(json.status).toBe(200);
      expect(json.headers['content-disposition']).toMatch(
        /^attachment; filename="my-access-log-\d{4}-\d{2}-\d{2}\.json"$/,
      );
      expect(json.headers['cache-control']).toBe('no-store');
      const doc = JSON.parse(json.text) as { subject: string; generatedAt: string; entries: Entry[] };
      expect(doc.subject).toBe(A);
      expect(doc.entries).toHaveLength(3);
      expect(doc.entries.map((e) => e.id)).toEqual(nodes(await myLog(tokenA)).map((e) => e.id));
      expect(json.text).not.toContain(B);
      expect(json.text).not.toContain(jtiOf(cb1));

      const csv = await http('GET', '/me/access-log.csv?lang=fr', {
        cookie: `other=1; broker_citizen=${tokenA}`,
      });
      expect(csv.status).toBe(200);
      expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8; header=present');
      expect(csv.headers['content-disposition']).toMatch(/^attachment; filename=".*\.csv"$/);
      expect(csv.text.startsWith('\ufeffid,occurredAt,')).toBe(true);
      const rows = parseCsv(csv.text, { columns: true, bom: true }) as Record<string, string>[];
      expect(rows).toHaveLength(3);
      expect(rows.map((r) => r.id)).toEqual(doc.entries.map((e) => e.id));
      expect(new Set(rows.map((r) => r.memberName))).toEqual(new Set(['Test member one', 'Test member two']));
      expect(csv.text).not.toContain(B);

      // B's cookie gives B's log; a Bearer header wins over a cookie
      const both = await http('GET', '/me/access-log.json', {
        ...bearer(tokenA),
        cookie: `broker_citizen=${await citizen(B)}`,
      });
      expect((JSON.parse(both.text) as { subject: string }).subject).toBe(A);
    });

    it.each(['json', 'csv'])('refuses the %s download without a citizen', async (ext) => {
      const none = await http('GET', `/me/access-log.${ext}`);
      expect(none.status).toBe(401);
      expect(JSON.parse(none.text).errors[0].extensions.code).toBe('UNAUTHENTICATED');
      const bad = await http('GET', `/me/access-log.${ext}`, { cookie: 'broker_citizen=abc.def.ghi' });
      expect(bad.status).toBe(401);
      const member = await http('GET', `/me/access-log.${ext}`, bearer(await m1()));
      expect(member.status).toBe(403);
      expect(JSON.parse(member.text).errors[0].extensions.code).toBe('FORBIDDEN');
    });
  });

  describe('withdrawing a consent', () => {
    it('refuses the consent from then on with CONSENT_REVOKED, logged with its jti, issuer and purpose', async () => {
      const c = await consent(C);
      expect((await ask(await m1(), c, C)).body.data?.person).toBeTruthy();
      const tokenC = await citizen(C);
      const w = await gql(broker.graphqlUrl, WITHDRAW, { j: jtiOf(c) }, bearer(tokenC));
      expect(w.body.errors).toBeUndefined();
      const withdrawn = w.body.data!.withdrawConsent as {
        status: string;
        withdrawnAt: string;
        withdrawnBy: string;
      };
      expect(withdrawn).toMatchObject({ jti: jtiOf(c), status: 'WITHDRAWN', withdrawnBy: 'citizen' });
      // idempotent: the same answer, the first time kept
      const again = await gql(broker.graphqlUrl, WITHDRAW, { j: jtiOf(c) }, bearer(tokenC));
      expect(again.body.data!.withdrawConsent).toEqual(withdrawn);

      const correlationId = `e2e-${randomUUID()}`;
      const r = await gql(
        broker.graphqlUrl,
        personQuery('surname'),
        { m: C },
        {
          ...bearer(await m1()),
          'consent-token': c,
          'x-correlation-id': correlationId,
        },
      );
      expect(codes(r)).toEqual(['CONSENT_REVOKED']);
      expect(r.body.data?.person ?? null).toBeNull();
      const rows = await sql(broker.databaseUrl, 'SELECT * FROM access_log WHERE correlation_id = $1', [
        correlationId,
      ]);
      expect(rows).toEqual([
        expect.objectContaining({
          outcome: 'REFUSED',
          reason_code: 'CONSENT_REVOKED',
          consent_jti: jtiOf(c),
          consent_issuer: t().i1.id,
          purpose: GRANTED_PURPOSE,
          subject: C,
        }),
      ]);
      const latest = nodes(await myLog(tokenC))[0];
      expect(latest).toMatchObject({
        outcome: 'REFUSED',
        reasonCode: 'CONSENT_REVOKED',
        consentJti: jtiOf(c),
      });
      const listed = (await gql(broker.graphqlUrl, CONSENTS, {}, bearer(tokenC))).body.data!.myConsents as {
        jti: string;
        status: string;
      }[];
      expect(listed.find((x) => x.jti === jtiOf(c))?.status).toBe('WITHDRAWN');
    });

    it('holds at once on another gateway over the same database', async () => {
      const second = await startTestBroker(sim.url, {}, broker);
      try {
        const c = await consent(C);
        expect((await ask(await m1(), c, C, 'surname', second.graphqlUrl)).body.data?.person).toBeTruthy();
        const w = await gql(broker.graphqlUrl, WITHDRAW, { j: jtiOf(c) }, bearer(await citizen(C)));
        expect(w.body.errors).toBeUndefined();
        expect(codes(await ask(await m1(), c, C, 'surname', second.graphqlUrl))).toEqual(['CONSENT_REVOKED']);
      } finally {
        await second.app.close();
      }
    });
  });

  describe('flagging an access', () => {
    it('stores a flag on an own entry, shows it as reported, and lets auditors read it', async () => {
      const tokenA = await citizen(A);
      const entry = nodes(await myLog(tokenA))[1];
      const r = await gql(
        broker.graphqlUrl,
        REPORT,
        { e: entry.id, t: '  I never asked for this.  ' },
        bearer(tokenA),
      );
      expect(r.body).toEqual({ data: { reportAccess: true } });
      expect(nodes(await myLog(tokenA)).find((e) => e.id === entry.id)?.reported).toBe(true);

      const auditor = await mintStaffToken(t().s1.key, t().s1.id, t().brokerId, 'auditor-reports');
      const list = await http('GET', '/audit/reports?limit=10', bearer(auditor));
      expect(list.status).toBe(200);
      const body = JSON.parse(list.text) as {
        reports: { entryId: string; subject: string; text: string; entry: { memberId: string } }[];
      };
      expect(body.reports).toEqual([
        expect.objectContaining({
          entryId: entry.id,
          subject: A,
          text: 'I never asked for this.',
          entry: expect.objectContaining({ memberId: entry.member.id }),
        }),
      ]);
      // restricted auditors see flags about their members only
      const other = entry.member.id === t().m1.id ? t().m2.id : t().m1.id;
      const restricted = await mintStaffToken(t().s1.key, t().s1.id, t().brokerId, 'auditor-2', {
        members: [other],
      });
      expect(JSON.parse((await http('GET', '/audit/reports', bearer(restricted))).text).reports).toEqual([]);
      // auditors only
      expect((await http('GET', '/audit/reports', bearer(tokenA))).status).toBe(401);
      expect((await http('GET', '/audit/reports')).status).toBe(401);
      // the same through the CLI, as NDJSON
      const cli = await runCli(
        ['audit', 'reports', '--url', broker.baseUrl, '--token', auditor],
        broker.databaseUrl,
      );
      expect(cli.code).toBe(0);
      const lines = cli.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { entryId: string; text: string });
      expect(lines).toEqual([
        expect.objectContaining({ entryId: entry.id, text: 'I never asked for this.' }),
      ]);
      // the auditors' reading is itself logged
      const logged = await sql(
        broker.databaseUrl,
        "SELECT * FROM access_log WHERE channel = 'audit' AND purpose = 'audit.reports'",
      );
      expect(logged.length).toBeGreaterThanOrEqual(2);
    });

    it.each([
      ['empty', ''],
      ['blank', '   '],
      ['over 1,000 characters', 'x'.repeat(1001)],
    ])('refuses a %s text with BAD_REQUEST', async (_label, text) => {
      const tokenA = await citizen(A);
      const entry = nodes(await myLog(tokenA))[0];
      expect(codes(await gql(broker.graphqlUrl, REPORT, { e: entry.id, t: text }, bearer(tokenA)))).toEqual([
        'BAD_REQUEST',
      ]);
    });

    it('accepts exactly 1,000 characters', async () => {
      const tokenA = await citizen(A);
      const entry = nodes(await myLog(tokenA))[0];
      const r = await gql(broker.graphqlUrl, REPORT, { e: entry.id, t: 'é'.repeat(1000) }, bearer(tokenA));
      expect(r.body.data?.reportAccess).toBe(true);
    });
  });

  describe('my data (self-access)', () => {
    it('returns the whole record and logs it as a self-access by the citizen', async () => {
      const tokenB = await citizen(B);
      const before = conn(await myLog(tokenB)).totalCount;
      const r = await gql(
        broker.graphqlUrl,
        '{ myData { matricule surname givenNames birthDate address { street } nationalities civilStatus parents { matricule } } }',
        {},
        bearer(tokenB),
      );
      expect(r.body.errors).toBeUndefined();
      const truth = sim.population.get(B)!;
      expect(r.body.data!.myData).toMatchObject({
        matricule: B,
        surname: truth.surname,
        givenNames: truth.givenNames,
      });
      const latest = nodes(await myLog(tokenB))[0];
      expect(conn(await myLog(tokenB)).totalCount).toBe(before + 1);
      expect(latest).toMatchObject({
        channel: 'self',
        member: { id: 'citizen', name: 'You (self-access)' },
        purpose: null,
        outcome: 'DISCLOSED',
        consentJti: null,
      });
      expect(latest.itemsDisclosed).toContain('filiation');
      // and only in B's log
      expect(JSON.stringify((await myLog(await citizen(A))).body)).not.toContain('"self"');
    });
  });

  describe('pagination and filters over many entries', () => {
    let D: string;
    let tokenD: string;
    const TOTAL = 2500;
    beforeAll(async () => {
      D = sim.population.list(200, 400).find((m) => !sim.population.get(m)?.deathDate)!;
      tokenD = await citizen(D);
      const appender = broker.app.get(AccessLogAppender);
      const start = Date.UTC(2025, 0, 1);
      await Promise.all(
        Array.from({ length: TOTAL }, (_, i) =>
          appender.append({
            occurredAt: new Date(start + i * 3600_000),
            channel: 'sync',
            memberId: i % 5 === 0 ? t().m2.id : t().m1.id,
            purpose: i % 5 === 0 ? OTHER_PURPOSE : GRANTED_PURPOSE,
            consentIssuer: t().i1.id,
            consentJti: `bulk-${i}`,
            subject: D,
            itemsRequested: ['name'],
            itemsDisclosed: ['name'],
            outcome: 'DISCLOSED',
            reasonCode: null,
            source: 'rnpp',
            correlationId: `bulk-${i}`,
            jobId: null,
          }),
        ),
      );
    }, 120_000);

    it('walks every entry once, newest first, 100 at a time, with the total', async () => {
      const seen: string[] = [];
      let after: string | null = null;
      let pages = 0;
      for (;;) {
        const page = conn(await myLog(tokenD, { first: 100, after }));
        expect(page.totalCount).toBe(TOTAL);
        seen.push(...page.edges.map((e) => e.node.id));
        pages++;
        if (!page.pageInfo.hasNextPage) break;
        expect(page.edges).toHaveLength(100);
        expect(page.pageInfo.endCursor).toBe(page.edges[99].cursor);
        after = page.pageInfo.endCursor;
      }
      expect(pages).toBe(TOTAL / 100);
      expect(new Set(seen).size).toBe(TOTAL);
      const asNumbers = seen.map((s) => BigInt(s));
      expect(asNumbers.every((v, i) => i === 0 || v < asNumbers[i - 1])).toBe(true);
    });

    it('caps first at 100 and defaults to 20', async () => {
      expect(conn(await myLog(tokenD, { first: 1000 })).edges).toHaveLength(100);
      expect(conn(await myLog(tokenD, {})).edges).toHaveLength(20);
      expect(conn(await myLog(tokenD, { first: 0 })).edges).toHaveLength(0);
    });

    it('filters by period (from inclusive, to exclusive) and by member', async () => {
      const from = new Date(Date.UTC(2025, 0, 2)).toISOString(); // entry 24 onwards
      const to = new Date(Date.UTC(2025, 0, 3)).toISOString(); // up to entry 47
      const day = conn(await myLog(tokenD, { first: 100, from, to }));
      expect(day.totalCount).toBe(24);
      expect(day.edges.map((e) => e.node.consentJti)).toEqual(
        Array.from({ length: 24 }, (_, i) => `bulk-${47 - i}`),
      );
      const m2Only = conn(await myLog(tokenD, { first: 100, memberId: t().m2.id, from, to }));
      expect(m2Only.edges.map((e) => e.node.consentJti)).toEqual([
        'bulk-45',
        'bulk-40',
        'bulk-35',
        'bulk-30',
        'bulk-25',
      ]);
      expect(conn(await myLog(tokenD, { first: 1, memberId: t().m2.id })).totalCount).toBe(TOTAL / 5);
      expect(conn(await myLog(tokenD, { first: 1, memberId: 'nobody' })).totalCount).toBe(0);
    });

    it('refuses a bad cursor, a negative first and from after to with BAD_REQUEST', async () => {
      expect(codes(await myLog(tokenD, { first: 5, after: 'bm9wZQ' }))).toEqual(['BAD_REQUEST']);
      expect(codes(await myLog(tokenD, { first: -1 }))).toEqual(['BAD_REQUEST']);
      expect(
        codes(await myLog(tokenD, { from: '2025-02-01T00:00:00Z', to: '2025-01-01T00:00:00Z' })),
      ).toEqual(['BAD_REQUEST']);
    });

    it('stays fast deep in a long log (keyset on the (subject, seq) index)', async () => {
      const first = conn(await myLog(tokenD, { first: 100 }));
      const t0 = performance.now();
      let after = first.pageInfo.endCursor;
      for (let i = 0; i < 5; i++) after = conn(await myLog(tokenD, { first: 100, after })).pageInfo.endCursor;
      const perPage = (performance.now() - t0) / 5;
      expect(perPage).toBeLessThan(500);
      const plan = await sql<{ 'QUERY PLAN': string }>(
        broker.databaseUrl,
        `EXPLAIN SELECT seq FROM access_log WHERE subject = $1 AND seq < 2000 ORDER BY seq DESC LIMIT 101`,
        [D],
      );
      expect(plan.map((p) => p['QUERY PLAN']).join('\n')).toMatch(/subject_seq|Index/);
    });

    it('downloads every entry', async () => {
      const json = await http('GET', '/me/access-log.json', bearer(tokenD));
      expect((JSON.parse(json.text) as { entries: unknown[] }).entries).toHaveLength(TOTAL);
      const csv = await http('GET', '/me/access-log.csv', { cookie: `broker_citizen=${tokenD}` });
      expect(parseCsv(csv.text, { columns: true, bom: true })).toHaveLength(TOTAL);
    });
  });
});
