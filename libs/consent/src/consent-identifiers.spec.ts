import { loadBrokerConfig } from '@broker/config';
import { BrokerError, ErrorCode } from '@broker/errors';
import { generateSigningKey, mintConsent, type ConsentClaims, type SigningKey } from '@broker/testing';
import { TrustRegistry } from '@broker/trust';
import type { Consent } from './consent';
import type { ConsentLedger } from './consent-store';
import { ConsentVerifierService } from './consent-verifier.service';

// The jti, iss and purpose of a consent go into the access log: values the log cannot record
// (docs/access-log.md, "Strings in an entry") are refused here, before the ledger is written.

const SUBJECT = '1980010112345';
const now = (): number => Math.floor(Date.now() / 1000);

let key: SigningKey;
let trust: TrustRegistry;

/** Records what the verifier hands to the ledger (the ledger itself is a PostgreSQL table). */
class SeenLedger implements ConsentLedger {
  seen: string[] = [];
  async recordSeen(c: Consent): Promise<void> {
    this.seen.push(c.jti);
  }
  async recordSeenMany(cs: readonly Consent[]): Promise<void> {
    this.seen.push(...cs.map((c) => c.jti));
  }
  async revokedAmong(): Promise<Set<string>> {
    return new Set();
  }
  async withdrawnAmong(): Promise<Set<string>> {
    return new Set();
  }
}

beforeAll(async () => {
  key = await generateSigningKey('ES256', 'mg-es-1');
  trust = await TrustRegistry.fromDocument({
    brokerId: 'lu.broker.test',
    members: [],
    consentIssuers: [{ id: 'myguichet', jwks: { keys: [key.publicJwk] } }],
  });
});

const base: ConsentClaims = {
  issuer: 'myguichet',
  subject: SUBJECT,
  audience: 'ccss',
  purpose: 'social-benefits',
  scope: ['name'],
};

async function refusal(p: Promise<unknown>): Promise<BrokerError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (e instanceof BrokerError) return e;
  throw new Error('expected a BrokerError');
}

describe('ConsentVerifierService: identifiers the access log records', () => {
  it.each([
    ['a NUL in the jti', 'c-\u0000-1'],
    ['a lone surrogate in the jti', 'c-\ud800'],
    ['a newline in the jti', 'c-1\n'],
    ['a space in the jti', 'c 1'],
    ['a jti starting with a symbol', '-c-1'],
    ['a non-ASCII jti', 'consentement-é'],
  ])('refuses %s with CONSENT_INVALID and never writes it to the ledger', async (_label, jti) => {
    const ledger = new SeenLedger();
    const svc = new ConsentVerifierService(trust, loadBrokerConfig({}), ledger);
    const token = await mintConsent(key, { ...base, jti });
    const e = await refusal(svc.verify(token));
    expect(e.code).toBe(ErrorCode.CONSENT_INVALID);
    expect(String(e.details?.reason)).toMatch(/^claims: \/jti /);
    expect(JSON.stringify(e.details)).not.toContain(jti);
    expect(ledger.seen).toEqual([]);
  });

  it('refuses a lone surrogate in the purpose with CONSENT_INVALID', async () => {
    const svc = new ConsentVerifierService(trust, loadBrokerConfig({}));
    const e = await refusal(svc.verify(await mintConsent(key, { ...base, purpose: 'social\ud800' })));
    expect(e.code).toBe(ErrorCode.CONSENT_INVALID);
  });

  it('refuses an expired consent whose jti the log cannot record as CONSENT_INVALID, not CONSENT_EXPIRED', async () => {
    const svc = new ConsentVerifierService(trust, loadBrokerConfig({}));
    const token = await mintConsent(key, { ...base, jti: 'old\u0000', iat: now() - 7200, lifetimeS: 3600 });
    const e = await refusal(svc.verify(token));
    expect(e.code).toBe(ErrorCode.CONSENT_INVALID);
    const fine = await mintConsent(key, { ...base, jti: 'old-1', iat: now() - 7200, lifetimeS: 3600 });
    expect((await refusal(svc.verify(fine))).code).toBe(ErrorCode.CONSENT_EXPIRED);
  });

  it('refuses only the bad tokens of a batch, each with its own code', async () => {
    const ledger = new SeenLedger();
    const svc = new ConsentVerifierService(trust, loadBrokerConfig({}), ledger);
    const out = await svc.verifyMany([
      await mintConsent(key, { ...base, jti: 'b-1' }),
      await mintConsent(key, { ...base, jti: 'b-\u0000' }),
      await mintConsent(key, { ...base, jti: 'b-3' }),
    ]);
    expect(out.map((x) => (x instanceof BrokerError ? x.code : x.jti))).toEqual([
      'b-1',
      ErrorCode.CONSENT_INVALID,
      'b-3',
    ]);
    expect(ledger.seen).toEqual(['b-1', 'b-3']);
  });

  it('accepts UUID jtis and purposes of the alphabet', async () => {
    const svc = new ConsentVerifierService(trust, loadBrokerConfig({}));
    const jti = '0b6f3f0e-5d0c-4c2a-9a57-2f1c8e4d7a10';
    await expect(
      svc.verify(await mintConsent(key, { ...base, jti, purpose: 'ccss.affiliation/2026:v1' })),
    ).resolves.toMatchObject({ jti, purpose: 'ccss.affiliation/2026:v1' });
  });
});
