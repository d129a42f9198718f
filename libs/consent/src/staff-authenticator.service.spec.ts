import { Logger } from '@nestjs/common';
import { SignJWT, importJWK, type JWTPayload } from 'jose';
import { loadBrokerConfig, type BrokerConfig } from '@broker/config';
import { BrokerError, ErrorCode } from '@broker/errors';
import { generateSigningKey, mintStaffToken, type SigningKey } from '@broker/testing';
import { TrustRegistry } from '@broker/trust';
import { StaffAuthenticatorService } from './staff-authenticator.service';

const BROKER = 'lu.broker.test';
const STAFF = 'cnpd-staff';
const now = (): number => Math.floor(Date.now() / 1000);
const bearer = (t: string): string => `Bearer ${t}`;

let key: SigningKey;
let trust: TrustRegistry;

function service(over: Partial<BrokerConfig> = {}): StaffAuthenticatorService {
  return new StaffAuthenticatorService(trust, {
    ...loadBrokerConfig({ BROKER_MODE: 'development' }),
    ...over,
  });
}

/** A staff token with exactly these claims (nothing added). */
async function signed(claims: JWTPayload): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, typ: 'JWT', kid: key.kid })
    .sign(await importJWK(key.privateJwk, key.alg));
}

function claims(over: Record<string, unknown> = {}): JWTPayload {
  const iat = now();
  return { iss: STAFF, sub: 'auditor-1', aud: BROKER, iat, exp: iat + 120, roles: ['auditor'], ...over };
}

async function refusal(token: string, svc = service()): Promise<BrokerError> {
  const e = await svc.authenticateAuditor(bearer(token)).then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof BrokerError)) throw new Error('expected a BrokerError');
  return e;
}

beforeAll(async () => {
  Logger.overrideLogger(false);
  key = await generateSigningKey('ES256', 'staff-1');
  trust = await TrustRegistry.fromDocument({
    brokerId: BROKER,
    members: [],
    consentIssuers: [],
    staffIssuers: [{ id: STAFF, jwks: { keys: [key.publicJwk] } }],
  });
});

afterAll(() => {
  Logger.overrideLogger(['log', 'error', 'warn', 'debug', 'verbose', 'fatal']);
});

describe('StaffAuthenticatorService: accepted tokens', () => {
  it('accepts an auditor token of the lifetime cap, 300 s', async () => {
    const token = await mintStaffToken(key, STAFF, BROKER, 'auditor-1', { lifetimeS: 300 });
    await expect(service().authenticateAuditor(bearer(token))).resolves.toMatchObject({
      id: `${STAFF}/auditor-1`,
    });
  });

  it('accepts an iat slightly ahead within the clock tolerance', async () => {
    const token = await mintStaffToken(key, STAFF, BROKER, 'auditor-1', { iat: now() + 20 });
    await expect(service({ clockToleranceS: 30 }).authenticateAuditor(bearer(token))).resolves.toBeDefined();
  });
});

describe('StaffAuthenticatorService: the member assertions rules (UNAUTHENTICATED, HTTP 401)', () => {
  it('refuses a token living 30 days', async () => {
    const e = await refusal(await mintStaffToken(key, STAFF, BROKER, 'auditor-1', { lifetimeS: 30 * 86400 }));
    expect(e.code).toBe(ErrorCode.UNAUTHENTICATED);
    expect(e.details?.reason).toBe('claims: lifetime above 300 s');
  });

  it("caps the lifetime at the member assertions' 300 s by default", async () => {
    expect(loadBrokerConfig({ BROKER_MODE: 'development' }).maxStaffTokenLifetimeS).toBe(300);
    const e = await refusal(await mintStaffToken(key, STAFF, BROKER, 'auditor-1', { lifetimeS: 301 }));
    expect(e.code).toBe(ErrorCode.UNAUTHENTICATED);
    expect(e.details?.reason).toBe('claims: lifetime above 300 s');
  });

  it('accepts a longer lifetime only where the operator raised STAFF_TOKEN_MAX_LIFETIME_S, and no more', async () => {
    const raised = service({ maxStaffTokenLifetimeS: 600 });
    const ok = await raised.authenticateAuditor(
      bearer(await mintStaffToken(key, STAFF, BROKER, 'auditor-1', { lifetimeS: 600 })),
    );
    expect(ok.subject).toBe('auditor-1');
    const e = await refusal(
      await mintStaffToken(key, STAFF, BROKER, 'auditor-1', { lifetimeS: 601 }),
      raised,
    );
    expect(e.details?.reason).toBe('claims: lifetime above 600 s');
  });

  it('refuses a token whose iat is ten years ahead (a short exp - iat does not make it short-lived)', async () => {
    const iat = now() + 10 * 366 * 86400;
    const e = await refusal(await mintStaffToken(key, STAFF, BROKER, 'auditor-1', { iat, lifetimeS: 60 }));
    expect(e.code).toBe(ErrorCode.UNAUTHENTICATED);
    expect(e.details?.reason).toBe('claims: iat in the future');
  });

  it('refuses a token 30 days long that hides its lifetime with an iat just before exp', async () => {
    const exp = now() + 30 * 86400;
    const e = await refusal(await signed(claims({ iat: exp - 60, exp })));
    expect(e.code).toBe(ErrorCode.UNAUTHENTICATED);
    expect(e.details?.reason).toBe('claims: iat in the future');
  });

  it('refuses a token without iat', async () => {
    const e = await refusal(await signed(claims({ iat: undefined })));
    expect(e.code).toBe(ErrorCode.UNAUTHENTICATED);
    expect(String(e.details?.reason)).toMatch(/^claims: claim check failed: iat \(missing\)/);
  });

  it('refuses an aud array, even one holding only the broker', async () => {
    for (const aud of [[BROKER], [BROKER, 'elsewhere']]) {
      const e = await refusal(await signed(claims({ aud })));
      expect(e.code).toBe(ErrorCode.UNAUTHENTICATED);
      expect(String(e.details?.reason)).toMatch(/^claims: aud must be one string/);
    }
  });
});
