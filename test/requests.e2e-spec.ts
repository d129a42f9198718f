/**
 * What the gateway refuses before any resolver runs: repeated singleton headers (whatever a proxy
 * in front would have kept), GraphQL documents over their own cap, a root field asked for more
 * than once, mutations over GET and GraphQL in a content type a cross-site form can send. Real
 * gateway, real PostgreSQL, requests written byte for byte on a socket.
 */
import { connect } from 'node:net';
import { request } from 'undici';
import { GRANTED_PURPOSE, mintCitizenToken, mintConsent, mintMemberAssertion } from '@broker/testing';
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

interface RawAnswer {
  status: number;
  head: string;
  body: string;
}

/** Writes one HTTP/1.1 request byte for byte (headers in order, repeats kept) and reads the answer. */
function raw(
  base: string,
  method: string,
  path: string,
  headers: [string, string][],
  body = '',
): Promise<RawAnswer> {
  const url = new URL(base);
  const head =
    `${method} ${path} HTTP/1.1\r\n` +
    headers.map(([n, v]) => `${n}: ${v}\r\n`).join('') +
    'Connection: close\r\n\r\n';
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => socket.write(head + body));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      resolve({
        status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0),
        head: text.slice(0, split),
        body: text.slice(split + 4),
      });
    });
  });
}

const codeOf = (body: string): string | undefined =>
  (JSON.parse(body) as { errors?: { extensions?: { code?: string } }[] }).errors?.[0]?.extensions?.code;

describe('request hardening', () => {
  let sim: TestSimulator;
  let broker: TestBroker;
  let A: string;
  let B: string;

  beforeAll(async () => {
    sim = await startSimulator();
    broker = await startTestBroker(sim.url);
    [A, B] = sim.population
      .list(0, 200)
      .filter((m) => !sim.population.get(m)?.deathDate)
      .slice(0, 2);
  });

  afterAll(async () => {
    await broker?.close();
    await sim?.close();
  });

  const t = () => broker.trust;
  const member = (which: 'm1' | 'm2' = 'm1') =>
    mintMemberAssertion(t()[which].key, t()[which].id, t().brokerId);
  const consent = (subject: string) =>
    mintConsent(t().i1.key, {
      issuer: t().i1.id,
      subject,
      audience: t().m1.id,
      purpose: GRANTED_PURPOSE,
      scope: t().m1.items as DataItem[],
    });
  const host = (): [string, string] => ['Host', new URL(broker.baseUrl).host];

  describe('repeated singleton headers', () => {
    async function personRequest(
      repeat: (good: [string, string][]) => [string, string][],
    ): Promise<RawAnswer> {
      const body = JSON.stringify({ query: personQuery('surname'), variables: { m: A } });
      const good: [string, string][] = [
        host(),
        ['Content-Type', 'application/json'],
        ['Authorization', `Bearer ${await member()}`],
        ['Consent-Token', await consent(A)],
        ['X-Correlation-Id', 'req-e2e-1'],
        ['Content-Length', String(Buffer.byteLength(body))],
      ];
      return raw(broker.baseUrl, 'POST', '/graphql', repeat(good), body);
    }

    it('answers the same request with data when every header is sent once', async () => {
      const r = await personRequest((good) => good);
      expect(r.status).toBe(200);
      expect((JSON.parse(r.body) as { data: { person: { surname: string } } }).data.person.surname).toEqual(
        expect.any(String),
      );
    });

    it.each([
      ['Authorization', async () => `Bearer ${await member('m2')}`],
      ['Consent-Token', async () => consent(B)],
      ['X-Correlation-Id', async () => 'req-e2e-2'],
      ['Content-Type', async () => 'text/plain'],
      ['Host', async () => 'evil.example'],
      ['authorization', async () => `Bearer ${await member()}`], // same value, other case
    ])('refuses a repeated %s with 400 BAD_REQUEST and no data', async (name, second) => {
      const extra: [string, string] = [name, await second()];
      const r = await personRequest((good) => [...good, extra]);
      expect(r.status).toBe(400);
      expect(r.body).not.toContain('surname');
      expect(codeOf(r.body)).toBe('BAD_REQUEST');
    });

    it('refuses a repeated X-Correlation-Id on any route, even unauthenticated (before anything else)', async () => {
      const r = await raw(broker.baseUrl, 'GET', '/me/session', [
        host(),
        ['X-Correlation-Id', 'a'],
        ['x-correlation-id', 'b'],
      ]);
      expect(r.status).toBe(400);
      expect(codeOf(r.body)).toBe('BAD_REQUEST');
    });

    it.each([
      ['different', '2'],
      ['equal', '3'],
    ])(
      'refuses a repeated Content-Length (%s values) with 400 BAD_REQUEST as JSON',
      async (_label, second) => {
        const r = await raw(
          broker.baseUrl,
          'POST',
          '/graphql',
          [host(), ['Content-Type', 'application/json'], ['Content-Length', '3'], ['Content-Length', second]],
          '{ }',
        );
        expect(r.status).toBe(400);
        expect(r.head.toLowerCase()).toContain('content-type: application/json');
        expect(codeOf(r.body)).toBe('BAD_REQUEST');
      },
    );
  });

  describe('the GraphQL document cap (GRAPHQL_MAX_DOCUMENT_BYTES, 16 KiB)', () => {
    const ask = async (query: string) =>
      gql(
        broker.graphqlUrl,
        query,
        { m: A },
        {
          authorization: `Bearer ${await member()}`,
          'consent-token': await consent(A),
        },
      );

    it('answers a valid query padded with a comment up to the cap', async () => {
      const q = personQuery('surname') + '\n#';
      const r = await ask(q + 'x'.repeat(16 * 1024 - Buffer.byteLength(q)));
      expect(r.body.data?.person?.surname).toEqual(expect.any(String));
    });

    it('refuses a 40 KB document (a valid query and a 40,000-character comment) with REQUEST_TOO_LARGE, no data', async () => {
      const r = await ask(personQuery('surname') + '\n#' + 'x'.repeat(40_000));
      expect(r.status).toBe(413);
      expect(codes(r)).toEqual(['REQUEST_TOO_LARGE']);
      expect(r.body.data).toBeUndefined();
    });
  });

  describe('a configured document cap (GRAPHQL_MAX_DOCUMENT_BYTES=1024)', () => {
    let small: TestBroker;
    beforeAll(async () => {
      small = await startTestBroker(sim.url, { GRAPHQL_MAX_DOCUMENT_BYTES: '1024' }, broker);
    });
    afterAll(async () => {
      await small?.close(); // shares the database: closes the gateway, drops nothing
    });

    const padded = (n: number) => {
      const q = '{ __typename }\n#';
      return q + 'x'.repeat(n - q.length);
    };

    it('answers a document of exactly 1,024 bytes and refuses one byte more, by POST', async () => {
      expect((await gql(small.graphqlUrl, padded(1024), {})).body.data).toEqual({ __typename: 'Query' });
      const r = await gql(small.graphqlUrl, padded(1025), {});
      expect([r.status, ...codes(r)]).toEqual([413, 'REQUEST_TOO_LARGE']);
    });

    it('counts bytes, not characters, and holds over GET too', async () => {
      const q = '{ __typename }\n#';
      const r = await gql(small.graphqlUrl, q + 'é'.repeat(510), {}); // 16 + 1,020 bytes
      expect(codes(r)).toEqual(['REQUEST_TOO_LARGE']);
      const res = await request(`${small.graphqlUrl}?query=${encodeURIComponent(padded(2048))}`, {
        headers: { 'apollo-require-preflight': 'true' },
      });
      expect(res.statusCode).toBe(413);
      expect(codeOf(await res.body.text())).toBe('REQUEST_TOO_LARGE');
    });
  });

  describe('every root field at most once', () => {
    it('refuses ten aliased myData with QUERY_TOO_COMPLEX: no register read, no log entry', async () => {
      const citizen = await mintCitizenToken(t().idp.key, t().idp.issuer, t().brokerId, A);
      const auth = { authorization: `Bearer ${citizen}` };
      const aliased = `{ ${Array.from({ length: 10 }, (_, i) => `a${i}: myData { surname }`).join(' ')} }`;
      const count = async () =>
        (await gql(broker.graphqlUrl, '{ myAccessLog { totalCount } }', {}, auth)).body.data?.myAccessLog;
      const before = (await count()) as { totalCount: number };
      const r = await gql(broker.graphqlUrl, aliased, {}, auth);
      expect(codes(r)).toEqual(['QUERY_TOO_COMPLEX']);
      expect(r.body.data ?? null).toBeNull();
      expect(await count()).toEqual(before);
      // one myData is still fine, and makes exactly one entry
      expect(
        (await gql(broker.graphqlUrl, '{ myData { surname } }', {}, auth)).body.data?.myData,
      ).toBeTruthy();
      expect(await count()).toEqual({ totalCount: before.totalCount + 1 });
    });
  });

  describe('no cross-site GraphQL', () => {
    const withdraw = 'mutation { withdrawConsent(jti: "no-such-jti") { jti } }';

    it('does not run a mutation sent over GET', async () => {
      const citizen = await mintCitizenToken(t().idp.key, t().idp.issuer, t().brokerId, A);
      const res = await request(`${broker.graphqlUrl}?query=${encodeURIComponent(withdraw)}`, {
        headers: { authorization: `Bearer ${citizen}`, 'apollo-require-preflight': 'true' },
      });
      expect(res.statusCode).toBe(405);
      expect(codeOf(await res.body.text())).toBe('BAD_REQUEST');
    });

    it.each([
      ['text/plain', JSON.stringify({ query: withdraw })],
      ['application/x-www-form-urlencoded', `query=${encodeURIComponent(withdraw)}`],
      [
        'multipart/form-data; boundary=x',
        `--x\r\nContent-Disposition: form-data; name="query"\r\n\r\n${withdraw}\r\n--x--\r\n`,
      ],
    ])(
      'refuses a POST in a simple-request content type (%s) with a code, never reaching a resolver',
      async (type, body) => {
        const res = await request(broker.graphqlUrl, {
          method: 'POST',
          headers: { 'content-type': type },
          body,
        });
        expect([400, 415]).toContain(res.statusCode);
        const text = await res.body.text();
        expect(codeOf(text)).toBe('BAD_REQUEST');
        expect(text).not.toContain('UNAUTHENTICATED'); // the resolver's guard never ran
      },
    );
  });
});
