import { Inject, Injectable, Logger } from '@nestjs/common';
import type { JWTPayload } from 'jose';
import { HeldResultsService } from '@broker/batch';
import { BROKER_CONFIG, type BrokerConfig } from '@broker/config';
import { ConsentStore, TokenRejected, verifySignedToken } from '@broker/consent';
import { BrokerError, ErrorCode } from '@broker/errors';
import { TRUST_REGISTRY, type TrustRegistry } from '@broker/trust';

/** Longest accepted lifetime (exp - iat) of a revocation request. */
export const MAX_REVOCATION_LIFETIME_S = 3600;

export interface IssuerRevocation {
  issuer: string;
  jti: string;
  revokedAt: Date;
}

/**
 * Revocation by a consent issuer: a compact JWS (typ `revocation+jwt`) signed by one of the
 * issuer's keys in the trust file, with `iss` (the issuer), `jti` (the consent's), `iat` and
 * `exp`, and, when present, `aud` the brokerId. Only the issuer of a consent may revoke it.
 * See docs/citizen.md for why a signed call rather than an IETF Token Status List.
 */
@Injectable()
export class IssuerRevocationService {
  private readonly logger = new Logger('IssuerRevocation');

  constructor(
    @Inject(ConsentStore) private readonly store: ConsentStore,
    @Inject(TRUST_REGISTRY) private readonly trust: TrustRegistry,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
    @Inject(HeldResultsService) private readonly heldResults: HeldResultsService,
  ) {}

  async revoke(jws: string | undefined): Promise<IssuerRevocation> {
    let payload: JWTPayload;
    try {
      payload = await verifySignedToken((jws ?? '').trim(), {
        typ: 'revocation+jwt',
        keysOf: (iss) => this.trust.consentIssuer(iss)?.keys,
        clockToleranceS: this.config.clockToleranceS,
        maxLifetimeS: MAX_REVOCATION_LIFETIME_S,
        requiredClaims: ['iss', 'jti', 'iat', 'exp'],
      });
    } catch (e) {
      throw this.refuse(e instanceof TokenRejected ? `${e.reason}: ${e.message}` : 'unverifiable');
    }
    const { iss, jti, aud } = payload as { iss: string; jti: unknown; aud?: unknown };
    const audOk =
      aud === undefined ||
      aud === this.trust.brokerId ||
      (Array.isArray(aud) && aud.length === 1 && aud[0] === this.trust.brokerId);
    if (!audOk) throw this.refuse('aud is not this broker');
    if (typeof jti !== 'string' || jti.length < 1 || jti.length > 200)
      throw this.refuse('jti is not a consent id');
    const issuers = await this.store.issuersOf(jti);
    if (issuers.length > 0 && !issuers.includes(iss)) {
      throw new BrokerError(ErrorCode.FORBIDDEN, 'Only the issuer of a consent may revoke it.');
    }
    // a consent not seen yet is revoked too: it will be refused the first time it is presented
    const revokedAt = await this.store.revoke(iss, jti, 'issuer');
    await this.heldResults.consentWithdrawn(iss, jti);
    this.logger.log(`consent revoked by its issuer ${iss}`);
    return { issuer: iss, jti, revokedAt };
  }

  private refuse(reason: string): BrokerError {
    this.logger.warn(`revocation refused: ${reason}`);
    return new BrokerError(
      ErrorCode.UNAUTHENTICATED,
      'The revocation is not signed by a trusted consent issuer or not valid.',
      {
        reason,
      },
    );
  }
}
