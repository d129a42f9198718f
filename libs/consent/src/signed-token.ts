import { decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { VerificationKey } from '@broker/trust';

/** Longest compact token accepted before any parsing (a bound on work, not a security check). */
export const MAX_TOKEN_LENGTH = 8192;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(authorization: string | undefined): string | undefined {
  return /^Bearer ([^\s]+)$/i.exec(authorization?.trim() ?? '')?.[1];
}

/** Why a token was not accepted; `expired` is kept apart because it has its own error code. */
/** JWS algorithm names (RFC 7518, RFC 8037) and `none`: the only header values a refusal repeats. */
const JWS_ALG = /^(?:[HRP]S(?:256|384|512)|ES(?:256|256K|384|512)|EdDSA|Ed25519|Ed448|none)$/;

/**
 * A token header's alg as a refusal may name it: the sender's text is repeated only when it is an
 * algorithm name, never an arbitrary string (a refusal's reason reaches the application log).
 */
export function algName(alg: unknown): string {
  return typeof alg === 'string' && JWS_ALG.test(alg) ? alg : '(not a JWS algorithm)';
}

export class TokenRejected extends Error {
  constructor(
    readonly reason: 'malformed' | 'untrusted' | 'signature' | 'claims' | 'expired',
    message: string,
    /** The verified payload, only for `expired` (the signature was checked before the time). */
    readonly payload?: JWTPayload,
  ) {
    super(message);
    this.name = 'TokenRejected';
  }
}

export interface VerifyOptions {
  /** Required JOSE `typ` (compared as RFC 8725 §3.11 says; `application/` prefix tolerated). */
  typ: string;
  /** Keys of the party named by the unverified `iss`, by kid; undefined if `iss` is unknown. */
  keysOf: (issuer: string) => ReadonlyMap<string, VerificationKey> | undefined;
  /**
   * The broker id `aud` must name. `single` (member assertions, staff tokens): exactly one
   * audience, as a string (FAPI 2.0); an array is refused, even of one. `oidc` (ID tokens): a
   * string or an array holding it, and with several audiences `azp` must be the broker
   * (OpenID Connect Core §3.1.3.7). Omitted: the caller checks `aud` itself.
   */
  audience?: { id: string; form: 'single' | 'oidc' };
  clockToleranceS: number;
  /** Longest accepted exp - iat; `iat` and `exp` are then required. */
  maxLifetimeS?: number;
  requiredClaims: string[];
}

/**
 * Verifies a compact JWS the way RFC 8725 asks: the key is looked up only among the keys
 * registered for the claimed issuer (by `kid`), the algorithm must be one allowed for that key
 * (so no `none`, no HMAC, no ES/EdDSA confusion), header-carried keys (`jwk`, `jku`, `x5u`,
 * `x5c`) are never used, and `typ` must match so that one kind of token cannot pass for another.
 * The time rules hold for every kind of token: an `iat` in the future (beyond the clock
 * tolerance) is refused, and so is a lifetime (exp - iat) above `maxLifetimeS`.
 */
export async function verifySignedToken(token: string, opts: VerifyOptions): Promise<JWTPayload> {
  return (await verifySignedTokenWithKey(token, opts)).payload;
}

/** A verified token's payload, and the registered key (and its kid) that verified it. */
export interface VerifiedToken {
  payload: JWTPayload;
  key: VerificationKey;
  kid: string;
}

/** `verifySignedToken`, also naming the key that verified the signature (for caches bound to it). */
export async function verifySignedTokenWithKey(token: string, opts: VerifyOptions): Promise<VerifiedToken> {
  if (typeof token !== 'string' || token.length === 0) throw new TokenRejected('malformed', 'token is empty');
  if (token.length > MAX_TOKEN_LENGTH) throw new TokenRejected('malformed', 'token is too long');
  if (!COMPACT_JWS.test(token))
    throw new TokenRejected('malformed', 'not a compact JWS (three base64url parts)');
  let header: ReturnType<typeof decodeProtectedHeader>;
  let unverified: JWTPayload;
  try {
    header = decodeProtectedHeader(token);
    unverified = decodeJwt(token);
  } catch {
    throw new TokenRejected('malformed', 'header or payload is not base64url JSON');
  }
  if (typeof header.kid !== 'string' || header.kid === '')
    throw new TokenRejected('untrusted', 'no kid in the header');
  if (typeof header.alg !== 'string') throw new TokenRejected('untrusted', 'no alg in the header');
  if (typeof unverified.iss !== 'string') throw new TokenRejected('claims', 'no iss claim');
  const key = opts.keysOf(unverified.iss)?.get(header.kid);
  if (!key) throw new TokenRejected('untrusted', 'issuer or kid not registered');
  if (!key.algorithms.includes(header.alg)) {
    throw new TokenRejected('untrusted', `alg ${algName(header.alg)} is not allowed for this key`);
  }
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, key.key, {
      algorithms: [...key.algorithms],
      typ: opts.typ,
      issuer: unverified.iss,
      audience: opts.audience?.id,
      clockTolerance: opts.clockToleranceS,
      requiredClaims:
        opts.maxLifetimeS === undefined ? opts.requiredClaims : [...opts.requiredClaims, 'iat', 'exp'],
    }));
  } catch (e) {
    if (e instanceof joseErrors.JWTExpired)
      throw new TokenRejected('expired', 'token has expired', e.payload);
    if (e instanceof joseErrors.JWSSignatureVerificationFailed)
      throw new TokenRejected('signature', 'bad signature');
    if (e instanceof joseErrors.JWTClaimValidationFailed) {
      throw new TokenRejected('claims', `claim check failed: ${e.claim} (${e.reason})`);
    }
    if (e instanceof joseErrors.JOSEError) throw new TokenRejected('malformed', e.code);
    throw new TokenRejected('malformed', 'token could not be verified');
  }
  checkAudience(payload, opts.audience);
  checkTimes(payload, opts);
  return { payload, key, kid: header.kid };
}

function checkAudience(payload: JWTPayload, audience: VerifyOptions['audience']): void {
  if (!audience) return;
  const { aud, azp } = payload;
  if (audience.form === 'single') {
    if (typeof aud !== 'string') throw new TokenRejected('claims', 'aud must be one string, not an array');
    return;
  }
  // jose has checked that aud names the broker; with other audiences too, the token must say it was issued to the broker
  if (Array.isArray(aud) && aud.length > 1 && azp !== audience.id)
    throw new TokenRejected('claims', 'several audiences without azp naming the broker');
  if (azp !== undefined && azp !== audience.id) throw new TokenRejected('claims', 'azp is not the broker');
}

function checkTimes(payload: JWTPayload, opts: VerifyOptions): void {
  const { iat, exp } = payload;
  // jose has checked that iat and exp, when present, are numbers
  if (iat !== undefined && iat > Math.floor(Date.now() / 1000) + opts.clockToleranceS)
    throw new TokenRejected('claims', 'iat in the future');
  if (opts.maxLifetimeS !== undefined && (exp as number) - (iat as number) > opts.maxLifetimeS)
    throw new TokenRejected('claims', `lifetime above ${opts.maxLifetimeS} s`);
}
