import { Inject, Injectable, Logger } from '@nestjs/common';
import { BROKER_CONFIG, type BrokerConfig } from '@broker/config';
import { BrokerError, ErrorCode } from '@broker/errors';
import { TRUST_REGISTRY, type Member, type TrustRegistry } from '@broker/trust';
import { TokenRejected, bearerToken, verifySignedToken } from './signed-token';

/** Longest accepted lifetime (exp - iat) of a member assertion, and of a staff token. */
export const MAX_ASSERTION_LIFETIME_S = 300;
const CACHE_LIMIT = 10_000;

/** A member whose assertion verified. */
export interface AuthenticatedMember {
  member: Member;
  /** Assertion expiry (epoch seconds): nothing derived from it may outlive it. */
  exp: number;
}

/**
 * Authenticates the calling administration from `Authorization: Bearer <JWT>`.
 * A verified assertion is cached until its own `exp`, never longer, so that a member reusing
 * its assertion costs one map lookup instead of one signature check.
 */
@Injectable()
export class MemberAuthenticatorService {
  private readonly logger = new Logger('MemberAuthenticator');
  private readonly cache = new Map<string, AuthenticatedMember>();
  private rejected = 0;

  constructor(
    @Inject(TRUST_REGISTRY) private readonly trust: TrustRegistry,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
  ) {}

  /** Number of UNAUTHENTICATED answers since boot (metrics). */
  get rejectedCount(): number {
    return this.rejected;
  }

  /** Returns the member or throws BrokerError(UNAUTHENTICATED). */
  async authenticate(authorization: string | undefined): Promise<AuthenticatedMember> {
    const token = bearerToken(authorization);
    if (!token) return this.reject('missing or non-Bearer Authorization header');
    const now = Math.floor(Date.now() / 1000);
    const cached = this.cache.get(token);
    if (cached && cached.exp > now) return cached;
    if (cached) this.cache.delete(token);

    let payload;
    try {
      payload = await verifySignedToken(token, {
        typ: 'JWT',
        keysOf: (iss) => this.trust.member(iss)?.keys,
        audience: { id: this.trust.brokerId, form: 'single' },
        clockToleranceS: this.config.clockToleranceS,
        maxLifetimeS: MAX_ASSERTION_LIFETIME_S,
        requiredClaims: ['iss', 'sub', 'aud', 'iat', 'exp'],
      });
    } catch (e) {
      return this.reject(e instanceof TokenRejected ? `${e.reason}: ${e.message}` : 'unverifiable');
    }
    const { iss, sub, exp } = payload as { iss: string; sub: unknown; exp: number };
    if (sub !== iss) return this.reject('sub differs from iss');
    const member = this.trust.member(iss);
    if (!member) return this.reject('unknown member');
    const result = { member, exp };
    if (this.cache.size >= CACHE_LIMIT) this.evict(now);
    this.cache.set(token, result);
    return result;
  }

  private evict(now: number): void {
    for (const [k, v] of this.cache) if (v.exp <= now) this.cache.delete(k);
    // still full: drop the oldest insertions (Map keeps insertion order)
    for (const k of this.cache.keys()) {
      if (this.cache.size < CACHE_LIMIT) break;
      this.cache.delete(k);
    }
  }

  private reject(reason: string): never {
    this.rejected++;
    // the reason is about the token's shape, never its content: no identifiers are logged
    this.logger.warn(`member authentication refused: ${reason}`);
    throw new BrokerError(ErrorCode.UNAUTHENTICATED, 'The member assertion is missing or not valid.', {
      reason,
    });
  }
}
