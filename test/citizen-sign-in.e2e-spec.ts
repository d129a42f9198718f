/**
 * How a citizen gets in, and how consents get out: the page and its files at /me, the sign-in
 * cookie, the demo sign-in (development mode only), an identity provider whose keys are fetched
 * from its JWKS endpoint, and revocations signed by consent issuers. Real gateways, real HTTP,
 * real signatures, real PostgreSQL.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { SignJWT, exportJWK, generateKeyPair, type JWK } from 'jose';
import { request } from 'undici';
import { DEV_IDP_ISSUER } from '@broker/citizen';
import {
  GRANTED_PURPOSE,
  generateSigningKey,
  mintCitizenToken,
  mintConsent,
  mintMemberAssertion,
  mintRevocation,
  type SigningKey,
} from '@broker/testing';
import {
  codes,
  gql,
  personQuery,
  startSimulator,
  startTestBroker,
  type TestBroker,
  type TestSimulator,
} from './support/test-broker';

const LOG = '{ myAccessLog(first: 50) { edges { node { id outcome reasonCode } } totalCount } }';

async function http(
  base: string,
  method: 'GET' | 'POST' | 'DELETE',
  urlPath: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: () => Record<string, unknown>;
}> {
  const res = await request(`${base}${urlPath}`, { method, headers, body });
  const text = Buffer.from(await res.body.arrayBuffer()).toString('utf8');
  return { status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text) };
}

const errorCode = (text: string): string | undefined =>
  (JSON.parse(text) as { errors?: { extensions?: { code?: string } }[] }).errors?.[0]?.extensions?.code;

/**
 * What the citizen page sends with a request that changes something under /me: its Origin, and a
 * one-time state from GET /me/session/state in X-CSRF-Token (its cookie too).
 */
async function fromPage(base: string): Promise<Record<string, string>> {
  const r = await http(base, 'GET', '/me/session/state');
  const state = (r.json() as { state: string }).state;
  return { origin: base, 'x-csrf-token': state, cookie: `broker_state=${state}` };
}

/** What an identity provider's form post carries: the state (as a form field) and its cookie. */
async function fromProvider(base: string): Promise<{ headers: Record<string, string>; state: string }> {
  const { 'x-csrf-token': state, cookie } = await fromPage(base);
  return { headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, state };
}

describe('citizen sign-in, page and revocations', () => {
  let sim: TestSimulator;
  let dev: TestBroker;
  let dir: string;
  let A: string;
  let B: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'citizen-sign-in-'));
    sim = await startSimulator();
    dev = await startTestBroker(sim.url, { BROKER_DEV_IDP_KEY_FILE: path.join(dir, 'dev-idp.json') });
    [A, B] = sim.population
      .list(0, 200)
      .filter((m) => !sim.population.get(m)?.deathDate)
      .slice(0, 2);
  });

  afterAll(async () => {
    await dev?.close();
    await sim?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const citizen = (m: string, opts?: Parameters<typeof mintCitizenToken>[4]) =>
    mintCitizenToken(dev.trust.idp.key, dev.trust.idp.issuer, dev.trust.brokerId, m, opts);
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  describe('the page at /me', () => {
    const assets = path.resolve(process.cwd(), 'apps/citizen-web/public/assets');
    // no hash-like part in the plain name (letters only), a hash-like part in the CSS one
    const name = `probe_${randomUUID().replace(/[^a-f]/g, '')}`;
    beforeAll(async () => {
      await mkdir(assets, { recursive: true });
      await writeFile(path.join(assets, `${name}.js`), 'console.log("e2e");\n');
      await writeFile(path.join(assets, `${name}-a1b2c3d4.css`), 'main{color:#000}\n');
    });
    afterAll(async () => {
      await rm(path.join(assets, `${name}.js`), { force: true });
      await rm(path.join(assets, `${name}-a1b2c3d4.css`), { force: true });
    });

    it('serves index.html with a strict Content-Security-Policy and revalidation', async () => {
      const page = await http(dev.baseUrl, 'GET', '/me');
      expect(page.status).toBe(200);
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(page.text).toMatch(/<html/i);
      const csp = String(page.headers['content-security-policy']);
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).toContain("frame-ancestors 'none'");
      expect(page.headers['x-content-type-options']).toBe('nosniff');
      expect(page.headers['cache-control']).toBe('no-cache');
      const again = await http(dev.baseUrl, 'GET', '/me', { 'if-none-match': String(page.headers.etag) });
      expect(again.status).toBe(304);
    });

    it('sends /me/ (trailing slash) to /me, keeping the query', async () => {
      const slash = await http(dev.baseUrl, 'GET', '/me/?lang=fr');
      expect(slash.status).toBe(308);
      expect(slash.headers.location).toBe('/me?lang=fr');
      expect((await http(dev.baseUrl, 'GET', '/me/')).headers.location).toBe('/me');
    });

    it('serves assets with their content type, caching hashed names for a year', async () => {
      const js = await http(dev.baseUrl, 'GET', `/me/assets/${name}.js`);
      expect(js.status).toBe(200);
      expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
      expect(js.headers['cache-control']).toBe('no-cache');
      expect(js.text).toBe('console.log("e2e");\n');
      const css = await http(dev.baseUrl, 'GET', `/me/assets/${name}-a1b2c3d4.css`);
      expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
      expect(css.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    });

    it.each([
      '/me/assets/../../../package.json',
      '/me/assets/%2e%2e/%2e%2e/%2e%2e/package.json',
      '/me/assets/..%2f..%2f..%2fpackage.json',
      '/me/assets/%2e%2e%5c%2e%2e%5cpackage.json',
      '/me/assets/..%252f..%252fpackage.json',
      '/me/assets/',
      '/me/assets/no-such-file.js',
      '/me/assets/.hidden',
      '/me/assets/%00',
    ])('answers %s with 404 and nothing of the file system', async (p) => {
      const r = await http(dev.baseUrl, 'GET', p);
      expect(r.status).toBe(404);
      expect(r.text).not.toContain('once-only-broker');
      expect(r.text).not.toContain('"dependencies"');
    });
  });

  describe('sign-in cookie', () => {
    it('turns an ID token into an HttpOnly, SameSite=Strict cookie on /me, and back', async () => {
      const token = await citizen(A, { lifetimeS: 600 });
      const r = await http(
        dev.baseUrl,
        'POST',
        '/me/session',
        { 'content-type': 'application/json', ...(await fromPage(dev.baseUrl)) },
        JSON.stringify({ id_token: token }),
      );
      expect(r.status).toBe(200);
      expect(r.json()).toEqual({ token, subject: A, expiresAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
      const cookie = String(r.headers['set-cookie']);
      expect(cookie).toMatch(new RegExp(`^broker_citizen=${token.replace(/[.]/g, '\\.')}; `));
      expect(cookie).toContain('HttpOnly');
      expect(cookie).toContain('SameSite=Strict');
      expect(cookie).toContain('Path=/me');
      const maxAge = Number(/Max-Age=(\d+)/.exec(cookie)![1]);
      expect(maxAge).toBeGreaterThan(500);
      expect(maxAge).toBeLessThanOrEqual(600);
      expect(cookie).not.toContain('Secure'); // plain http, development mode
      expect(r.headers['cache-control']).toBe('no-store');

      const session = await http(dev.baseUrl, 'GET', '/me/session', { cookie: `broker_citizen=${token}` });
      expect(session.json()).toMatchObject({ subject: A, token });
      const download = await http(dev.baseUrl, 'GET', '/me/access-log.json', {
        cookie: `broker_citizen=${token}`,
      });
      expect(download.status).toBe(200);

      const out = await http(dev.baseUrl, 'DELETE', '/me/session', await fromPage(dev.baseUrl));
      expect(out.status).toBe(204);
      expect(String(out.headers['set-cookie'])).toContain('Max-Age=0');
      expect((await http(dev.baseUrl, 'GET', '/me/session')).status).toBe(401);
    });

    it('accepts a form post (form_post of an identity provider), redirecting a browser to the page', async () => {
      const token = await citizen(A);
      const first = await fromProvider(dev.baseUrl);
      const json = await http(
        dev.baseUrl,
        'POST',
        '/me/session',
        { ...first.headers, origin: 'https://login.idp.test' },
        `id_token=${token}&state=${first.state}`,
      );
      expect(json.status).toBe(200);
      expect(json.json().subject).toBe(A);
      const second = await fromProvider(dev.baseUrl);
      const browser = await http(
        dev.baseUrl,
        'POST',
        '/me/session',
        { ...second.headers, accept: 'text/html' },
        `id_token=${token}&state=${second.state}`,
      );
      expect(browser.status).toBe(303);
      expect(browser.headers.location).toBe('/me');
      expect(String(browser.headers['set-cookie'])).toContain('broker_citizen=');
    });

    it('refuses a missing, invalid or member token', async () => {
      const post = async (body: unknown) =>
        http(
          dev.baseUrl,
          'POST',
          '/me/session',
          { 'content-type': 'application/json', ...(await fromPage(dev.baseUrl)) },
          JSON.stringify(body),
        );
      const missing = await post({});
      expect([missing.status, errorCode(missing.text)]).toEqual([400, 'BAD_REQUEST']);
      const bad = await post({ id_token: 'a.b.c' });
      expect([bad.status, errorCode(bad.text)]).toEqual([401, 'UNAUTHENTICATED']);
      expect(bad.headers['set-cookie']).toBeUndefined();
      const member = await post({
        id_token: await mintMemberAssertion(dev.trust.m1.key, dev.trust.m1.id, dev.trust.brokerId),
      });
      expect([member.status, errorCode(member.text)]).toEqual([403, 'FORBIDDEN']);
    });

    it('does not take the cookie on GraphQL (Bearer only)', async () => {
      const r = await gql(dev.graphqlUrl, LOG, {}, { cookie: `broker_citizen=${await citizen(A)}` });
      expect(codes(r)).toEqual(['UNAUTHENTICATED']);
    });
  });

  describe('only the page itself signs in and out (Origin and one-time state)', () => {
    const json = { 'content-type': 'application/json' };

    it('issues a state with an HttpOnly cookie on /me, not cached', async () => {
      const r = await http(dev.baseUrl, 'GET', '/me/session/state');
      expect(r.status).toBe(200);
      const { state } = r.json() as { state: string };
      expect(state).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(r.headers['set-cookie']).toBe(
        `broker_state=${state}; Path=/me; HttpOnly; SameSite=Lax; Max-Age=600`,
      );
      expect(r.headers['cache-control']).toBe('no-store');
    });

    it.each([
      ['no Origin', (h: Record<string, string>) => ({ ...h, origin: '' })],
      ['another Origin', (h: Record<string, string>) => ({ ...h, origin: 'https://evil.example' })],
      ['Origin "null"', (h: Record<string, string>) => ({ ...h, origin: 'null' })],
      ['no X-CSRF-Token', (h: Record<string, string>) => ({ ...h, 'x-csrf-token': '' })],
      [
        'an X-CSRF-Token that is not the cookie',
        (h: Record<string, string>) => ({ ...h, 'x-csrf-token': 'x'.repeat(43) }),
      ],
      ['no state cookie', (h: Record<string, string>) => ({ ...h, cookie: '' })],
    ])(
      'refuses a sign-in, a demo sign-in and a sign-out with %s: 403 FORBIDDEN, no session',
      async (_label, spoil) => {
        const headers = (h: Record<string, string>) =>
          Object.fromEntries(Object.entries(spoil(h)).filter(([, v]) => v !== ''));
        const token = await citizen(A);
        const signIn = await http(
          dev.baseUrl,
          'POST',
          '/me/session',
          headers({ ...json, ...(await fromPage(dev.baseUrl)) }),
          JSON.stringify({ id_token: token }),
        );
        expect([signIn.status, errorCode(signIn.text)]).toEqual([403, 'FORBIDDEN']);
        expect(signIn.headers['set-cookie']).toBeUndefined();
        const demo = await http(
          dev.baseUrl,
          'POST',
          '/me/demo/sign-in',
          headers({ ...json, ...(await fromPage(dev.baseUrl)) }),
          JSON.stringify({ matricule: A }),
        );
        expect([demo.status, errorCode(demo.text)]).toEqual([403, 'FORBIDDEN']);
        expect(demo.text).not.toContain('token');
        const out = await http(dev.baseUrl, 'DELETE', '/me/session', {
          ...headers(await fromPage(dev.baseUrl)),
          authorization: `Bearer ${token}`, // a Bearer header does not stand in for the page's checks
        });
        expect([out.status, errorCode(out.text)]).toEqual([403, 'FORBIDDEN']);
        expect(out.headers['set-cookie']).toBeUndefined();
      },
    );

    it('refuses an identity provider form post without the state field, or with another state', async () => {
      const token = await citizen(A);
      const { headers, state } = await fromProvider(dev.baseUrl);
      for (const body of [
        `id_token=${token}`,
        `id_token=${token}&state=${state}x`,
        `id_token=${token}&state=`,
      ]) {
        const r = await http(dev.baseUrl, 'POST', '/me/session', headers, body);
        expect([r.status, errorCode(r.text)]).toEqual([403, 'FORBIDDEN']);
      }
      // the state in a header does not make a cross-site form post acceptable
      const viaHeader = await http(
        dev.baseUrl,
        'POST',
        '/me/session',
        { ...headers, origin: 'https://evil.example', 'x-csrf-token': state },
        `id_token=${token}`,
      );
      expect([viaHeader.status, errorCode(viaHeader.text)]).toEqual([403, 'FORBIDDEN']);
    });

    it('spends the state in the browser: a sign-in clears the state cookie', async () => {
      const r = await http(
        dev.baseUrl,
        'POST',
        '/me/session',
        { ...json, ...(await fromPage(dev.baseUrl)) },
        JSON.stringify({ id_token: await citizen(A) }),
      );
      expect(r.status).toBe(200);
      expect(r.headers['set-cookie']).toContain('broker_state=; Path=/me; HttpOnly; SameSite=Lax; Max-Age=0');
    });

    it('keeps 404 for a /me route that does not exist', async () => {
      const r = await http(dev.baseUrl, 'POST', '/me/no-such-route', json, '{}');
      expect([r.status, errorCode(r.text)]).toEqual([404, 'NOT_FOUND']);
    });
  });

  describe('demo sign-in', () => {
    it('lists synthetic citizens and signs one in with the demo identity provider', async () => {
      const list = await http(dev.baseUrl, 'GET', '/me/demo/citizens');
      expect(list.status).toBe(200);
      const body = list.json() as {
        provider: { issuer: string };
        citizens: { matricule: string; name: string }[];
      };
      expect(body.provider.issuer).toBe(DEV_IDP_ISSUER);
      expect(body.citizens.length).toBeGreaterThanOrEqual(2);
      const picked = body.citizens[0];
      const truth = sim.population.get(picked.matricule)!;
      expect(picked.name).toContain(truth.surname);

      const r = await http(
        dev.baseUrl,
        'POST',
        '/me/demo/sign-in',
        { 'content-type': 'application/json', ...(await fromPage(dev.baseUrl)) },
        JSON.stringify({ matricule: picked.matricule }),
      );
      expect(r.status).toBe(200);
      const session = r.json() as { token: string; subject: string };
      expect(session.subject).toBe(picked.matricule);
      expect(String(r.headers['set-cookie'])).toContain('broker_citizen=');
      const claims = JSON.parse(Buffer.from(session.token.split('.')[1], 'base64url').toString()) as Record<
        string,
        unknown
      >;
      expect(claims).toMatchObject({ iss: DEV_IDP_ISSUER, aud: dev.trust.brokerId, sub: picked.matricule });
      const log = await gql(dev.graphqlUrl, LOG, {}, bearer(session.token));
      expect(log.body.errors).toBeUndefined();

      const bad = await http(
        dev.baseUrl,
        'POST',
        '/me/demo/sign-in',
        { 'content-type': 'application/json', ...(await fromPage(dev.baseUrl)) },
        JSON.stringify({ matricule: '123' }),
      );
      expect([bad.status, errorCode(bad.text)]).toEqual([400, 'INVALID_MATRICULE']);
    });

    it('is off in production mode: 404, and a demo token is not accepted there', async () => {
      const devToken = (
        (
          await http(
            dev.baseUrl,
            'POST',
            '/me/demo/sign-in',
            { 'content-type': 'application/json', ...(await fromPage(dev.baseUrl)) },
            JSON.stringify({ matricule: A }),
          )
        ).json() as {
          token: string;
        }
      ).token;
      const prod = await startTestBroker(
        sim.url,
        {
          BROKER_MODE: 'production',
          DB_MIGRATE: 'auto',
          BROKER_DEV_IDP_KEY_FILE: path.join(dir, 'dev-idp.json'),
        },
        dev,
      );
      try {
        const list = await http(prod.baseUrl, 'GET', '/me/demo/citizens');
        expect([list.status, errorCode(list.text)]).toEqual([404, 'NOT_FOUND']);
        const signIn = await http(
          prod.baseUrl,
          'POST',
          '/me/demo/sign-in',
          { 'content-type': 'application/json', ...(await fromPage(prod.baseUrl)) },
          JSON.stringify({ matricule: A }),
        );
        expect([signIn.status, errorCode(signIn.text)]).toEqual([404, 'NOT_FOUND']);
        expect(codes(await gql(prod.graphqlUrl, LOG, {}, bearer(devToken)))).toEqual(['UNAUTHENTICATED']);
        // the trust file's provider still works in production, and the cookie is Secure there
        const token = await citizen(A);
        expect((await gql(prod.graphqlUrl, LOG, {}, bearer(token))).body.errors).toBeUndefined();
        const s = await http(
          prod.baseUrl,
          'POST',
          '/me/session',
          { 'content-type': 'application/json', ...(await fromPage(prod.baseUrl)) },
          JSON.stringify({ id_token: token }),
        );
        const cookies = s.headers['set-cookie'] as string[];
        expect(cookies.find((c) => c.startsWith('broker_citizen='))).toMatch(/; Secure$/);
        // the state cookie is SameSite=None there (an identity provider's form post carries it), and spent
        expect(cookies.find((c) => c.startsWith('broker_state='))).toBe(
          'broker_state=; Path=/me; HttpOnly; SameSite=None; Secure; Max-Age=0',
        );
        // the page itself is served in production too
        expect((await http(prod.baseUrl, 'GET', '/me')).status).toBe(200);
      } finally {
        await prod.app.close();
      }
    });
  });

  describe('an identity provider with a JWKS endpoint', () => {
    let jwksServer: Server;
    let fetches = 0;
    let es: SigningKey;
    let rsa: { privateKey: Parameters<SignJWT['sign']>[0]; jwk: JWK };
    let remote: TestBroker;
    const ISSUER = 'https://login.remote-idp.test';

    beforeAll(async () => {
      es = await generateSigningKey('ES256', 'remote-es-1');
      const pair = await generateKeyPair('RS256', { extractable: true });
      rsa = {
        privateKey: pair.privateKey,
        jwk: { ...(await exportJWK(pair.publicKey)), kid: 'remote-rsa-1', alg: 'RS256', use: 'sig' },
      };
      jwksServer = createServer((req, res) => {
        fetches++;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ keys: [es.publicJwk, rsa.jwk] }));
      });
      await new Promise<void>((r) => jwksServer.listen(0, '127.0.0.1', r));
      const url = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks`;
      remote = await startTestBroker(sim.url, {}, undefined, (doc) => {
        doc.identityProviders = [{ issuer: ISSUER, name: 'Remote IdP', jwksUri: url }];
      });
    });

    afterAll(async () => {
      await remote?.close();
      await new Promise((r) => jwksServer?.close(r));
    });

    it('verifies ID tokens with keys fetched once from the endpoint (ES256 and RS256)', async () => {
      for (let i = 0; i < 3; i++) {
        const token = await mintCitizenToken(es, ISSUER, remote.trust.brokerId, A);
        expect((await gql(remote.graphqlUrl, LOG, {}, bearer(token))).body.errors).toBeUndefined();
      }
      const rs = await new SignJWT({ sub: A })
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: 'remote-rsa-1' })
        .setIssuer(ISSUER)
        .setAudience(remote.trust.brokerId)
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(rsa.privateKey);
      expect((await gql(remote.graphqlUrl, LOG, {}, bearer(rs))).body.errors).toBeUndefined();
      expect(fetches).toBe(1);
    });

    it('refuses a kid the endpoint does not list, another key under a listed kid, and alg confusion', async () => {
      const stranger = await generateSigningKey('ES256', 'not-listed');
      const impostor = await generateSigningKey('ES256', 'remote-es-1');
      const hs = await new SignJWT({ sub: A })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: 'remote-rsa-1' })
        .setIssuer(ISSUER)
        .setAudience(remote.trust.brokerId)
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(new TextEncoder().encode(JSON.stringify(rsa.jwk)));
      // an ES256 header on the RSA key's kid
      const es256OnRsa = await mintCitizenToken(
        { ...es, kid: 'remote-rsa-1' },
        ISSUER,
        remote.trust.brokerId,
        A,
      );
      for (const token of [
        await mintCitizenToken(stranger, ISSUER, remote.trust.brokerId, A),
        await mintCitizenToken(impostor, ISSUER, remote.trust.brokerId, A),
        hs,
        es256OnRsa,
        await mintCitizenToken(es, ISSUER, 'another-broker', A),
      ]) {
        expect(codes(await gql(remote.graphqlUrl, LOG, {}, bearer(token)))).toEqual(['UNAUTHENTICATED']);
      }
    });
  });

  describe('revocation by the consent issuer (POST /consents/revocations)', () => {
    const t = () => dev.trust;
    const consent = (subject: string, issuer: 1 | 2 = 1, jti?: string) => {
      const i = issuer === 1 ? t().i1 : t().i2;
      return mintConsent(i.key, {
        issuer: i.id,
        subject,
        audience: t().m1.id,
        purpose: GRANTED_PURPOSE,
        scope: ['name'],
        jti,
      });
    };
    const ask = async (c: string, m: string) =>
      gql(
        dev.graphqlUrl,
        personQuery('surname'),
        { m },
        {
          ...bearer(await mintMemberAssertion(t().m1.key, t().m1.id, t().brokerId)),
          'consent-token': c,
        },
      );
    const revoke = (jws: string, type = 'application/jose') =>
      http(dev.baseUrl, 'POST', '/consents/revocations', { 'content-type': type }, jws);
    const jtiOf = (token: string): string =>
      (JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { jti: string }).jti;

    it('lets the issuer revoke a consent it issued: refused from then on, shown to the citizen as withdrawn by the issuer', async () => {
      const c = await consent(B);
      expect((await ask(c, B)).body.data?.person).toBeTruthy();
      const r = await revoke(await mintRevocation(t().i1.key, t().i1.id, jtiOf(c)));
      expect(r.status).toBe(200);
      expect(r.json()).toMatchObject({ status: 'REVOKED', issuer: t().i1.id, jti: jtiOf(c) });
      // idempotent, also as application/jwt and text/plain
      expect(
        (await revoke(await mintRevocation(t().i1.key, t().i1.id, jtiOf(c)), 'application/jwt')).json()
          .revokedAt,
      ).toBe(r.json().revokedAt);
      expect((await revoke(await mintRevocation(t().i1.key, t().i1.id, jtiOf(c)), 'text/plain')).status).toBe(
        200,
      );
      expect(codes(await ask(c, B))).toEqual(['CONSENT_REVOKED']);
      const mine = await gql(
        dev.graphqlUrl,
        '{ myConsents { jti status withdrawnBy } }',
        {},
        bearer(await citizen(B)),
      );
      expect((mine.body.data!.myConsents as { jti: string }[]).find((x) => x.jti === jtiOf(c))).toEqual({
        jti: jtiOf(c),
        status: 'WITHDRAWN',
        withdrawnBy: 'issuer',
      });
    });

    it('revokes a consent before its first use', async () => {
      const jti = `pre-${randomUUID()}`;
      expect((await revoke(await mintRevocation(t().i2.key, t().i2.id, jti))).status).toBe(200);
      expect(codes(await ask(await consent(B, 2, jti), B))).toEqual(['CONSENT_REVOKED']);
    });

    it("refuses another issuer's revocation of a consent it did not issue (FORBIDDEN), and the consent keeps working", async () => {
      const c = await consent(B, 1);
      expect((await ask(c, B)).body.data?.person).toBeTruthy();
      const r = await revoke(await mintRevocation(t().i2.key, t().i2.id, jtiOf(c)));
      expect([r.status, errorCode(r.text)]).toEqual([403, 'FORBIDDEN']);
      expect((await ask(c, B)).body.data?.person).toBeTruthy();
    });

    it.each<[string, () => Promise<string>]>([
      [
        'an unknown key',
        async () => mintRevocation(await generateSigningKey('ES256', 'x-1'), t().i1.id, 'j-1'),
      ],
      [
        "a key of another issuer under the issuer's name",
        async () => mintRevocation({ ...t().i2.key, kid: t().i1.key.kid }, t().i1.id, 'j-1'),
      ],
      ["a member's key", async () => mintRevocation(t().m1.key, t().m1.id, 'j-1')],
      ['typ consent+jwt', async () => mintRevocation(t().i1.key, t().i1.id, 'j-1', { typ: 'consent+jwt' })],
      [
        'an expired revocation',
        async () =>
          mintRevocation(t().i1.key, t().i1.id, 'j-1', { iat: Math.floor(Date.now() / 1000) - 7200 }),
      ],
      [
        'a lifetime above an hour',
        async () => mintRevocation(t().i1.key, t().i1.id, 'j-1', { lifetimeS: 7200 }),
      ],
      [
        'an aud naming another broker',
        async () => mintRevocation(t().i1.key, t().i1.id, 'j-1', { claims: { aud: 'another-broker' } }),
      ],
      ['garbage', async () => 'not.a.jws'],
      ['an empty body', async () => ''],
    ])('refuses %s with 401 UNAUTHENTICATED', async (_label, make) => {
      const r = await revoke(await make());
      expect([r.status, errorCode(r.text)]).toEqual([401, 'UNAUTHENTICATED']);
    });

    it('takes no other body type', async () => {
      const jws = await mintRevocation(t().i1.key, t().i1.id, 'j-2');
      const form = await revoke(`jws=${jws}`, 'application/x-www-form-urlencoded');
      expect(form.status).toBeGreaterThanOrEqual(400);
      const json = await http(
        dev.baseUrl,
        'POST',
        '/consents/revocations',
        { 'content-type': 'application/json' },
        JSON.stringify({ jws }),
      );
      expect(json.status).toBe(401);
      // and the JOSE body type is refused elsewhere
      const onGraphql = await http(
        dev.baseUrl,
        'POST',
        '/graphql',
        { 'content-type': 'application/jose' },
        jws,
      );
      expect(onGraphql.status).toBe(415);
    });
  });
});
