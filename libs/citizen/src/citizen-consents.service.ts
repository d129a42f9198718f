import { Inject, Injectable, Logger } from '@nestjs/common';
import { HeldResultsService } from '@broker/batch';
import { ConsentStore, type ConsentRecord } from '@broker/consent';
import { BrokerError, ErrorCode } from '@broker/errors';
import { TRUST_REGISTRY, type TrustRegistry } from '@broker/trust';
import type { Citizen } from './citizen';
import { memberView, purposeView, type MemberView, type PurposeView } from './citizen-views';

export type ConsentStatus = 'ACTIVE' | 'EXPIRED' | 'WITHDRAWN';

/** A consent about the citizen, as the citizen page shows it. */
export interface ConsentView {
  jti: string;
  issuer: string;
  issuerName: string;
  member: MemberView;
  purpose: PurposeView;
  scope: string[];
  issuedAt: Date;
  expiresAt: Date;
  status: ConsentStatus;
  withdrawnAt: Date | null;
  withdrawnBy: string | null;
  firstSeenAt: Date;
  lastUsedAt: Date | null;
}

/** The consents about a citizen that the broker has seen, and their withdrawal by the citizen. */
@Injectable()
export class CitizenConsentsService {
  private readonly logger = new Logger('CitizenConsents');

  constructor(
    @Inject(ConsentStore) private readonly store: ConsentStore,
    @Inject(TRUST_REGISTRY) private readonly trust: TrustRegistry,
    @Inject(HeldResultsService) private readonly heldResults: HeldResultsService,
  ) {}

  /** The citizen's consents, most recently seen first. */
  async list(citizen: Citizen): Promise<ConsentView[]> {
    return (await this.store.forSubject(citizen.subject)).map((r) => this.view(r));
  }

  /**
   * Withdraws one of the citizen's consents, at once for every gateway and worker (they read
   * the same table on every verification). Idempotent. A jti that is not about this citizen,
   * or unknown, is NOT_FOUND: the answer never tells whether another citizen has it.
   */
  async withdraw(citizen: Citizen, jti: string): Promise<ConsentView> {
    const records = jti.length <= 200 ? await this.store.forSubjectAndJti(citizen.subject, jti) : [];
    if (records.length === 0) throw new BrokerError(ErrorCode.NOT_FOUND, 'No such consent about you.');
    for (const r of records) {
      if (!r.revokedAt) {
        r.revokedAt = await this.store.revoke(r.issuer, r.jti, 'citizen');
        r.revokedBy = 'citizen';
      }
      // also when already withdrawn: a retry after a failed purge purges
      await this.heldResults.consentWithdrawn(r.issuer, r.jti);
    }
    this.logger.log('a consent was withdrawn by its citizen');
    return this.view(records[0]);
  }

  private view(r: ConsentRecord): ConsentView {
    const status: ConsentStatus = r.revokedAt
      ? 'WITHDRAWN'
      : r.expiresAt.getTime() <= Date.now()
        ? 'EXPIRED'
        : 'ACTIVE';
    return {
      jti: r.jti,
      issuer: r.issuer,
      issuerName: this.trust.consentIssuer(r.issuer)?.name ?? r.issuer,
      member: memberView(this.trust, r.audience),
      purpose: purposeView(this.trust, r.purpose),
      scope: r.scope,
      issuedAt: r.issuedAt,
      expiresAt: r.expiresAt,
      status,
      withdrawnAt: r.revokedAt,
      withdrawnBy: r.revokedBy,
      firstSeenAt: r.firstSeenAt,
      lastUsedAt: r.lastUsedAt,
    };
  }
}
