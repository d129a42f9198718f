import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import {
  createRemoteJWKSet,
  customFetch,
  decodeJwt,
  decodeProtectedHeader,
  type FetchImplementation,
  type JWTPayload,
  type RemoteJWKSet,
} from 'jose';
import { request } from 'undici';
import { BROKER_CONFIG, type BrokerConfig } from '@broker/config';
import { MAX_TOKEN_LENGTH, TokenRejected, algName, bearerToken, verifySignedToken } from '@broker/consent';
import { BrokerError, ErrorCode } from '@broker/errors';
import { checkMatricule } from '@broker/matricule';
import {
  TRUST_REGISTRY,
  type IdentityProvider,
  type TrustRegistry,
  type VerificationKey,
} from '@broker/trust';
import type { Citizen } from './citizen';
import { DEV_IDP_ISSUER, DevIdentityProvider } from './dev-identity-provider';

/** Algorithms accepted from a provider's remote JWKS (the key's type still has to match). */
const REMOTE_ALGORITHMS = ['ES256', 'EdDSA', 'Ed25519', 'RS256', 'PS256'];
const JWKS_TIMEOUT_MS = 3000;
const JWKS_CACHE_MAX_AGE_MS = 10 * 60_000;
const JWKS_COOLDOWN_MS = 30_000;
const JWKS_MAX_BYTES = 256 * 1024;

/** The unverified `iss` of a compact JWT, or undefined: only to choose which keys to try. */
export function unverifiedIssuer(token: string | undefined): string | undefined {
  if (!token || token.length > MAX_TOKEN_LENGTH) return undefined;
  try {
    const iss = decodeJwt(token).iss;
    return typeof iss === 'string' ? iss : undefined;
  } catch {
    return undefined;
  }
}

/**
 * jose's fetch of a JWKS through undici.request: global fetch refuses some ports (the WHATWG
 * "bad ports") and would follow nothing else differently; the body is capped.
 */
const jwksFetch: FetchImplementation = async (url, options) => {
  const res = await request(url, {
    method: 'GET',
    headers: Object.fromEntries(options.headers.entries()),
    signal: options.signal,
  });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += (chunk as Buffer).length;
    if (size > JWKS_MAX_BYTES) {
      res.body.destroy();
      throw new Error('JWKS answer too large');
    }
    chunks.push(chunk as Buffer);
  }
  return new Response(Buffer.concat(chunks), {
    status: res.statusCode,
    headers: { 'content-type': String(res.headers['content-type'] ?? 'application/json') },
  });
};

/**
 * Signs citizens in from OpenID Connect ID tokens: `typ` JWT, `iss` an identity provider of the
 * trust file (or, in development mode only, the demo provider), `aud` the brokerId (with several
 * audiences, `azp` must be the brokerId), `sub` a valid
 * matricule, `iat` and `exp` required, lifetime at most CITIZEN_TOKEN_MAX_LIFETIME_S. The key is
 * found by `kid` among the provider's keys only (inline, or its JWKS endpoint, cached), and the
 * algorithm must be one that key allows (RFC 8725: no `none`, no HMAC, no header-carried keys).
 */
@Injectable()
export class CitizenAuthenticatorService implements OnModuleInit {
  private readonly logger = new Logger('CitizenAuthenticator');
  private readonly remote = new Map<string, RemoteJWKSet>();
  private rejected = 0;

  constructor(
    @Inject(TRUST_REGISTRY) private readonly trust: TrustRegistry,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
    @Inject(DevIdentityProvider) private readonly dev: DevIdentityProvider,
  ) {}

  onModuleInit(): void {
    if (this.config.mode === 'production' && this.trust.identityProvider(DEV_IDP_ISSUER)) {
      throw new Error(
        `the trust file lists the demo identity provider ${DEV_IDP_ISSUER}: not in production mode`,
      );
    }
    for (const p of this.trust.identityProviders()) {
      if (!p.jwksUri) continue;
      const url = new URL(p.jwksUri);
      if (this.config.mode === 'production' && url.protocol !== 'https:') {
        throw new Error(`identity provider ${p.issuer}: jwksUri must use https in production mode`);
      }
      this.remote.set(
        p.issuer,
        createRemoteJWKSet(url, {
          timeoutDuration: JWKS_TIMEOUT_MS,
          cacheMaxAge: JWKS_CACHE_MAX_AGE_MS,
          cooldownDuration: JWKS_COOLDOWN_MS,
          [customFetch]: jwksFetch,
        }),
      );
    }
  }

  /** Number of refused citizen tokens since boot (metrics). */
  get rejectedCount(): number {
    return this.rejected;
  }

  /** The provider trusted for this issuer (the trust file first, then the demo provider). */
  provider(issuer: string): IdentityProvider | undefined {
    const devIdp = this.dev.provider();
    return this.trust.identityProvider(issuer) ?? (devIdp?.issuer === issuer ? devIdp : undefined);
  }

  /**
   * True when the token claims (unverified) to come from a trusted identity provider that is
   * not also a member id: only to pick which authenticator to run, never to trust the token.
   */
  claimsProvider(token: string | undefined): boolean {
    const iss = unverifiedIssuer(token);
    return iss !== undefined && this.provider(iss) !== undefined && !this.trust.member(iss);
  }

  /** The citizen of `Authorization: Bearer <ID token>`, or BrokerError(UNAUTHENTICATED). */
  authenticate(authorization: string | undefined): Promise<Citizen> {
    const token = bearerToken(authorization);
    if (!token) return Promise.reject(this.refusal('missing or non-Bearer Authorization header'));
    return this.authenticateToken(token);
  }

  /** The citizen of a bare ID token (cookie or sign-in body), or BrokerError(UNAUTHENTICATED). */
  async authenticateToken(token: string | undefined): Promise<Citizen> {
    if (!token) throw this.refusal('no ID token');
    let payload: JWTPayload;
    try {
      const keysOf = await this.keyResolver(token);
      payload = await verifySignedToken(token, {
        typ: 'JWT',
        keysOf,
        audience: { id: this.trust.brokerId, form: 'oidc' },
        clockToleranceS: this.config.clockToleranceS,
        maxLifetimeS: this.config.maxCitizenTokenLifetimeS,
        requiredClaims: ['iss', 'sub', 'aud', 'iat', 'exp'],
      });
    } catch (e) {
      throw this.refusal(e instanceof TokenRejected ? `${e.reason}: ${e.message}` : 'unverifiable');
    }
    const { iss, sub, exp } = payload as { iss: string; sub: unknown; exp: number };
    const checked = checkMatricule(sub);
    if (!checked.valid) throw this.refusal(`sub is not a valid matricule (${checked.problem})`);
    return { subject: checked.matricule, issuer: iss, expiresAt: exp };
  }

  /**
   * The keys to verify with. Inline keys are known; for a provider with a JWKS endpoint the key
   * is fetched (cached by jose) for the header's kid and alg before the common verification runs.
   */
  private async keyResolver(
    token: string,
  ): Promise<(issuer: string) => ReadonlyMap<string, VerificationKey> | undefined> {
    const inline = (issuer: string) => this.provider(issuer)?.keys;
    const iss = unverifiedIssuer(token);
    const remote = iss === undefined ? undefined : this.remote.get(iss);
    if (!remote || this.trust.identityProvider(iss!)?.keys) return inline;
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw new TokenRejected('malformed', 'header is not base64url JSON');
    }
    const { kid, alg } = header;
    if (typeof kid !== 'string' || kid === '') throw new TokenRejected('untrusted', 'no kid in the header');
    if (typeof alg !== 'string' || !REMOTE_ALGORITHMS.includes(alg))
      throw new TokenRejected('untrusted', `alg ${algName(alg)} is not accepted`);
    let key: VerificationKey['key'];
    try {
      key = await remote({ kid, alg });
    } catch (e) {
      throw new TokenRejected(
        'untrusted',
        `no key of the provider for this kid and alg (${(e as Error).name})`,
      );
    }
    const keys = new Map([[kid, { kid, algorithms: [alg], key }]]);
    return (issuer) => (issuer === iss ? keys : undefined);
  }

  private refusal(reason: string): BrokerError {
    this.rejected++;
    // the reason is about the token's shape, never its content: no matricule is logged
    this.logger.warn(`citizen authentication refused: ${reason}`);
    return new BrokerError(ErrorCode.UNAUTHENTICATED, 'The citizen ID token is missing or not valid.', {
      reason,
    });
  }
}
