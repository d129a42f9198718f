import { randomUUID } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import type { DataItem } from '@broker/data-items';

/** A private signing key with its kid and algorithm (test and demo use only). */
export interface SigningKey {
  kid: string;
  alg: 'ES256' | 'EdDSA';
  privateJwk: JWK;
  publicJwk: JWK;
}

/** Generates a fresh key pair (never committed: tests and the demo make their own). */
export async function generateSigningKey(alg: 'ES256' | 'EdDSA', kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, {
    extractable: true,
    crv: alg === 'EdDSA' ? 'Ed25519' : undefined,
  });
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg };
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateJwk, publicJwk };
}

const now = (): number => Math.floor(Date.now() / 1000);

/** Options of the typ-JWT tokens below (member assertions, staff and citizen tokens). */
export interface JwtOptions {
  lifetimeS?: number;
  iat?: number;
  claims?: Record<string, unknown>;
  header?: Record<string, unknown>;
}

/** One typ-JWT token: a fresh jti, iss/sub/aud as given, iat now unless said. */
async function signJwt(
  key: SigningKey,
  who: { iss: string; sub: string; aud: string; defaultLifetimeS: number },
  opts: JwtOptions,
): Promise<string> {
  const iat = opts.iat ?? now();
  return new SignJWT({ jti: randomUUID(), ...(opts.claims ?? {}) })
    .setProtectedHeader({ alg: key.alg, typ: 'JWT', kid: key.kid, ...(opts.header ?? {}) })
    .setIssuer(who.iss)
    .setSubject(who.sub)
    .setAudience(who.aud)
    .setIssuedAt(iat)
    .setExpirationTime(iat + (opts.lifetimeS ?? who.defaultLifetimeS))
    .sign(await importJWK(key.privateJwk, key.alg));
}

/** Signs a member assertion: typ JWT, iss = sub = member, aud = broker, lifetime 120 s unless said. */
export async function mintMemberAssertion(
  key: SigningKey,
  memberId: string,
  brokerId: string,
  opts: JwtOptions = {},
): Promise<string> {
  return signJwt(key, { iss: memberId, sub: memberId, aud: brokerId, defaultLifetimeS: 120 }, opts);
}

export interface ConsentClaims {
  issuer: string;
  subject: string;
  audience: string;
  purpose: string;
  scope: DataItem[];
  lifetimeS?: number;
  iat?: number;
  jti?: string;
}

/** Signs a consent token: typ consent+jwt. */
export async function mintConsent(
  key: SigningKey,
  c: ConsentClaims,
  header: Record<string, unknown> = {},
): Promise<string> {
  const iat = c.iat ?? now();
  return new SignJWT({ purpose: c.purpose, scope: c.scope })
    .setProtectedHeader({ alg: key.alg, typ: 'consent+jwt', kid: key.kid, ...header })
    .setIssuer(c.issuer)
    .setSubject(c.subject)
    .setAudience(c.audience)
    .setIssuedAt(iat)
    .setExpirationTime(iat + (c.lifetimeS ?? 3600))
    .setJti(c.jti ?? randomUUID())
    .sign(await importJWK(key.privateJwk, key.alg));
}

/** Signs a staff (auditor) token: typ JWT, iss = staff issuer, aud = broker, sub, roles, optional members. */
export async function mintStaffToken(
  key: SigningKey,
  issuer: string,
  brokerId: string,
  subject: string,
  opts: { roles?: string[]; members?: string[]; lifetimeS?: number; iat?: number } = {},
): Promise<string> {
  const claims: Record<string, unknown> = { roles: opts.roles ?? ['auditor'] };
  if (opts.members) claims.members = opts.members;
  return signJwt(
    key,
    // 300 s: the longest the broker accepts, as for member assertions
    { iss: issuer, sub: subject, aud: brokerId, defaultLifetimeS: 300 },
    { lifetimeS: opts.lifetimeS, iat: opts.iat, claims },
  );
}

/** Signs a citizen's ID token (OpenID Connect): typ JWT, iss = provider, aud = broker, sub = matricule. */
export async function mintCitizenToken(
  key: SigningKey,
  issuer: string,
  brokerId: string,
  matricule: string,
  opts: JwtOptions = {},
): Promise<string> {
  return signJwt(key, { iss: issuer, sub: matricule, aud: brokerId, defaultLifetimeS: 600 }, opts);
}

/** Signs a consent revocation by its issuer: typ revocation+jwt, iss = issuer, jti = the consent's jti. */
export async function mintRevocation(
  key: SigningKey,
  issuer: string,
  consentJti: string,
  opts: { lifetimeS?: number; iat?: number; claims?: Record<string, unknown>; typ?: string } = {},
): Promise<string> {
  const iat = opts.iat ?? now();
  return new SignJWT({ ...(opts.claims ?? {}) })
    .setProtectedHeader({ alg: key.alg, typ: opts.typ ?? 'revocation+jwt', kid: key.kid })
    .setIssuer(issuer)
    .setJti(consentJti)
    .setIssuedAt(iat)
    .setExpirationTime(iat + (opts.lifetimeS ?? 300))
    .sign(await importJWK(key.privateJwk, key.alg));
}
