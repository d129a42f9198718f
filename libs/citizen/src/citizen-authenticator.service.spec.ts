import { Logger } from '@nestjs/common';
import { SignJWT, importJWK, type JWTPayload } from 'jose';
import { loadBrokerConfig } from '@broker/config';
import { BrokerError, ErrorCode } from '@broker/errors';
import { makeMatricule } from '@broker/matricule';
import { generateSigningKey, mintCitizenToken, type SigningKey } from '@broker/testing';
import { TrustRegistry } from '@broker/trust';
import { CitizenAuthenticatorService } from './citizen-authenticator.service';
import { DevIdentityProvider } from './dev-identity-provider';

const BROKER = 'lu.broker.test';
const IDP = 'https://idp.test.invalid';
const SUBJECT = makeMatricule('19800412', 101);
const now = (): number => Math.floor(Date.now() / 1000);

let key: SigningKey;
let service: CitizenAuthenticatorService;

/** An ID token with exactly these claims (nothing added). */
async function idToken(over: Record<string, unknown> = {}): Promise<string> {
  const iat = now();
  const claims: JWTPayload = { iss: IDP, sub: SUBJECT, aud: BROKER, iat, exp: iat + 300, ...over };
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, typ: 'JWT', kid: key.kid })
    .sign(await importJWK(key.privateJwk, key.alg));
}

async function refusal(token: string): Promise<BrokerError> {
  const e = await service.authenticateToken(token).then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof BrokerError)) throw new Error('expected a BrokerError');
  expect(e.code).toBe(ErrorCode.UNAUTHENTICATED);
  return e;
}

beforeAll(async () => {
  Logger.overrideLogger(false);
  key = await generateSigningKey('ES256', 'idp-1');
  const trust = await TrustRegistry.fromDocument({
    brokerId: BROKER,
    members: [],
    consentIssuers: [],
    identityProviders: [{ issuer: IDP, jwks: { keys: [key.publicJwk] } }],
  });
  // production: the demo identity provider is off (the config loaded as development needs no files)
  const config = { ...loadBrokerConfig({ BROKER_MODE: 'development' }), mode: 'production' as const };
  service = new CitizenAuthenticatorService(trust, config, new DevIdentityProvider(config));
});

afterAll(() => {
  Logger.overrideLogger(['log', 'error', 'warn', 'debug', 'verbose', 'fatal']);
});

describe('CitizenAuthenticatorService: audiences (OpenID Connect Core §3.1.3.7)', () => {
  it('accepts aud the broker id, as a string or a one-element array', async () => {
    await expect(
      service.authenticateToken(await mintCitizenToken(key, IDP, BROKER, SUBJECT)),
    ).resolves.toMatchObject({ subject: SUBJECT, issuer: IDP });
    await expect(service.authenticateToken(await idToken({ aud: [BROKER] }))).resolves.toMatchObject({
      subject: SUBJECT,
    });
  });

  it('accepts several audiences when azp is the broker id', async () => {
    await expect(
      service.authenticateToken(await idToken({ aud: [BROKER, 'another-client'], azp: BROKER })),
    ).resolves.toMatchObject({ subject: SUBJECT });
  });

  it('refuses several audiences without azp', async () => {
    const e = await refusal(await idToken({ aud: [BROKER, 'another-client'] }));
    expect(e.details?.reason).toBe('claims: several audiences without azp naming the broker');
  });

  it('refuses several audiences whose azp is another client', async () => {
    const e = await refusal(await idToken({ aud: [BROKER, 'another-client'], azp: 'another-client' }));
    expect(String(e.details?.reason)).toMatch(/^claims: /);
  });

  it('refuses an azp that is not the broker, even with the broker as only audience', async () => {
    const e = await refusal(await idToken({ azp: 'another-client' }));
    expect(e.details?.reason).toBe('claims: azp is not the broker');
  });

  it('refuses an audience list without the broker', async () => {
    const e = await refusal(await idToken({ aud: ['another-client', 'third'], azp: BROKER }));
    expect(String(e.details?.reason)).toMatch(/^claims: claim check failed: aud/);
  });
});

describe('CitizenAuthenticatorService: times', () => {
  it('refuses an iat in the future beyond the clock tolerance', async () => {
    const iat = now() + 10 * 366 * 86400;
    const e = await refusal(await idToken({ iat, exp: iat + 60 }));
    expect(e.details?.reason).toBe('claims: iat in the future');
  });

  it('refuses a lifetime above CITIZEN_TOKEN_MAX_LIFETIME_S', async () => {
    const e = await refusal(await mintCitizenToken(key, IDP, BROKER, SUBJECT, { lifetimeS: 3601 }));
    expect(e.details?.reason).toBe('claims: lifetime above 3600 s');
  });
});
