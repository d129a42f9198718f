import { Inject, Injectable, Logger } from '@nestjs/common';
import { BatchRepository } from './batch.repository';

/**
 * The batch results held for a member under a consent live no longer than the consent: when it
 * is withdrawn (by the citizen or its issuer) they are deleted at once, and when it expires the
 * reconciler's sweep deletes them (BatchQueryService never serves one past expiry meanwhile).
 * Their items then read as REFUSED with CONSENT_REVOKED.
 */
@Injectable()
export class HeldResultsService {
  private readonly logger = new Logger('HeldResults');

  constructor(@Inject(BatchRepository) private readonly repo: BatchRepository) {}

  /** Deletes the results held under the consent (issuer, jti); idempotent. Returns how many. */
  async consentWithdrawn(issuer: string, jti: string): Promise<number> {
    const n = await this.repo.purgeConsentResults(issuer, jti);
    if (n > 0) this.logger.log(`${n} batch results purged: their consent was withdrawn`);
    return n;
  }

  /** Deletes the results whose consent has expired (a bounded pass; returns how many). */
  async purgeExpired(): Promise<number> {
    const n = await this.repo.purgeExpiredResults();
    if (n > 0) this.logger.log(`${n} batch results purged: their consent expired`);
    return n;
  }
}
