import { Inject, Injectable } from '@nestjs/common';
import Ajv2020 from 'ajv/dist/2020';
import { consentKey, isLogIdentifier } from '@broker/access-log';
import { BROKER_CONFIG, type BrokerConfig } from '@broker/config';
import { BrokerError, ErrorCode } from '@broker/errors';
import { TRUST_REGISTRY, type TrustRegistry } from '@broker/trust';
import type { DataItem } from '@broker/data-items';
import consentSchema from '../../../contracts/consent-token.schema.json';
import type { Consent } from './consent';
import { ConsentStore, type ConsentLedger } from './consent-store';
import { MAX_TOKEN_LENGTH, TokenRejected, verifySignedTokenWithKey } from './signed-token';
import { VerifiedTokenCache } from './verified-token-cache';

const validateClaims = new Ajv2020({ allErrors: false, strict: false }).compile(consentSchema);

/** Most verified consent tokens kept (an entry is a digest and the claims: a few hundred bytes). */
export const CONSENT_CACHE_LIMIT = 10_000;

/** An authentic consent whose time is over; carries what the access-log entry should name. */
export class ConsentExpiredError extends BrokerError {
  constructor(readonly consent: { issuer: string; jti: string; purpose: string }) {
    super(ErrorCode.CONSENT_EXPIRED, 'The consent has expired.');
  }
}

/** An authentic consent that was withdrawn (by the citizen or its issuer); names it for the access log. */
export class ConsentRevokedError extends BrokerError {
  constructor(readonly consent: { issuer: string; jti: string; purpose: string }) {
    super(ErrorCode.CONSENT_REVOKED, 'The consent was withdrawn.');
  }
}

/**
 * Verifies `Consent-Token` headers against the trusted consent issuers.
 *
 * A token that verified is cached by its SHA-256 digest until its own `exp`, never longer, and
 * only while the key that verified it is still the one in force (`VerifiedTokenCache`): a reused
 * consent then costs a digest and a map lookup instead of a signature check. The cache holds
 * authenticity only: the withdrawals are read on every use, cached or not.
 */
@Injectable()
export class ConsentVerifierService {
  private readonly cache: VerifiedTokenCache<Consent>;

  constructor(
    @Inject(TRUST_REGISTRY) private readonly trust: TrustRegistry,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
    /** Always injected by Nest; optional only so that pure unit tests can leave it out. */
    @Inject(ConsentStore) private readonly ledger?: ConsentLedger,
  ) {
    this.cache = new VerifiedTokenCache<Consent>(CONSENT_CACHE_LIMIT, (issuer, kid) =>
      this.trust.consentIssuer(issuer)?.keys.get(kid),
    );
  }

  /** Forgets every verified token (to be called when the trust file in force is replaced). */
  clearCache(): void {
    this.cache.clear();
  }

  /** Returns the verified consent or throws BrokerError(CONSENT_INVALID | CONSENT_EXPIRED | CONSENT_REVOKED). */
  async verify(token: string | undefined): Promise<Consent> {
    const consent = await this.authentic(token);
    if (this.ledger) {
      // recorded first, so that a consent withdrawn before its first use is still listed to the citizen
      await this.ledger.recordSeen(consent);
      // read on every use, the token cached or not: a withdrawal holds at once in every process
      if ((await this.ledger.revokedAmong([consent])).has(consentKey(consent))) {
        throw new ConsentRevokedError({ issuer: consent.issuer, jti: consent.jti, purpose: consent.purpose });
      }
    }
    return consent;
  }

  /**
   * `verify` for many tokens at once (a batch submission): the same checks, each token's
   * consent or its BrokerError in order, with one ledger write and one withdrawal query for
   * all of them instead of two round trips per token.
   */
  async verifyMany(tokens: readonly (string | undefined)[]): Promise<(Consent | BrokerError)[]> {
    const out: (Consent | BrokerError)[] = [];
    for (const t of tokens) {
      try {
        out.push(await this.authentic(t));
      } catch (e) {
        if (!(e instanceof BrokerError)) throw e;
        out.push(e);
      }
    }
    if (!this.ledger) return out;
    const consents = out.filter((x): x is Consent => !(x instanceof BrokerError));
    await this.ledger.recordSeenMany(consents);
    const revoked = await this.ledger.revokedAmong(consents);
    return out.map((x) =>
      x instanceof BrokerError || !revoked.has(consentKey(x))
        ? x
        : new ConsentRevokedError({ issuer: x.issuer, jti: x.jti, purpose: x.purpose }),
    );
  }

  /** Signature, claims, lifetime: everything but the ledger; from the cache when verified before. */
  private async authentic(token: string | undefined): Promise<Consent> {
    if (!token) throw new BrokerError(ErrorCode.CONSENT_INVALID, 'The Consent-Token header is missing.');
    const compact = token.trim();
    // an over-long token is refused by verifySignedTokenWithKey before any work; not hashed here
    const digest = compact.length <= MAX_TOKEN_LENGTH ? VerifiedTokenCache.digest(compact) : undefined;
    const nowS = Math.floor(Date.now() / 1000);
    const cached = digest === undefined ? undefined : this.cache.get(digest, nowS);
    if (cached) return cached;
    let verified;
    try {
      verified = await verifySignedTokenWithKey(compact, {
        typ: 'consent+jwt',
        keysOf: (iss) => this.trust.consentIssuer(iss)?.keys,
        clockToleranceS: this.config.clockToleranceS,
        maxLifetimeS: this.config.maxConsentLifetimeS,
        requiredClaims: ['iss', 'sub', 'aud', 'iat', 'exp', 'jti'],
      });
    } catch (e) {
      if (e instanceof TokenRejected && e.reason === 'expired') {
        const p = e.payload ?? {};
        // named in the refusal's entry only when the log can record it as it is
        if (isLogIdentifier(p.iss) && isLogIdentifier(p.jti) && isLogIdentifier(p.purpose))
          throw new ConsentExpiredError({ issuer: p.iss, jti: p.jti, purpose: p.purpose });
        throw new BrokerError(ErrorCode.CONSENT_INVALID, 'The consent token claims are not valid.', {
          reason: 'claims: iss, jti or purpose is not an identifier',
        });
      }
      const reason = e instanceof TokenRejected ? `${e.reason}: ${e.message}` : 'unverifiable';
      throw new BrokerError(ErrorCode.CONSENT_INVALID, 'The consent token is not valid.', { reason });
    }
    const { payload } = verified;
    // a one-element aud array means the same as the string (RFC 7519 §4.1.3)
    const aud = Array.isArray(payload.aud) && payload.aud.length === 1 ? payload.aud[0] : payload.aud;
    const claims = { ...payload, aud };
    if (!validateClaims(claims)) {
      const err = validateClaims.errors?.[0];
      throw new BrokerError(ErrorCode.CONSENT_INVALID, 'The consent token claims are not valid.', {
        reason: `claims: ${err?.instancePath || '/'} ${err?.message ?? ''}`.trim(),
      });
    }
    // the access log records jti, iss and purpose: a NUL or a lone surrogate there would fail its commit
    for (const k of ['jti', 'iss', 'purpose'] as const) {
      if (!isLogIdentifier(claims[k])) {
        throw new BrokerError(ErrorCode.CONSENT_INVALID, 'The consent token claims are not valid.', {
          reason: `claims: /${k} is not an identifier (letters, digits, . _ : @ / + = -)`,
        });
      }
    }
    const c = claims as unknown as {
      iss: string;
      sub: string;
      aud: string;
      purpose: string;
      scope: DataItem[];
      iat: number;
      exp: number;
      jti: string;
    };
    const consent: Consent = {
      issuer: c.iss,
      jti: c.jti,
      subject: c.sub,
      audience: c.aud,
      purpose: c.purpose,
      scope: new Set(c.scope),
      issuedAt: c.iat,
      expiresAt: c.exp,
    };
    if (digest !== undefined)
      this.cache.set(
        digest,
        { value: consent, exp: c.exp, key: verified.key, issuer: c.iss, kid: verified.kid },
        nowS,
      );
    return consent;
  }
}
