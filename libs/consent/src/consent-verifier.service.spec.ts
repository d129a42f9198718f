import { createPrivateKey, sign as cryptoSign } from 'node:crypto';
import { SignJWT, importJWK, type JWTPayload } from 'jose';
import { consentKey, type ConsentKey } from '@broker/access-log';
import { loadBrokerConfig, type BrokerConfig } from '@broker/config';
import { BrokerError, ErrorCode } from '@broker/errors';
import {
  generateSigningKey,
  mintConsent,
  mintMemberAssertion,
  type ConsentClaims,
  type SigningKey,
} from '@broker/testing';
import { TrustRegistry, type TrustDocument } from '@broker/trust';
import type { Consent } from './consent';
import { ConsentRevokedError, ConsentVerifierService } from './consent-verifier.service';
import { MAX_TOKEN_LENGTH } from './signed-token';

const BROKER = 'lu.broker.test';
const SUBJECT = '1980010112345';
const now = (): number => Math.floor(Date.now() / 1000);
const b64url = (v: unknown): string =>
  Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

function compact(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  signer: (input: Buffer) => Buffer | string,
): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  const sig = signer(Buffer.from(input));
  return `${input}.${typeof sig === 'string' ? sig : sig.toString('base64url')}`;
}

function ecSigner(key: SigningKey, dsaEncoding: 'der' | 'ieee-p1363'): (input: Buffer) => Buffer {
  const k = createPrivateKey({ key: key.privateJwk as never, format: 'jwk' });
  return (input) => cryptoSign('sha256', input, { key: k, dsaEncoding });
}

async function signJwt(
  key: SigningKey,
  header: Record<string, unknown>,
  payload: JWTPayload,
): Promise<string> {
  return new SignJWT(payload)
    .setProtectedHeader({ alg: key.alg, ...header })
    .sign(await importJWK(key.privateJwk, key.alg));
}

function consentClaims(over: Record<string, unknown> = {}): JWTPayload {
  const iat = now();
  return {
    iss: 'myguichet',
    sub: SUBJECT,
    aud: 'ccss',
    purpose: 'ccss.affiliation',
    scope: ['name', 'birth'],
    iat,
    exp: iat + 3600,
    jti: 'c-1',
    ...over,
  };
}

const base: ConsentClaims = {
  issuer: 'myguichet',
  subject: SUBJECT,
  audience: 'ccss',
  purpose: 'ccss.affiliation',
  scope: ['name', 'birth'],
};

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

let mgEs: SigningKey; // consent issuer myguichet, ES256
let mgEd: SigningKey; // consent issuer myguichet, EdDSA
let otherIssuer: SigningKey; // consent issuer other, its own kid
let otherSameKid: SigningKey; // consent issuer other2, kid equal to myguichet's ES256 kid
let ccss: SigningKey; // a member (not a consent issuer)
let attacker: SigningKey;
let attackerEd: SigningKey;
let trust: TrustRegistry;

function service(over: Partial<BrokerConfig> = {}): ConsentVerifierService {
  return new ConsentVerifierService(trust, { ...loadBrokerConfig({ BROKER_MODE: 'development' }), ...over });
}

beforeAll(async () => {
  mgEs = await generateSigningKey('ES256', 'mg-es-1');
  mgEd = await generateSigningKey('EdDSA', 'mg-ed-1');
  otherIssuer = await generateSigningKey('ES256', 'other-1');
  otherSameKid = await generateSigningKey('ES256', 'mg-es-1');
  ccss = await generateSigningKey('ES256', 'ccss-1');
  attacker = await generateSigningKey('ES256', 'mg-es-1');
  attackerEd = await generateSigningKey('EdDSA', 'mg-es-1');
  const doc: TrustDocument = {
    brokerId: BROKER,
    members: [
      {
        id: 'ccss',
        name: 'CCSS',
        jwks: { keys: [ccss.publicJwk] },
        grants: [{ purpose: 'ccss.affiliation', items: ['name', 'birth'] }],
      },
    ],
    consentIssuers: [
      { id: 'myguichet', name: 'MyGuichet', jwks: { keys: [mgEs.publicJwk, mgEd.publicJwk] } },
      { id: 'other', jwks: { keys: [otherIssuer.publicJwk] } },
      { id: 'other2', jwks: { keys: [otherSameKid.publicJwk] } },
    ],
  };
  trust = await TrustRegistry.fromDocument(doc);
});

async function expectInvalid(token: string | undefined, reason: RegExp, svc = service()): Promise<void> {
  const e = await rejection(svc.verify(token));
  expect(e.code).toBe(ErrorCode.CONSENT_INVALID);
  expect(String(e.details?.reason)).toMatch(reason);
}

describe('ConsentVerifierService: accepted consents', () => {
  it('accepts an ES256 consent and returns its claims', async () => {
    const iat = now() - 10;
    const token = await mintConsent(mgEs, { ...base, iat, lifetimeS: 600, jti: 'jti-42' });
    const c = await service().verify(token);
    expect(c).toEqual({
      issuer: 'myguichet',
      jti: 'jti-42',
      subject: SUBJECT,
      audience: 'ccss',
      purpose: 'ccss.affiliation',
      scope: new Set(['name', 'birth']),
      issuedAt: iat,
      expiresAt: iat + 600,
    });
  });

  it('accepts an EdDSA consent', async () => {
    const token = await mintConsent(mgEd, { ...base, scope: ['address'] });
    const c = await service().verify(token);
    expect(c.issuer).toBe('myguichet');
    expect([...c.scope]).toEqual(['address']);
  });

  it('accepts surrounding whitespace and an empty scope', async () => {
    const token = await mintConsent(mgEs, { ...base, scope: [] });
    const c = await service().verify(`  ${token}\n`);
    expect(c.scope.size).toBe(0);
  });

  it('accepts a one-element aud array as the string', async () => {
    const token = await signJwt(
      mgEs,
      { typ: 'consent+jwt', kid: mgEs.kid },
      consentClaims({ aud: ['ccss'] }),
    );
    await expect(service().verify(token)).resolves.toMatchObject({ audience: 'ccss' });
  });

  it('accepts typ application/consent+jwt', async () => {
    const token = await mintConsent(mgEs, base, { typ: 'application/consent+jwt' });
    await expect(service().verify(token)).resolves.toMatchObject({ issuer: 'myguichet' });
  });

  it('accepts a lifetime equal to the configured maximum', async () => {
    const token = await mintConsent(mgEs, { ...base, lifetimeS: 3600 });
    await expect(service({ maxConsentLifetimeS: 3600 }).verify(token)).resolves.toBeDefined();
  });

  it('leaves the audience check to the policy: a consent to another member verifies with that audience', async () => {
    const token = await mintConsent(mgEs, { ...base, audience: 'cnap' });
    await expect(service().verify(token)).resolves.toMatchObject({ audience: 'cnap' });
  });

  it('accepts a hand-built token with a raw (r||s) ES256 signature (control for the DER case)', async () => {
    const token = compact(
      { alg: 'ES256', typ: 'consent+jwt', kid: mgEs.kid },
      consentClaims(),
      ecSigner(mgEs, 'ieee-p1363'),
    );
    await expect(service().verify(token)).resolves.toMatchObject({ jti: 'c-1' });
  });
});

describe('ConsentVerifierService: RFC 8725 attacks are CONSENT_INVALID', () => {
  it.each([undefined, ''])('refuses a missing token (%p)', async (token) => {
    await expectInvalid(token, /.*/);
    const e = await rejection(service().verify(token));
    expect(e.details).toBeUndefined();
  });

  it('refuses alg none', async () => {
    const empty = compact({ alg: 'none', typ: 'consent+jwt', kid: mgEs.kid }, consentClaims(), () => '');
    await expectInvalid(empty, /^malformed:/);
    const nonEmpty = compact({ alg: 'none', typ: 'consent+jwt', kid: mgEs.kid }, consentClaims(), () => 'AA');
    await expectInvalid(nonEmpty, /^untrusted: alg none/);
  });

  it('refuses HS256 signed with the public JWK (JSON) as the HMAC secret', async () => {
    const token = await new SignJWT(consentClaims())
      .setProtectedHeader({ alg: 'HS256', typ: 'consent+jwt', kid: mgEs.kid })
      .sign(new TextEncoder().encode(JSON.stringify(mgEs.publicJwk)));
    await expectInvalid(token, /^untrusted: alg HS256/);
  });

  it('refuses a jku header pointing elsewhere with an attacker key and the victim kid', async () => {
    const token = await signJwt(
      attacker,
      { typ: 'consent+jwt', kid: mgEs.kid, jku: 'https://attacker.example/jwks.json' },
      consentClaims(),
    );
    await expectInvalid(token, /^signature:/);
  });

  it('refuses an embedded jwk header with an attacker key', async () => {
    const { kid: _kid, ...jwk } = attacker.publicJwk;
    const token = await signJwt(attacker, { typ: 'consent+jwt', kid: mgEs.kid, jwk }, consentClaims());
    await expectInvalid(token, /^signature:/);
  });

  it('refuses an ES256 signature in DER encoding', async () => {
    const token = compact(
      { alg: 'ES256', typ: 'consent+jwt', kid: mgEs.kid },
      consentClaims(),
      ecSigner(mgEs, 'der'),
    );
    await expectInvalid(token, /^signature:/);
  });

  it('refuses an unknown kid and an unknown issuer', async () => {
    await expectInvalid(
      await signJwt(mgEs, { typ: 'consent+jwt', kid: 'nope' }, consentClaims()),
      /^untrusted: issuer or kid not registered/,
    );
    await expectInvalid(
      await mintConsent(attacker, { ...base, issuer: 'evil-issuer' }),
      /^untrusted: issuer or kid not registered/,
    );
  });

  it("refuses another issuer's key, under its own kid or under the victim's kid", async () => {
    await expectInvalid(await mintConsent(otherIssuer, base), /^untrusted: issuer or kid not registered/);
    expect(otherSameKid.kid).toBe(mgEs.kid);
    await expectInvalid(await mintConsent(otherSameKid, base), /^signature:/);
  });

  it("refuses alg EdDSA on an EC key's kid", async () => {
    await expectInvalid(
      await signJwt(attackerEd, { typ: 'consent+jwt', kid: mgEs.kid }, consentClaims()),
      /^untrusted: alg EdDSA is not allowed/,
    );
    await expectInvalid(
      await signJwt(mgEd, { typ: 'consent+jwt', kid: mgEs.kid }, consentClaims()),
      /^untrusted: alg EdDSA is not allowed/,
    );
  });

  it('refuses typ JWT and a missing typ', async () => {
    await expectInvalid(await mintConsent(mgEs, base, { typ: 'JWT' }), /^claims: claim check failed: typ/);
    await expectInvalid(
      await mintConsent(mgEs, base, { typ: undefined }),
      /^claims: claim check failed: typ/,
    );
  });

  it('refuses a member assertion presented as consent', async () => {
    // a member is not a consent issuer
    await expectInvalid(await mintMemberAssertion(ccss, 'ccss', BROKER), /^untrusted:/);
    // a consent issuer's own key still cannot make a typ-JWT token pass as a consent
    await expectInvalid(
      await mintMemberAssertion(mgEs, 'myguichet', BROKER, {
        claims: { purpose: 'ccss.affiliation', scope: ['name'], sub: SUBJECT },
      }),
      /^claims: claim check failed: typ/,
    );
  });

  it('refuses a forged payload', async () => {
    const token = await mintConsent(mgEs, base);
    const [h, , s] = token.split('.');
    await expectInvalid(
      `${h}.${b64url(consentClaims({ scope: ['name', 'birth', 'address'] }))}.${s}`,
      /^signature:/,
    );
  });
});

describe('ConsentVerifierService: claims', () => {
  const sign = (over: Record<string, unknown>): Promise<string> =>
    signJwt(mgEs, { typ: 'consent+jwt', kid: mgEs.kid }, consentClaims(over));

  it.each(['iss', 'sub', 'aud', 'iat', 'exp', 'jti'])('refuses a missing %s', async (claim) => {
    const reason = claim === 'iss' ? /^claims: no iss/ : new RegExp(`^claims: claim check failed: ${claim}`);
    await expectInvalid(await sign({ [claim]: undefined }), reason);
  });

  it.each([
    ['a missing scope', { scope: undefined }],
    ['a missing purpose', { purpose: undefined }],
    ['scope as a string', { scope: 'name' }],
    ['scope as a space-separated string', { scope: 'name birth' }],
    ['an unknown scope item', { scope: ['name', 'salary'] }],
    ['a duplicate scope item', { scope: ['name', 'name'] }],
    ['a non-string scope item', { scope: ['name', 1] }],
    ['a purpose with a forbidden character', { purpose: 'a b' }],
    ['an empty jti', { jti: '' }],
    ['a jti that is not a string', { jti: 42 }],
    ['a subject that is not a matricule', { sub: '123' }],
    ['an aud array of two members', { aud: ['ccss', 'cnap'] }],
    ['a non-integer iat', { iat: now() + 0.5 }],
  ])('refuses %s', async (_label, over) => {
    await expectInvalid(await sign(over), /^claims/);
  });

  it('names the offending claim in the reason', async () => {
    await expectInvalid(await sign({ scope: ['name', 'salary'] }), /^claims: \/scope\/1 /);
    await expectInvalid(await sign({ purpose: undefined }), /^claims: \/ .*purpose/);
  });

  it('refuses a lifetime above the configured maximum', async () => {
    const token = await mintConsent(mgEs, { ...base, lifetimeS: 3601 });
    await expectInvalid(token, /^claims: lifetime above 3600 s$/, service({ maxConsentLifetimeS: 3600 }));
  });

  it('refuses a lifetime above the default maximum of 366 days', async () => {
    const token = await mintConsent(mgEs, { ...base, lifetimeS: 366 * 86400 + 1 });
    await expectInvalid(token, /^claims: lifetime above 31622400 s$/);
  });

  it('refuses an iat in the future beyond the clock tolerance', async () => {
    const token = await mintConsent(mgEs, { ...base, iat: now() + 120 });
    await expectInvalid(token, /^claims: iat in the future$/, service({ clockToleranceS: 30 }));
  });

  it('refuses an nbf in the future', async () => {
    await expectInvalid(await sign({ nbf: now() + 600 }), /^claims: claim check failed: nbf/);
  });

  it('answers CONSENT_EXPIRED for an authentic expired consent', async () => {
    const token = await mintConsent(mgEs, { ...base, iat: now() - 7200, lifetimeS: 3600 });
    const e = await rejection(service().verify(token));
    expect(e.code).toBe(ErrorCode.CONSENT_EXPIRED);
  });

  it('answers CONSENT_INVALID, not CONSENT_EXPIRED, for an expired consent that is not authentic', async () => {
    const iat = now() - 7200;
    await expectInvalid(
      await mintConsent(attacker, { ...base, issuer: 'evil', iat, lifetimeS: 60 }),
      /^untrusted/,
    );
    await expectInvalid(await mintConsent(otherSameKid, { ...base, iat, lifetimeS: 60 }), /^signature/);
  });

  it('answers CONSENT_EXPIRED only past the clock tolerance', async () => {
    const token = await mintConsent(mgEs, { ...base, iat: now() - 100, lifetimeS: 80 }); // exp = now - 20
    await expect(service({ clockToleranceS: 30 }).verify(token)).resolves.toBeDefined();
    const e = await rejection(service({ clockToleranceS: 10 }).verify(token));
    expect(e.code).toBe(ErrorCode.CONSENT_EXPIRED);
  });
});

describe('ConsentVerifierService: malformed tokens', () => {
  it.each([
    ['two parts', 'eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJteWd1aWNoZXQifQ'],
    ['non-base64url characters', 'eyJh+bGc=.eyJp/c3M.sig'],
    ['base64url that is not JSON', `${b64url('not json')}.${b64url('{')}.AAAA`],
    ['inner whitespace', 'abc.d ef.ghi'],
  ])('refuses %s', async (_label, token) => {
    await expectInvalid(token, /^malformed:/);
  });

  it('refuses a huge token', async () => {
    const [h, p, s] = (await mintConsent(mgEs, base)).split('.');
    await expectInvalid(`${h}.${p}${'A'.repeat(MAX_TOKEN_LENGTH)}.${s}`, /^malformed: token is too long/);
  });
});

describe('ConsentVerifierService: withdrawn consents and the ledger', () => {
  class MemoryLedger {
    readonly seen: Consent[] = [];
    readonly revoked = new Set<string>();
    bulkWrites = 0;
    queries = 0;
    async recordSeen(c: Consent): Promise<void> {
      this.seen.push(c);
    }
    async recordSeenMany(cs: readonly Consent[]): Promise<void> {
      this.bulkWrites++;
      this.seen.push(...cs);
    }
    /** Withdraws `jti` of `issuer` (myguichet unless said). */
    revoke(jti: string, issuer = 'myguichet'): void {
      this.revoked.add(consentKey({ issuer, jti }));
    }
    async revokedAmong(cs: readonly ConsentKey[]): Promise<Set<string>> {
      this.queries++;
      return new Set(cs.map(consentKey).filter((k) => this.revoked.has(k)));
    }
    async withdrawnAmong(): Promise<Set<string>> {
      throw new Error('not used by the verifier');
    }
  }
  const withLedger = (ledger: MemoryLedger) =>
    new ConsentVerifierService(trust, loadBrokerConfig({ BROKER_MODE: 'development' }), ledger);

  it('records every authentic consent it verifies', async () => {
    const ledger = new MemoryLedger();
    const c = await withLedger(ledger).verify(await mintConsent(mgEs, { ...base, jti: 'seen-1' }));
    expect(ledger.seen).toEqual([c]);
  });

  it('refuses a withdrawn consent with CONSENT_REVOKED, naming its issuer, jti and purpose', async () => {
    const ledger = new MemoryLedger();
    ledger.revoke('gone-1');
    const e = await rejection(withLedger(ledger).verify(await mintConsent(mgEs, { ...base, jti: 'gone-1' })));
    expect(e).toBeInstanceOf(ConsentRevokedError);
    expect(e.code).toBe(ErrorCode.CONSENT_REVOKED);
    expect((e as ConsentRevokedError).consent).toEqual({
      issuer: 'myguichet',
      jti: 'gone-1',
      purpose: 'ccss.affiliation',
    });
    // still listed to the citizen
    expect(ledger.seen.map((c) => c.jti)).toEqual(['gone-1']);
  });

  it('does not refuse a consent because another issuer withdrew its own consent of the same jti', async () => {
    const ledger = new MemoryLedger();
    ledger.revoke('shared-1', 'other');
    const c = await withLedger(ledger).verify(await mintConsent(mgEs, { ...base, jti: 'shared-1' }));
    expect(c).toMatchObject({ issuer: 'myguichet', jti: 'shared-1' });
    const theirs = await mintConsent(otherIssuer, { ...base, issuer: 'other', jti: 'shared-1' });
    expect((await rejection(withLedger(ledger).verify(theirs))).code).toBe(ErrorCode.CONSENT_REVOKED);
  });

  it('neither records nor asks about a consent that does not verify', async () => {
    const ledger = new MemoryLedger();
    ledger.revoke('c-x');
    const e = await rejection(
      withLedger(ledger).verify(await mintConsent(attacker, { ...base, issuer: 'evil', jti: 'c-x' })),
    );
    expect(e.code).toBe(ErrorCode.CONSENT_INVALID);
    expect(ledger.seen).toEqual([]);
  });

  it('answers CONSENT_EXPIRED, not CONSENT_REVOKED, for an expired withdrawn consent', async () => {
    const ledger = new MemoryLedger();
    ledger.revoke('old-1');
    const token = await mintConsent(mgEs, { ...base, jti: 'old-1', iat: now() - 7200, lifetimeS: 3600 });
    expect((await rejection(withLedger(ledger).verify(token))).code).toBe(ErrorCode.CONSENT_EXPIRED);
  });

  it('verifies many tokens with the same decisions as one by one, in one ledger write and one query', async () => {
    const ledger = new MemoryLedger();
    ledger.revoke('many-2');
    const tokens = [
      await mintConsent(mgEs, { ...base, jti: 'many-1' }),
      await mintConsent(mgEs, { ...base, jti: 'many-2' }),
      await mintConsent(attacker, { ...base, issuer: 'evil', jti: 'many-3' }),
      await mintConsent(mgEs, { ...base, jti: 'many-4', iat: now() - 7200, lifetimeS: 3600 }),
      undefined,
    ];
    const out = await withLedger(ledger).verifyMany(tokens);
    expect(out.map((x) => ('code' in x ? x.code : (x as Consent).jti))).toEqual([
      'many-1',
      ErrorCode.CONSENT_REVOKED,
      ErrorCode.CONSENT_INVALID,
      ErrorCode.CONSENT_EXPIRED,
      ErrorCode.CONSENT_INVALID,
    ]);
    expect((out[1] as ConsentRevokedError).consent.jti).toBe('many-2');
    expect([ledger.bulkWrites, ledger.queries]).toEqual([1, 1]);
    // authentic consents are recorded, withdrawn ones included; forged ones are not
    expect(ledger.seen.map((c) => c.jti)).toEqual(['many-1', 'many-2']);
  });
});

describe('ConsentVerifierService: verified-token cache', () => {
  const T0 = Date.UTC(2026, 5, 1, 8, 0, 0);
  const config = (over: Partial<BrokerConfig> = {}) => ({
    ...loadBrokerConfig({ BROKER_MODE: 'development' }),
    ...over,
  });
  /** A registry that can be replaced under the service, as a trust file loaded again would be. */
  const swappable = (first: TrustRegistry) => {
    const holder = { current: first };
    const view = { consentIssuer: (id: string) => holder.current.consentIssuer(id) } as TrustRegistry;
    return { holder, view };
  };
  const docWith = (keys: SigningKey[]): TrustDocument => ({
    brokerId: BROKER,
    members: [],
    consentIssuers: [{ id: 'myguichet', jwks: { keys: keys.map((k) => k.publicJwk) } }],
  });

  beforeEach(() => {
    // only the clock is faked (jose reads `new Date()`, the service `Date.now()`)
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

  it('serves a reused token from the cache (the same verified consent), surrounding whitespace aside', async () => {
    const svc = service();
    const token = await mintConsent(mgEs, { ...base, jti: 'hit-1', lifetimeS: 60 });
    const first = await svc.verify(token);
    jest.setSystemTime(T0 + 30_000);
    expect(await svc.verify(token)).toBe(first);
    expect(await svc.verify(` ${token}\t`)).toBe(first);
    // another service (another process) verifies afresh
    const other = await service().verify(token);
    expect(other).not.toBe(first);
    expect(other).toEqual(first);
  });

  it('does not serve a cached consent at or after its exp: CONSENT_EXPIRED with no clock tolerance', async () => {
    const svc = service({ clockToleranceS: 0 });
    const token = await mintConsent(mgEs, { ...base, jti: 'exp-1', lifetimeS: 60 });
    const first = await svc.verify(token);
    jest.setSystemTime(T0 + 59_999);
    await expect(svc.verify(token)).resolves.toBe(first);
    jest.setSystemTime(T0 + 60_000);
    const e = await rejection(svc.verify(token));
    expect(e.code).toBe(ErrorCode.CONSENT_EXPIRED);
  });

  it('re-verifies after exp inside the clock tolerance, and refuses past it', async () => {
    const svc = service({ clockToleranceS: 30 });
    const token = await mintConsent(mgEs, { ...base, jti: 'exp-2', lifetimeS: 60 });
    const first = await svc.verify(token);
    jest.setSystemTime(T0 + 61_000);
    const again = await svc.verify(token);
    expect(again).not.toBe(first);
    expect(again).toEqual(first);
    jest.setSystemTime(T0 + 91_000);
    expect((await rejection(svc.verify(token))).code).toBe(ErrorCode.CONSENT_EXPIRED);
  });

  it('does not cache a refusal, nor let a cached token vouch for a tampered one', async () => {
    const { holder, view } = swappable(await TrustRegistry.fromDocument(docWith([mgEd])));
    const svc = new ConsentVerifierService(view, config());
    const token = await mintConsent(mgEs, { ...base, jti: 'ref-1' });
    // mgEs is not (yet) trusted: refused
    await expectInvalid(token, /^untrusted:/, svc);
    // once it is, the same token verifies: the refusal was not kept
    holder.current = await TrustRegistry.fromDocument(docWith([mgEd, mgEs]));
    const c = await svc.verify(token);
    expect(c.jti).toBe('ref-1');
    const [h, p, s] = token.split('.');
    const tampered = `${h}.${p}.${s.slice(0, 10)}${s[10] === 'A' ? 'B' : 'A'}${s.slice(11)}`;
    await expectInvalid(tampered, /^signature:/, svc);
    await expectInvalid(tampered, /^signature:/, svc);
    expect(await svc.verify(token)).toBe(c);
  });

  it('forgets what a key verified once the trust file in force no longer holds that key', async () => {
    const { holder, view } = swappable(await TrustRegistry.fromDocument(docWith([mgEs])));
    const svc = new ConsentVerifierService(view, config());
    const token = await mintConsent(mgEs, { ...base, jti: 'reload-1' });
    const first = await svc.verify(token);
    expect(await svc.verify(token)).toBe(first);
    // the same file loaded again: new key objects, so a fresh verification (which passes)
    holder.current = await TrustRegistry.fromDocument(docWith([mgEs]));
    const again = await svc.verify(token);
    expect(again).not.toBe(first);
    expect(await svc.verify(token)).toBe(again);
    // the key withdrawn from the trust file: the cached consent is refused at once
    holder.current = await TrustRegistry.fromDocument(docWith([mgEd]));
    await expectInvalid(token, /^untrusted:/, svc);
  });

  it('clearCache() makes the next use verify afresh', async () => {
    const svc = service();
    const token = await mintConsent(mgEs, { ...base, jti: 'clear-1' });
    const first = await svc.verify(token);
    svc.clearCache();
    const again = await svc.verify(token);
    expect(again).not.toBe(first);
    expect(again).toEqual(first);
  });

  it('still reads the withdrawals on every use: a consent withdrawn after it was cached is refused at once', async () => {
    const revoked = new Set<string>();
    let queries = 0;
    const ledger = {
      recordSeen: async () => undefined,
      recordSeenMany: async () => undefined,
      revokedAmong: async (cs: readonly ConsentKey[]) => {
        queries++;
        return new Set(cs.map(consentKey).filter((k) => revoked.has(k)));
      },
      withdrawnAmong: async () => new Set<string>(),
    };
    const svc = new ConsentVerifierService(trust, config(), ledger);
    const token = await mintConsent(mgEs, { ...base, jti: 'cached-then-gone' });
    const first = await svc.verify(token);
    expect(await svc.verify(token)).toBe(first);
    revoked.add(consentKey({ issuer: 'myguichet', jti: 'cached-then-gone' }));
    const e = await rejection(svc.verify(token));
    expect(e).toBeInstanceOf(ConsentRevokedError);
    expect(queries).toBe(3);
    // and in a batch too
    const [out] = await svc.verifyMany([token]);
    expect((out as BrokerError).code).toBe(ErrorCode.CONSENT_REVOKED);
  });
});
