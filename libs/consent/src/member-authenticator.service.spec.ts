import { createPrivateKey, sign as cryptoSign } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { SignJWT, importJWK, type JWTPayload } from 'jose';
import { loadBrokerConfig, type BrokerConfig } from '@broker/config';
import { BrokerError, ErrorCode } from '@broker/errors';
import { generateSigningKey, mintConsent, mintMemberAssertion, type SigningKey } from '@broker/testing';
import { TrustRegistry, type TrustDocument } from '@broker/trust';
import { MAX_ASSERTION_LIFETIME_S, MemberAuthenticatorService } from './member-authenticator.service';
import { MAX_TOKEN_LENGTH } from './signed-token';

const BROKER = 'lu.broker.test';
const now = (): number => Math.floor(Date.now() / 1000);
const b64url = (v: unknown): string =>
  Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

/** A compact JWS whose signature is computed by `signer` over `header.payload`. */
function compact(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  signer: (input: Buffer) => Buffer | string,
): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  const sig = signer(Buffer.from(input));
  return `${input}.${typeof sig === 'string' ? sig : sig.toString('base64url')}`;
}

/** An ES256 signer producing the JWS (IEEE P1363, r||s) signature encoding. */
function p1363(key: SigningKey): (input: Buffer) => Buffer {
  const k = createPrivateKey({ key: key.privateJwk as never, format: 'jwk' });
  return (input) => cryptoSign('sha256', input, { key: k, dsaEncoding: 'ieee-p1363' });
}

/** Signs any header and payload (nothing added) with a test key. */
async function signJwt(
  key: SigningKey,
  header: Record<string, unknown>,
  payload: JWTPayload,
): Promise<string> {
  return new SignJWT(payload)
    .setProtectedHeader({ alg: key.alg, ...header })
    .sign(await importJWK(key.privateJwk, key.alg));
}

function assertionClaims(member: string, over: Record<string, unknown> = {}): JWTPayload {
  const iat = now();
  return { iss: member, sub: member, aud: BROKER, iat, exp: iat + 120, jti: 'a-1', ...over };
}

/** The BrokerError a promise rejects with (fails the test if it resolves or throws something else). */
async function rejection(p: Promise<unknown>): Promise<BrokerError> {
  let outcome: unknown;
  try {
    outcome = await p;
  } catch (e) {
    if (e instanceof BrokerError) return e;
    throw e;
  }
  throw new Error(`expected a BrokerError, got ${JSON.stringify(outcome)}`);
}

let ccssEs: SigningKey; // member ccss, ES256
let ccssEd: SigningKey; // member ccss, EdDSA
let cnap: SigningKey; // member cnap, ES256
let cnapSameKid: SigningKey; // member cnap, ES256, registered under a kid equal to one of ccss
let attacker: SigningKey; // not registered anywhere
let attackerEd: SigningKey;
let trust: TrustRegistry;

function service(over: Partial<BrokerConfig> = {}): MemberAuthenticatorService {
  return new MemberAuthenticatorService(trust, {
    ...loadBrokerConfig({ BROKER_MODE: 'development' }),
    ...over,
  });
}
const bearer = (t: string): string => `Bearer ${t}`;

beforeAll(async () => {
  Logger.overrideLogger(false);
  ccssEs = await generateSigningKey('ES256', 'ccss-es-1');
  ccssEd = await generateSigningKey('EdDSA', 'ccss-ed-1');
  cnap = await generateSigningKey('ES256', 'cnap-1');
  cnapSameKid = await generateSigningKey('ES256', 'ccss-es-1');
  attacker = await generateSigningKey('ES256', 'ccss-es-1');
  attackerEd = await generateSigningKey('EdDSA', 'ccss-es-1');
  const doc: TrustDocument = {
    brokerId: BROKER,
    members: [
      {
        id: 'ccss',
        name: 'CCSS',
        jwks: { keys: [ccssEs.publicJwk, ccssEd.publicJwk] },
        grants: [{ purpose: 'ccss.affiliation', items: ['name'] }],
      },
      { id: 'cnap', name: 'CNAP', jwks: { keys: [cnap.publicJwk] }, grants: [] },
      { id: 'cnap2', name: 'CNAP 2', jwks: { keys: [cnapSameKid.publicJwk] }, grants: [] },
    ],
    consentIssuers: [],
  };
  trust = await TrustRegistry.fromDocument(doc);
});

afterAll(() => {
  Logger.overrideLogger(['log', 'error', 'warn', 'debug', 'verbose', 'fatal']);
});

describe('MemberAuthenticatorService: accepted assertions', () => {
  it('accepts an ES256 assertion of a registered member', async () => {
    const token = await mintMemberAssertion(ccssEs, 'ccss', BROKER);
    const r = await service().authenticate(bearer(token));
    expect(r.member.id).toBe('ccss');
    expect(r.member).toBe(trust.member('ccss'));
    expect(r.exp).toBeGreaterThan(now());
  });

  it('accepts an EdDSA assertion of a registered member', async () => {
    const token = await mintMemberAssertion(ccssEd, 'ccss', BROKER);
    await expect(service().authenticate(bearer(token))).resolves.toMatchObject({ member: { id: 'ccss' } });
  });

  it('accepts the fully-specified alg name Ed25519 (RFC 9864) on an Ed25519 key', async () => {
    const token = await new SignJWT(assertionClaims('ccss'))
      .setProtectedHeader({ alg: 'Ed25519', typ: 'JWT', kid: ccssEd.kid })
      .sign(await importJWK(ccssEd.privateJwk, 'Ed25519'));
    await expect(service().authenticate(bearer(token))).resolves.toMatchObject({ member: { id: 'ccss' } });
  });

  it('accepts the exact maximum lifetime of 300 s', async () => {
    expect(MAX_ASSERTION_LIFETIME_S).toBe(300);
    const token = await mintMemberAssertion(ccssEs, 'ccss', BROKER, { lifetimeS: 300 });
    await expect(service().authenticate(bearer(token))).resolves.toMatchObject({ member: { id: 'ccss' } });
  });

  it('accepts an iat slightly ahead within the clock tolerance', async () => {
    const token = await mintMemberAssertion(ccssEs, 'ccss', BROKER, { iat: now() + 20 });
    await expect(service({ clockToleranceS: 30 }).authenticate(bearer(token))).resolves.toBeDefined();
  });

  it('accepts a lower-case Bearer scheme', async () => {
    const token = await mintMemberAssertion(ccssEs, 'ccss', BROKER);
    await expect(service().authenticate(`bearer ${token}`)).resolves.toMatchObject({
      member: { id: 'ccss' },
    });
  });

  it('accepts the typ spelled application/jwt (RFC 8725 §3.11 comparison)', async () => {
    const token = await mintMemberAssertion(ccssEs, 'ccss', BROKER, { header: { typ: 'application/jwt' } });
    await expect(service().authenticate(bearer(token))).resolves.toBeDefined();
  });

  it('accepts a hand-built token with a raw (r||s) ES256 signature (control for the DER case)', async () => {
    const token = compact(
      { alg: 'ES256', typ: 'JWT', kid: ccssEs.kid },
      assertionClaims('ccss'),
      p1363(ccssEs),
    );
    await expect(service().authenticate(bearer(token))).resolves.toMatchObject({ member: { id: 'ccss' } });
  });
});

describe('MemberAuthenticatorService: RFC 8725 attacks are UNAUTHENTICATED', () => {
  async function expectRejected(token: string, reason: RegExp, svc = service()): Promise<BrokerError> {
    const e = await rejection(svc.authenticate(bearer(token)));
    expect(e.code).toBe(ErrorCode.UNAUTHENTICATED);
    expect(String(e.details?.reason)).toMatch(reason);
    return e;
  }

  it('refuses alg none with an empty signature', async () => {
    const token = compact({ alg: 'none', typ: 'JWT', kid: ccssEs.kid }, assertionClaims('ccss'), () => '');
    await expectRejected(token, /^malformed:/);
  });

  it('refuses alg none with a non-empty signature part', async () => {
    const token = compact({ alg: 'none', typ: 'JWT', kid: ccssEs.kid }, assertionClaims('ccss'), () => 'AA');
    await expectRejected(token, /^untrusted:/);
  });

  it('refuses HS256 signed with the public JWK (JSON) as the HMAC secret', async () => {
    for (const secret of [
      JSON.stringify(ccssEs.publicJwk),
      JSON.stringify({ ...ccssEs.publicJwk, use: undefined }),
    ]) {
      const token = await new SignJWT(assertionClaims('ccss'))
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: ccssEs.kid })
        .sign(new TextEncoder().encode(secret));
      await expectRejected(token, /^untrusted: alg HS256/);
    }
  });

  it('does not repeat an alg that is no algorithm name (a refusal reason reaches the log)', async () => {
    const token = compact(
      { alg: '1234567890123', typ: 'JWT', kid: ccssEs.kid },
      assertionClaims('ccss'),
      () => 'AA',
    );
    const e = await expectRejected(token, /^untrusted: alg \(not a JWS algorithm\) is not allowed/);
    expect(JSON.stringify(e.details)).not.toContain('1234567890123');
  });

  it('refuses a jku header pointing elsewhere, signed by the attacker with the victim kid', async () => {
    const token = await signJwt(
      attacker,
      { typ: 'JWT', kid: ccssEs.kid, jku: 'https://attacker.example/jwks.json' },
      assertionClaims('ccss'),
    );
    await expectRejected(token, /^signature:/);
  });

  it('refuses an embedded jwk header carrying the attacker key', async () => {
    const { kid: _kid, ...jwk } = attacker.publicJwk;
    const withVictimKid = await signJwt(
      attacker,
      { typ: 'JWT', kid: ccssEs.kid, jwk },
      assertionClaims('ccss'),
    );
    await expectRejected(withVictimKid, /^signature:/);
    const withoutKid = await signJwt(attacker, { typ: 'JWT', jwk }, assertionClaims('ccss'));
    await expectRejected(withoutKid, /^untrusted: no kid/);
  });

  it('refuses x5u / x5c headers: the signature is still checked with the registered key only', async () => {
    const token = await signJwt(
      attacker,
      { typ: 'JWT', kid: ccssEs.kid, x5u: 'https://attacker.example/cert.pem', x5c: ['MIIB'] },
      assertionClaims('ccss'),
    );
    await expectRejected(token, /^signature:/);
  });

  it('refuses an ES256 signature in DER encoding', async () => {
    const key = createPrivateKey({ key: ccssEs.privateJwk as never, format: 'jwk' });
    const token = compact({ alg: 'ES256', typ: 'JWT', kid: ccssEs.kid }, assertionClaims('ccss'), (input) =>
      cryptoSign('sha256', input, { key, dsaEncoding: 'der' }),
    );
    await expectRejected(token, /^signature:/);
  });

  it('refuses an unknown kid', async () => {
    const token = await signJwt(ccssEs, { typ: 'JWT', kid: 'no-such-kid' }, assertionClaims('ccss'));
    await expectRejected(token, /^untrusted: issuer or kid not registered/);
  });

  it('refuses a missing kid', async () => {
    const token = await signJwt(ccssEs, { typ: 'JWT' }, assertionClaims('ccss'));
    await expectRejected(token, /^untrusted: no kid/);
  });

  it('refuses an unknown member', async () => {
    const token = await mintMemberAssertion(attacker, 'nobody', BROKER);
    await expectRejected(token, /^untrusted:/);
  });

  it("refuses another member's key (its own kid) used to sign as ccss", async () => {
    const token = await mintMemberAssertion(cnap, 'ccss', BROKER);
    await expectRejected(token, /^untrusted: issuer or kid not registered/);
  });

  it("refuses another member's key registered under the same kid as the victim's", async () => {
    expect(cnapSameKid.kid).toBe(ccssEs.kid);
    const token = await mintMemberAssertion(cnapSameKid, 'ccss', BROKER);
    await expectRejected(token, /^signature:/);
  });

  it("refuses alg EdDSA on an EC key's kid", async () => {
    const token = await signJwt(attackerEd, { typ: 'JWT', kid: ccssEs.kid }, assertionClaims('ccss'));
    await expectRejected(token, /^untrusted: alg EdDSA is not allowed/);
    // even when signed with the member's own EdDSA key
    const own = await signJwt(ccssEd, { typ: 'JWT', kid: ccssEs.kid }, assertionClaims('ccss'));
    await expectRejected(own, /^untrusted: alg EdDSA is not allowed/);
  });

  it("refuses alg ES256 on an Ed25519 key's kid", async () => {
    const token = await signJwt(ccssEs, { typ: 'JWT', kid: ccssEd.kid }, assertionClaims('ccss'));
    await expectRejected(token, /^untrusted: alg ES256 is not allowed/);
  });

  it('refuses a forged signature (payload changed after signing)', async () => {
    const token = await mintMemberAssertion(ccssEs, 'ccss', BROKER);
    const [h, , s] = token.split('.');
    const forged = `${h}.${b64url(assertionClaims('ccss', { jti: 'other' }))}.${s}`;
    await expectRejected(forged, /^signature:/);
  });

  it('refuses a member assertion with typ consent+jwt', async () => {
    const token = await mintMemberAssertion(ccssEs, 'ccss', BROKER, { header: { typ: 'consent+jwt' } });
    await expectRejected(token, /^claims: claim check failed: typ/);
  });

  it('refuses a member assertion without typ', async () => {
    const token = await mintMemberAssertion(ccssEs, 'ccss', BROKER, { header: { typ: undefined } });
    await expectRejected(token, /^claims: claim check failed: typ/);
  });

  it("refuses a consent-typed token presented as a member assertion (the member's own key)", async () => {
    const consent = await mintConsent(ccssEs, {
      issuer: 'ccss',
      subject: 'ccss',
      audience: BROKER,
      purpose: 'p',
      scope: ['name'],
      lifetimeS: 120,
    });
    await expectRejected(consent, /^claims: claim check failed: typ/);
  });

  it('refuses iss different from sub', async () => {
    const token = await signJwt(
      ccssEs,
      { typ: 'JWT', kid: ccssEs.kid },
      assertionClaims('ccss', { sub: 'cnap' }),
    );
    await expectRejected(token, /^sub differs from iss$/);
  });

  it('refuses a missing sub', async () => {
    const token = await signJwt(
      ccssEs,
      { typ: 'JWT', kid: ccssEs.kid },
      assertionClaims('ccss', { sub: undefined }),
    );
    await expectRejected(token, /^claims: claim check failed: sub \(missing\)/);
  });

  it('refuses a missing iss', async () => {
    const token = await signJwt(
      ccssEs,
      { typ: 'JWT', kid: ccssEs.kid },
      assertionClaims('ccss', { iss: undefined }),
    );
    await expectRejected(token, /^claims: no iss/);
  });

  it('refuses a wrong aud', async () => {
    const token = await mintMemberAssertion(ccssEs, 'ccss', 'other-broker');
    await expectRejected(token, /^claims: claim check failed: aud/);
  });

  it('refuses a missing aud', async () => {
    const token = await signJwt(
      ccssEs,
      { typ: 'JWT', kid: ccssEs.kid },
      assertionClaims('ccss', { aud: undefined }),
    );
    await expectRejected(token, /^claims: claim check failed: aud \(missing\)/);
  });

  it('refuses a lifetime above 300 s', async () => {
    const token = await mintMemberAssertion(ccssEs, 'ccss', BROKER, { lifetimeS: 301 });
    await expectRejected(token, /^claims: lifetime above 300 s$/);
    const long = await mintMemberAssertion(ccssEs, 'ccss', BROKER, { lifetimeS: 86400 });
    await expectRejected(long, /^claims: lifetime above 300 s$/);
  });

  it('refuses a missing exp', async () => {
    const token = await signJwt(
      ccssEs,
      { typ: 'JWT', kid: ccssEs.kid },
      assertionClaims('ccss', { exp: undefined }),
    );
    await expectRejected(token, /^claims: claim check failed: exp \(missing\)/);
  });

  it('refuses a missing iat', async () => {
    const token = await signJwt(
      ccssEs,
      { typ: 'JWT', kid: ccssEs.kid },
      assertionClaims('ccss', { iat: undefined }),
    );
    await expectRejected(token, /^claims: claim check failed: iat \(missing\)/);
  });

  it('refuses a non-numeric exp', async () => {
    const token = await signJwt(
      ccssEs,
      { typ: 'JWT', kid: ccssEs.kid },
      assertionClaims('ccss', { exp: String(now() + 60) }),
    );
    await expectRejected(token, /^claims: claim check failed: exp/);
  });

  it('refuses an iat in the future beyond the clock tolerance', async () => {
    const token = await mintMemberAssertion(ccssEs, 'ccss', BROKER, { iat: now() + 120 });
    await expectRejected(token, /^claims: iat in the future$/, service({ clockToleranceS: 30 }));
    const justOver = await mintMemberAssertion(ccssEs, 'ccss', BROKER, { iat: now() + 10 });
    await expectRejected(justOver, /^claims: iat in the future$/, service({ clockToleranceS: 0 }));
  });

  it('refuses an iat ten years ahead even with a short exp - iat', async () => {
    const token = await mintMemberAssertion(ccssEs, 'ccss', BROKER, { iat: now() + 10 * 366 * 86400 });
    await expectRejected(token, /^claims: iat in the future$/);
  });

  it('refuses an aud array, even one holding only the broker (FAPI 2.0: one string)', async () => {
    for (const aud of [['x', BROKER], [BROKER]]) {
      const token = await signJwt(ccssEs, { typ: 'JWT', kid: ccssEs.kid }, assertionClaims('ccss', { aud }));
      await expectRejected(token, /^claims: aud must be one string/);
    }
  });

  it('refuses an nbf in the future', async () => {
    const token = await signJwt(
      ccssEs,
      { typ: 'JWT', kid: ccssEs.kid },
      assertionClaims('ccss', { nbf: now() + 100 }),
    );
    await expectRejected(token, /^claims: claim check failed: nbf/);
  });

  it('refuses an expired assertion (UNAUTHENTICATED, reason expired)', async () => {
    const token = await mintMemberAssertion(ccssEs, 'ccss', BROKER, { iat: now() - 400, lifetimeS: 120 });
    await expectRejected(token, /^expired:/);
  });

  it('refuses an expired assertion just past the clock tolerance', async () => {
    const token = await mintMemberAssertion(ccssEs, 'ccss', BROKER, { iat: now() - 100, lifetimeS: 60 });
    await expectRejected(token, /^expired:/, service({ clockToleranceS: 30 }));
    // and accepts it while still inside the tolerance
    await expect(service({ clockToleranceS: 60 }).authenticate(bearer(token))).resolves.toBeDefined();
  });

  it('refuses an unknown crit header parameter', async () => {
    const token = compact(
      {
        alg: 'ES256',
        typ: 'JWT',
        kid: ccssEs.kid,
        crit: ['urn:example:unknown'],
        'urn:example:unknown': true,
      },
      assertionClaims('ccss'),
      p1363(ccssEs),
    );
    await expectRejected(token, /^malformed:/);
  });
});

describe('MemberAuthenticatorService: malformed input is UNAUTHENTICATED', () => {
  it.each([
    ['missing header', undefined],
    ['empty header', ''],
    ['Bearer without token', 'Bearer '],
    ['another scheme', 'Basic Y2NzczpzZWNyZXQ='],
    ['two tokens', 'Bearer a.b.c d.e.f'],
  ])('refuses a %s', async (_label, header) => {
    const e = await rejection(service().authenticate(header));
    expect(e.code).toBe(ErrorCode.UNAUTHENTICATED);
    expect(e.details?.reason).toBe('missing or non-Bearer Authorization header');
  });

  it.each([
    ['two parts', 'eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJjY3NzIn0'],
    ['four parts', 'a.b.c.d'],
    ['non-base64url characters', 'eyJh+bGc=.eyJp/c3M.sig'],
    ['base64url that is not JSON', `${b64url('not json')}.${b64url('{')}.AAAA`],
    ['a JSON array payload', `${b64url({ alg: 'ES256', kid: 'k' })}.${b64url([1, 2])}.AAAA`],
    ['an empty payload part', `${b64url({ alg: 'ES256', kid: 'k' })}..AAAA`],
  ])('refuses a compact string with %s', async (_label, token) => {
    const e = await rejection(service().authenticate(bearer(token)));
    expect(e.code).toBe(ErrorCode.UNAUTHENTICATED);
    expect(String(e.details?.reason)).toMatch(/^malformed:/);
  });

  it('refuses a huge token before parsing it', async () => {
    const valid = await mintMemberAssertion(ccssEs, 'ccss', BROKER);
    const [h, p, s] = valid.split('.');
    const huge = `${h}.${p}${'A'.repeat(MAX_TOKEN_LENGTH)}.${s}`;
    const e = await rejection(service().authenticate(bearer(huge)));
    expect(e.code).toBe(ErrorCode.UNAUTHENTICATED);
    expect(e.details?.reason).toBe('malformed: token is too long');
  });

  it('counts every refusal', async () => {
    const svc = service();
    expect(svc.rejectedCount).toBe(0);
    await rejection(svc.authenticate(undefined));
    await rejection(svc.authenticate(bearer('a.b')));
    await svc.authenticate(bearer(await mintMemberAssertion(ccssEs, 'ccss', BROKER)));
    expect(svc.rejectedCount).toBe(2);
  });
});

describe('MemberAuthenticatorService: assertion cache', () => {
  const T0 = Date.UTC(2026, 5, 1, 8, 0, 0);

  beforeEach(() => {
    // Only the clock is faked (jose reads `new Date()`, the service `Date.now()`); promises and
    // WebCrypto run normally.
    jest.useFakeTimers({
      now: T0,
      doNotFake: [
        'hrtime',
        'nextTick',
        'performance',
        'queueMicrotask',
        'setImmediate',
        'clearImmediate',
        'setInterval',
        'clearInterval',
        'setTimeout',
        'clearTimeout',
      ],
    });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('returns the same result for a reused assertion', async () => {
    const svc = service();
    const token = await mintMemberAssertion(ccssEs, 'ccss', BROKER, { lifetimeS: 60 });
    const first = await svc.authenticate(bearer(token));
    jest.setSystemTime(T0 + 30_000);
    const second = await svc.authenticate(bearer(token));
    expect(second).toBe(first);
    expect(first.exp).toBe(T0 / 1000 + 60);
  });

  it('does not serve a cached assertion at or after its exp (no clock tolerance)', async () => {
    const svc = service({ clockToleranceS: 0 });
    const token = await mintMemberAssertion(ccssEs, 'ccss', BROKER, { lifetimeS: 60 });
    const first = await svc.authenticate(bearer(token));
    jest.setSystemTime(T0 + 59_999);
    await expect(svc.authenticate(bearer(token))).resolves.toBe(first);
    jest.setSystemTime(T0 + 60_000);
    const e = await rejection(svc.authenticate(bearer(token)));
    expect(e.code).toBe(ErrorCode.UNAUTHENTICATED);
    expect(String(e.details?.reason)).toMatch(/^expired:/);
  });

  it('re-verifies after exp rather than serving the cache, and refuses past the tolerance', async () => {
    const svc = service({ clockToleranceS: 30 });
    const token = await mintMemberAssertion(ccssEs, 'ccss', BROKER, { lifetimeS: 60 });
    const first = await svc.authenticate(bearer(token));
    jest.setSystemTime(T0 + 61_000); // after exp, inside the tolerance: a fresh verification
    const again = await svc.authenticate(bearer(token));
    expect(again).not.toBe(first);
    expect(again.member).toBe(first.member);
    jest.setSystemTime(T0 + 91_000); // beyond exp + tolerance
    const e = await rejection(svc.authenticate(bearer(token)));
    expect(e.code).toBe(ErrorCode.UNAUTHENTICATED);
    expect(String(e.details?.reason)).toMatch(/^expired:/);
  });

  it('does not cache refusals nor let a cached entry vouch for another token', async () => {
    const svc = service();
    const good = await mintMemberAssertion(ccssEs, 'ccss', BROKER);
    await svc.authenticate(bearer(good));
    const [h, p, s] = good.split('.');
    const tampered = `${h}.${p}.${s.slice(0, 10)}${s[10] === 'A' ? 'B' : 'A'}${s.slice(11)}`;
    const e = await rejection(svc.authenticate(bearer(tampered)));
    expect(e.code).toBe(ErrorCode.UNAUTHENTICATED);
    // a refused token stays refused
    const e2 = await rejection(svc.authenticate(bearer(tampered)));
    expect(e2.code).toBe(ErrorCode.UNAUTHENTICATED);
  });
});
